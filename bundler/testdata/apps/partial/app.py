"""Public index page and styles; the layout, one assets folder and one static folder need credentials."""
import dash
import flask

SECRET = "TOP-SECRET-LAYOUT-c7e9"
PROTECTED = ("/_dash-layout", "/assets/private/", "/static/private/")


def create_app():
    app = dash.Dash(__name__)
    app.layout = {"type": "Div", "props": {"children": SECRET}}

    @app.server.before_request
    def require_token():
        if flask.request.path.startswith(PROTECTED) and flask.request.headers.get("X-Token") != "t0k3n":
            return flask.abort(403)
        return None

    return app
