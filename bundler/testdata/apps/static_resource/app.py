# An app's own /static/<resource> beside Flask's static folder: Werkzeug prefers the app's rule (a plain
# converter weighs less than Flask's path converter) for one-segment paths, which it serves from public/;
# deeper paths still reach Flask's static view of static/.
import os

import flask
from dash import Dash, html

PUBLIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "public")

app = Dash(__name__)
app.layout = html.Div("static resources")


@app.server.route("/static/<resource>")
def serve_resource(resource):
    return flask.send_from_directory(PUBLIC, resource)
