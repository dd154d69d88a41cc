# The shape of most tutorials: a module-level app, no create_app(), gunicorn's `server`.
import dash

app = dash.Dash(__name__)
app.layout = {"type": "Div", "props": {"children": "module level"}}
server = app.server
