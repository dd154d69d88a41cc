"""Classic multi-page OpenDash example, as Dash's docs wrote them before Dash Pages: this module only makes
the app; index.py imports it, sets the layout and routes URLs with dcc.Location.

Run locally with `python index.py`; bundle with `open-dash bundle --source examples/classic --app index:app`.
"""

import dash

# The pages' components are not in the first layout: their callbacks are registered anyway.
app = dash.Dash(__name__, suppress_callback_exceptions=True, title="OpenDash classic")
server = app.server  # for `gunicorn index:server`
