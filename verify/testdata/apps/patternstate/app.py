"""A real Dash app for verify's integration test: its first callback reads a pattern-matching ALL state (the
renderer sends the list of matching components, [] here), which it iterates; the second is plain."""
from dash import ALL, Dash, Input, Output, State, dcc, html

app = Dash(__name__)
app.layout = html.Div([
    dcc.Input(id="item", value="milk"),
    html.Button("Add", id="add", n_clicks=0),
    html.Div(id="items"),
    html.Div(id="echo"),
])


@app.callback(Output("items", "children"), Input("add", "n_clicks"), State("item", "value"),
              State({"row": ALL}, "children"))
def add_item(_, item, rows):
    rows = list(rows)  # None (one undefined value, which the renderer never sends) fails here
    if item:
        rows.append(item)
    return [html.Div(text, id={"row": i}) for i, text in enumerate(rows)]


@app.callback(Output("echo", "children"), Input("item", "value"))
def echo(item):
    return "item: " + item
