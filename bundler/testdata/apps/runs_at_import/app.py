# Pasted from a notebook: the server is started unconditionally at import.
import dash

app = dash.Dash(__name__)
app.layout = {"type": "Div", "props": {"children": "runs at import"}}
app.run(debug=True)
app.server.run(port=8050)
