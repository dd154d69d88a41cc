import dash
from dash import html

dash.register_page(__name__)

layout = html.Div([html.H1("Nothing here", id="not-found"), html.P("This page does not exist.")])
