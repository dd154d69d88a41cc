import dash


def create_app():
    app = dash.Dash(__name__, url_base_pathname="/app/")
    app.layout = {"type": "Div", "props": {"children": "hello"}}
    return app
