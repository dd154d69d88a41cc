# Two apps in one module: OpenDash cannot guess which one to deploy.
from dash import Dash, html

first = Dash(__name__)
second = Dash(__name__)
first.layout = html.Div("first", id="main")
second.layout = html.Div("second", id="main")
