# Creates a database beside itself while it starts: read-only on Lambda, so this app cannot start there.
import os
import sqlite3

from dash import Dash, html

db = sqlite3.connect(os.path.join(os.path.dirname(os.path.abspath(__file__)), "app.db"))
app = Dash(__name__)
app.layout = html.Div("unreachable")
