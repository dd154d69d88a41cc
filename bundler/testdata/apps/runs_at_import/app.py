# Pasted from a notebook: the server is started unconditionally at import.
from dash import Dash, html

app = Dash(__name__)
app.layout = html.Div("runs at import", id="main")
app.run(debug=True)
app.server.run(port=8050)
if "run_server" in dir(type(app)):  # Dash 2 (obsolete in Dash 3: raises)
    app.run_server(port=8050)
