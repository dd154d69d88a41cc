# Background callbacks as Dash's documentation writes them: the cache made at import by a relative path,
# diskcache.Cache("./cache") (the app's folder is read-only on Lambda: the app runs in a writable working
# folder), one callback with that manager, one with the app-wide default manager.
import os
import sqlite3

from dash import Dash, DiskcacheManager, html


class Cache:
    """Stands in for diskcache.Cache (the stand-in Dash needs no diskcache): makes its folder and its SQLite
    database and writes its settings there, as diskcache does."""

    def __init__(self, directory):
        self.directory = directory
        os.makedirs(directory, exist_ok=True)
        db = sqlite3.connect(os.path.join(directory, "cache.db"))
        db.execute("CREATE TABLE IF NOT EXISTS Settings (key TEXT PRIMARY KEY, value)")
        db.execute("INSERT OR REPLACE INTO Settings VALUES ('size_limit', 1073741824)")
        db.commit()
        db.close()


cache = Cache("./cache")
manager = DiskcacheManager(cache)


def create_app():
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
