"""An app that protects itself with HTTP basic auth (a Flask before_request hook, the same shape as dash-auth's
BasicAuth): every page, the layout, the callbacks, the assets and Flask's static files need credentials; only
Dash's own library code is public. OpenDash keeps everything it protects behind the app: the bundle's static
site holds only the component suites, and CloudFront sends the rest to the server function, which asks for
the password. Run locally with `python app.py`; bundle with `open-dash bundle --source examples/protected`.
The credentials are a demo's: read them from the environment (or a secrets manager) in a real app."""

import base64
import hmac
import os

import dash
import flask
from dash import Input, Output, dcc, html

USER = os.environ.get("APP_USER", "admin")
PASSWORD = os.environ.get("APP_PASSWORD", "s3cret")
QUARTERLY = {"Q1": 1.21, "Q2": 1.48, "Q3": 0.97, "Q4": 1.76}  # the data the password protects


def authorized(header):
    expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    return hmac.compare_digest((header or "").encode(), expected.encode())


def create_app():
    app = dash.Dash(__name__, title="Board figures")
    app.layout = html.Div(
        className="page",
        children=[
            html.H1("Board figures (confidential)"),
            html.Img(src="/static/seal.svg", alt="seal", className="seal"),
            dcc.Dropdown(id="quarter", options=list(QUARTERLY), value="Q1", clearable=False),
            html.Div(id="revenue"),
        ],
    )

    @app.callback(Output("revenue", "children"), Input("quarter", "value"))
    def revenue(quarter):
        return f"{quarter} revenue: {QUARTERLY[quarter]} M EUR"

    @app.server.before_request
    def require_credentials():
        # Dash's JavaScript libraries are public code; everything else is the app's.
        if flask.request.path.startswith(app.config.requests_pathname_prefix + "_dash-component-suites/"):
            return None
        if not authorized(flask.request.headers.get("Authorization")):
            return flask.Response("Sign in to see the board figures.", 401, {"WWW-Authenticate": 'Basic realm="board"'})
        return None

    return app


if __name__ == "__main__":
    create_app().run(debug=False)
