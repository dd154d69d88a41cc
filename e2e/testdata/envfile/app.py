"""An app that reads its settings from the environment, as a deployed one gets them from the component's
`environment` and `secrets`, and locally from `open-dash preview --env-file`. They are read in the callback:
the page itself is rendered when the app is bundled."""
import os

import dash
from dash import Input, Output, dcc, html

app = dash.Dash(__name__)
app.layout = html.Div([
    dcc.Input(id="name", value="Ada"),
    html.Div("waiting", id="greeting"),
])


@app.callback(Output("greeting", "children"), Input("name", "value"))
def greet(name):
    database = os.environ["DATABASE_URL"].rsplit("@", 1)[-1]  # never show the credentials
    return f"{os.environ['GREETING']}, {name} (database {database})"
