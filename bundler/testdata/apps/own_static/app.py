# The shape of plotly's multi-page recipe: the app serves /static/<path:path> itself, from its static folder,
# beside Flask's own static route for that same folder. Flask registered its route first and both have one
# shape, so Werkzeug sends every /static/ path to Flask's static view: the app's route never answers.
import os

import flask
from dash import Dash, html

STATIC_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "static")

app = Dash(__name__)
app.layout = html.Div([html.Link(rel="stylesheet", href="/static/css/site.css"), html.P("own static route")])


@app.server.route("/static/<path:path>")
def serve_static(path):
    return flask.send_from_directory(STATIC_PATH, path)
