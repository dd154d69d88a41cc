"""Shows who is signed in, as an app behind auth.oidc reads it: the edge's X-OpenDash-User-* headers.

The values are percent-encoded where a header cannot carry the text (urllib.parse.unquote gives it back);
the groups are comma-separated. Read in a callback: the layout is bundled to S3, callbacks reach the app.
"""
from urllib.parse import unquote

import flask
from dash import Dash, Input, Output, dcc, html

app = Dash(__name__)
app.layout = html.Div([
    dcc.Location(id="url"),
    html.H1("Who am I"),
    html.P(id="who"),
    html.P(id="groups"),
])


@app.callback(Output("who", "children"), Output("groups", "children"), Input("url", "pathname"))
def who(_):
    headers = flask.request.headers
    email = unquote(headers.get("X-OpenDash-User-Email", ""))
    subject = unquote(headers.get("X-OpenDash-User-Subject", ""))
    groups = [unquote(g) for g in headers.get("X-OpenDash-User-Groups", "").split(",") if g]
    signed_in = "Signed in as %s (%s)" % (email, subject) if subject else "Nobody is signed in"
    return signed_in, "Groups: " + (", ".join(groups) or "none")
