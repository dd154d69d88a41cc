"""Background callbacks on OpenDash: a 5-second job with progress and a running state, a cancel button and
a job that fails. Locally Dash runs them with DiskcacheManager; deployed (and in `open-dash preview`) the
server function runs each as a job of its own with OpenDash's manager, the app unchanged.

Run locally: python app.py
"""
import os
import tempfile
import time

import diskcache
from dash import Dash, DiskcacheManager, Input, Output, callback, html

STEPS = 10
STEP_SECONDS = float(os.environ.get("STEP_SECONDS", "0.5"))  # 10 steps: a 5 s job

# The cache lives in the temporary folder: the app's own folder is read-only on AWS Lambda.
manager = DiskcacheManager(diskcache.Cache(os.path.join(tempfile.gettempdir(), "background-example")))
app = Dash(__name__, background_callback_manager=manager)
app.layout = html.Div([
    html.H1("Background callbacks"),
    html.Button("Run", id="run"),
    html.Button("Cancel", id="cancel"),
    html.Progress(id="progress", value="0", max=str(STEPS)),
    html.Div("idle", id="status"),
    html.Div("not run", id="result"),
    html.Button("Fail", id="fail"),
    html.Div("no error", id="error"),
])


@app.callback(
    Output("result", "children"),
    Input("run", "n_clicks"),
    background=True,
    running=[(Output("run", "disabled"), True, False), (Output("status", "children"), "running", "idle")],
    progress=[Output("progress", "value")],
    cancel=[Input("cancel", "n_clicks")],
    prevent_initial_call=True,
)
def run(set_progress, n_clicks):
    for step in range(1, STEPS + 1):
        time.sleep(STEP_SECONDS)
        set_progress(str(step))
    return "done after %d steps (run %d)" % (STEPS, n_clicks)


def show_error(err):
    return "failed: %s" % str(err).splitlines()[0]


# dash.callback (not app.callback): registered globally, run with the app's default manager.
@callback(Output("error", "children"), Input("fail", "n_clicks"), background=True, on_error=show_error,
          prevent_initial_call=True)
def fail(n_clicks):
    raise ValueError("the input %d is not accepted" % n_clicks)


if __name__ == "__main__":
    app.run(debug=False)
