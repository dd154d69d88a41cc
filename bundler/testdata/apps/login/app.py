"""Sends anonymous visitors to a login page (302 to /login), as form-login apps do."""
import dash
import flask

SECRET = "TOP-SECRET-LAYOUT-5b11"


def create_app():
    app = dash.Dash(__name__)
    app.layout = {"type": "Div", "props": {"children": SECRET}}

    @app.server.route("/login")
    def login():
        return "<form method=post>sign in</form>"

    @app.server.before_request
    def require_session():
        path = flask.request.path
        if path == "/login" or path.startswith("/_dash-component-suites/"):
            return None
        if flask.request.cookies.get("session") != "signed-in":
            return flask.redirect("/login")
        return None

    return app
