import dash
from dash import html

dash.register_page(__name__, path="/", title="Home", description="The OpenDash pages example")

layout = html.Div([html.H1("Home"), html.P("Welcome to the pages example.", id="home-text")])
