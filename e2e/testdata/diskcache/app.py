"""Background callbacks in the shape Dash's background-callbacks page gives them (our own text, the same
structure): Celery when REDIS_URL is set, else a diskcache made at import by a relative path; the manager
handed to the callback itself with manager=, and the callback left to run when the page loads. Nothing here
knows about OpenDash."""
import os
import time

from dash import CeleryManager, Dash, DiskcacheManager, Input, Output, callback, html

if "REDIS_URL" in os.environ:
    # Production: a Celery worker with Redis as broker and result backend.
    from celery import Celery

    celery_app = Celery(__name__, broker=os.environ["REDIS_URL"], backend=os.environ["REDIS_URL"])
    background_callback_manager = CeleryManager(celery_app)
else:
    # Local development: jobs in a child process, results on disk.
    import diskcache

    cache = diskcache.Cache("./cache")
    background_callback_manager = DiskcacheManager(cache)

app = Dash(__name__)

app.layout = html.Div(
    [
        html.Div([html.P(id="paragraph_id", children=["Button not clicked"])]),
        html.Button(id="button_id", children="Run Job!"),
    ]
)


@callback(
    output=Output("paragraph_id", "children"),
    inputs=Input("button_id", "n_clicks"),
    background=True,
    manager=background_callback_manager,
)
def update_clicks(n_clicks):
    time.sleep(2.0)
    return [f"Clicked {n_clicks} times"]


if __name__ == "__main__":
    app.run(debug=True)
