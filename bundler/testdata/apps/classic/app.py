# The classic multi-page layout: app.py makes the app, index.py sets its layout and routes.
import dash

app = dash.Dash(__name__)
server = app.server
