# Pasted from a notebook: the server is started unconditionally at import.
from dash import Dash, html

app = Dash(__name__)
app.layout = html.Div("runs at import", id="main")
app.run(debug=True)
app.server.run(port=8050)
if hasattr(app, "run_server"):  # Dash 2 (gone in Dash 3)
    app.run_server(port=8050)
