"""A dcc.Upload app for the browser tests of originAuth: the callback reports the size and digest of what it got.

dcc.Upload sends the whole file base64-encoded inside the callback POST (a 3 MB file is a 4 MB body).
"""
import base64
import hashlib

import dash
from dash import Input, Output, State, dcc, html


def create_app():
    app = dash.Dash(__name__)
    app.layout = html.Div([
        dcc.Upload(id="upload", children=html.Div("Drop a file here"), multiple=False),
        html.Div("no file", id="result"),
    ])

    @app.callback(Output("result", "children"), Input("upload", "contents"), State("upload", "filename"),
                  prevent_initial_call=True)
    def received(contents, filename):
        data = base64.b64decode(contents.split(",", 1)[1])
        return f"received {filename}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()[:16]}"

    return app
