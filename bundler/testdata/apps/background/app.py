# Background callbacks: one with the app's own manager (its cache inside the app folder, as in Dash's
# examples: read-only on Lambda), one with the app-wide default manager.
import os

from dash import Dash, DiskcacheManager, html


class Cache:
    """Stands in for diskcache.Cache("./cache") (the stand-in Dash needs no diskcache)."""

    directory = os.path.abspath("cache")


def create_app():
    manager = DiskcacheManager(Cache())
    app = Dash(__name__, background_callback_manager=manager)
    app.layout = html.Div([html.Button("Run", id="run"), html.Div(id="result"), html.Div(id="other")])

    @app.callback("result.children", "run.n_clicks", background=True, manager=manager, progress="bar.value")
    def work(set_progress, n):
        set_progress(50)
        return "done %s" % n

    @app.callback("other.children", "run.n_clicks", background=True)
    def other(n):
        return n

    @app.callback("plain.children", "run.n_clicks")
    def plain(n):
        return n

    return app
