# An app inside a package: --app pkg.dashboard (a dotted module relative to the source folder).
from dash import Dash, html

from .texts import TITLE

app = Dash(__name__)
app.layout = html.Div(TITLE, id="main")
