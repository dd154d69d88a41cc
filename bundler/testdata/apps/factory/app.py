# A factory under another name: --app app:make_app()
from dash import Dash, html


def make_app():
    app = Dash(__name__)
    app.layout = html.Div("from make_app", id="main")
    return app
