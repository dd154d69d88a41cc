# Started with `python index.py` (or gunicorn index:server): the entry point is index:app.
from dash import html

from app import app, server  # noqa: F401

app.layout = html.Div("classic", id="main")

if __name__ == "__main__":
    app.run(debug=True)
