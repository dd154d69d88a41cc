# The shape of most tutorials: a module-level app, no create_app(), gunicorn's `server`.
from dash import Dash, html

app = Dash(__name__)
app.layout = html.Div("module level", id="main")
server = app.server
