import dash
from dash import html

dash.register_page(__name__, path="/reports/annual", title="Annual report")

layout = html.Div([html.H1("Annual report"), html.P("A nested page path.", id="annual-text")])
