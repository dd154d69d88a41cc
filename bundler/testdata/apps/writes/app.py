# An app that writes while it starts, each way an app can: a new top-level folder by a relative path (works
# on Lambda: the app runs in a writable working folder), a file under one of its own folders by a relative
# path, and a file straight into its folder by a path built from __file__ (both fail on Lambda, whose task
# root is read-only).
import os

from dash import Dash, html

HERE = os.path.dirname(os.path.abspath(__file__))

with open("./data/table.csv") as fh:  # a relative read of the app's own file
    ROWS = fh.read().splitlines()

os.makedirs("./output", exist_ok=True)
with open("./output/started.txt", "w") as fh:
    fh.write("started")

with open("./data/out.csv", "w") as fh:
    fh.write("written under data/")

try:
    with open(os.path.join(HERE, "state.json"), "w") as fh:
        fh.write("{}")
except OSError as exc:
    STATE_ERROR = exc

app = Dash(__name__)
app.layout = html.Div([html.P(row) for row in ROWS])
