import dash


def create_app():
    return dash.Dash(__name__, extra_route="/api/items/<int:item_id>")
