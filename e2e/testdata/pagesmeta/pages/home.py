import dash
from dash import html

dash.register_page(__name__, path="/", title="Home", description="Where it starts")

layout = html.Div("home", id="home")
