import dash
from dash import html

dash.register_page(__name__, path_template="/item/<item_id>", title="Item", image="chart.png")


def layout(item_id=None, **_):
    return html.Div("item %s" % item_id, id="item")
