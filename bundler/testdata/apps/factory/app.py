# A factory under another name: --app app:make_app()
import dash


def make_app():
    app = dash.Dash(__name__)
    app.layout = {"type": "Div", "props": {"children": "from make_app"}}
    return app
