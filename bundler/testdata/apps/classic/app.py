# The classic multi-page layout: app.py makes the app, index.py sets its layout and routes.
from dash import Dash

app = Dash(__name__)
server = app.server
