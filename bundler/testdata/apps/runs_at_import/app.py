# Pasted from a notebook: the server is started unconditionally at import.
from dash import Dash, html

app = Dash(__name__)
app.layout = html.Div("runs at import", id="main")
app.run(debug=True)
app.server.run(port=8050)
