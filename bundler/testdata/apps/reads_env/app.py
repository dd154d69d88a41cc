import os

import dash
DATABASE_URL = os.environ["SALES_DATABASE_URL"]  # read at import, as many apps do

app = dash.Dash(__name__)
app.layout = {"type": "Div", "props": {"children": "sales"}}
