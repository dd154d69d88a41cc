import dash
from dash import Input, Output, callback, dcc, html

dash.register_page(__name__, path="/analytics", title="Analytics")

layout = html.Div(
    [
        html.H1("Analytics"),
        dcc.Input(id="analytics-input", value="3", type="number"),
        html.Div(id="analytics-output"),
    ]
)


@callback(Output("analytics-output", "children"), Input("analytics-input", "value"))
def square(value):
    n = int(value or 0)
    return f"{n} squared is {n * n}"
