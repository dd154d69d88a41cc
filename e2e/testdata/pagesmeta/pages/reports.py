import dash
from dash import html

dash.register_page(__name__, path="/reports", title="Reports", image="chart.png", description="This year's reports")

layout = html.Div("reports", id="reports")
