"""The classic layout's entry point: sets app.layout and routes the URL to a page with a callback."""

from dash import Input, Output, dcc, html

from app import app, server  # noqa: F401 (server: gunicorn index:server)

UNITS = {"North": 120, "South": 80}


def home():
    return html.Div([html.H1("Home"), html.P("A classic Dash app: app.py + index.py.", id="home-text")])


def sales():
    return html.Div([
        html.H1("Sales"),
        dcc.Dropdown(id="region", options=list(UNITS), value="North", clearable=False),
        html.P(id="sales-total"),
    ])


def not_found(pathname):
    return html.Div([html.H1("Not found"), html.P(f"No page at {pathname}", id="not-found")])


app.layout = html.Div([
    dcc.Location(id="url"),
    html.Nav([dcc.Link("Home", href="/"), " | ", dcc.Link("Sales", href="/sales")], className="nav"),
    html.Div(id="page"),
])


@app.callback(Output("page", "children"), Input("url", "pathname"))
def route(pathname):
    if pathname in (None, "/"):
        return home()
    if pathname == "/sales":
        return sales()
    return not_found(pathname)


@app.callback(Output("sales-total", "children"), Input("region", "value"))
def total(region):
    return f"{region}: {UNITS[region]} units"


if __name__ == "__main__":
    app.run(debug=True)
