"""Single-page OpenDash example: a graph driven by a dropdown (server callback), a table, and a clientside
callback. Run locally with `python app.py`; bundle with `open-dash bundle --source examples/single-page`."""

import dash
import plotly.graph_objects as go
from dash import Input, Output, dash_table, dcc, html

CITIES = {
    "Lisbon": [14, 15, 17, 19, 22, 26, 28, 28, 26, 22, 17, 15],
    "Oslo": [-3, -3, 1, 6, 11, 15, 17, 16, 12, 7, 2, -2],
    "Sydney": [26, 26, 25, 23, 20, 17, 17, 18, 20, 22, 24, 25],
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def figure(city):
    fig = go.Figure(go.Scatter(x=MONTHS, y=CITIES[city], mode="lines+markers", name=city))
    fig.update_layout(title=f"Average high in {city} (°C)", margin=dict(l=40, r=20, t=60, b=40))
    return fig


def create_app():
    app = dash.Dash(__name__, title="OpenDash weather")
    app.layout = html.Div(
        className="page",
        children=[
            html.Img(src=app.get_asset_url("logo.svg"), className="logo", alt="OpenDash"),
            html.H1("City temperatures"),
            dcc.Dropdown(id="city", options=list(CITIES), value="Lisbon", clearable=False),
            dcc.Graph(id="graph", figure=figure("Lisbon")),
            dash_table.DataTable(
                id="table",
                columns=[{"name": "City", "id": "city"}, {"name": "Warmest month (°C)", "id": "max"}],
                data=[{"city": c, "max": max(t)} for c, t in CITIES.items()],
                style_cell={"textAlign": "left"},
            ),
            html.Button("Shout", id="shout", n_clicks=0),
            html.Div(id="echo", children="not clicked"),
        ],
    )

    @app.callback(Output("graph", "figure"), Input("city", "value"))
    def update_graph(city):
        return figure(city)

    # Runs in the browser: needs no server round trip.
    app.clientside_callback(
        "function(n) { return n ? 'clicked ' + n + ' times' : 'not clicked'; }",
        Output("echo", "children"),
        Input("shout", "n_clicks"),
    )
    return app


if __name__ == "__main__":
    create_app().run(debug=False)
