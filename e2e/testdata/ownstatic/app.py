"""The shape of plotly's multi-page recipe: the app serves /static/<path> itself, from the static folder of
the current directory, beside Flask's own static route for the same folder."""
import os

import flask
from dash import Dash, html

app = Dash(__name__)
server = app.server


@server.route("/static/<path:path>")
def static_file(path):
    static_folder = os.path.join(os.getcwd(), "static")
    return flask.send_from_directory(static_folder, path)


app.layout = html.Div(
    [
        html.Link(rel="stylesheet", href="/static/site.css"),
        html.H1("Styled by a file of the app's own static route", id="styled"),
        html.Img(src="/static/logo.svg", id="logo"),
    ]
)

if __name__ == "__main__":
    app.run(debug=True)
