"""Protects itself as dash-auth's BasicAuth does: every URL but Dash's library code needs credentials."""
import base64

import dash
import flask

SECRET = "TOP-SECRET-LAYOUT-7f3a"
CREDENTIALS = "Basic " + base64.b64encode(b"admin:s3cret").decode()


def create_app():
    app = dash.Dash(__name__)
    app.layout = {"type": "Div", "props": {"children": SECRET}}

    @app.server.before_request
    def require_login():
        if flask.request.path.startswith("/_dash-component-suites/"):
            return None
        if flask.request.headers.get("Authorization") != CREDENTIALS:
            return flask.Response("login required", 401, {"WWW-Authenticate": 'Basic realm="app"'})
        return None

    @app.callback("out.children", "in.value")
    def echo(value):
        return "echo " + str(value)

    return app
