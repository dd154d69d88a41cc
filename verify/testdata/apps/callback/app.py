"""A Dash app for verify's tests, written against the stand-in Dash (bundler/testdata/fakedash): one server
callback whose input has a value in the layout, so verify makes a real round trip, and one Flask route."""
import dash


def create_app():
    app = dash.Dash(__name__, extra_route="/api/items/<int:item_id>")
    app.layout = {"type": "Div", "namespace": "dash_html_components", "props": {"children": [
        {"type": "Input", "namespace": "dash_core_components", "props": {"id": "name", "value": "world"}},
        {"type": "Div", "namespace": "dash_html_components", "props": {"id": "greeting"}},
    ]}}

    @app.callback("greeting.children", "name.value")
    def greet(name):
        return "hello " + name

    return app
