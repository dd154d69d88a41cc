import dash


def create_app():
    app = dash.Dash(__name__, extra_route="/api/items/<int:item_id>")
    app.layout = {"type": "Div", "props": {"children": "hello"}}
    return app
