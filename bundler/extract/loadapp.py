"""Loading the user's app for the OpenDash extraction (Go prepends this to extract.py).

load_app imports SOURCE/app.py, calls create_app() and checks what it returned; every problem becomes a
Failure whose kind the Go side turns into a hint (bundler/extract/extract.go).
"""

import importlib.util
import os
import sys
import traceback


class Failure(Exception):
    def __init__(self, kind, message, tb=None):
        super().__init__(message)
        self.kind, self.message, self.tb = kind, message, tb


def load_app(source):
    """Import SOURCE/app.py as module `app` and return create_app()'s Dash app."""
    try:
        import dash
        import flask
    except ImportError as exc:
        raise Failure("dash_missing", f"cannot import Dash in {sys.executable}: {exc}")
    install_content_times()  # noqa: F821 (opendash_times.py: URLs follow file content, as in the server)
    app_file = os.path.join(source, "app.py")
    spec = importlib.util.spec_from_file_location("app", app_file)
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        where = f"{exc.filename}:{exc.lineno}" if exc.filename else app_file
        raise Failure("syntax", f"syntax error in {where}: {exc.msg}", traceback.format_exc())
    except BaseException:  # the app's own import failed: show its traceback, whatever it raised
        raise Failure("import_app", f"importing {app_file} failed", traceback.format_exc())
    create_app = getattr(module, "create_app", None)
    if not callable(create_app):
        raise Failure("no_create_app", f"{app_file} defines no create_app() function")
    try:
        app = create_app()
    except BaseException:
        raise Failure("create_app_raised", f"create_app() in {app_file} raised", traceback.format_exc())
    if not isinstance(app, dash.Dash):
        kind = f"{type(app).__module__}.{type(app).__qualname__}"
        raise Failure("not_dash", f"create_app() in {app_file} returned {kind}, not a dash.Dash")
    if not isinstance(app.server, flask.Flask):
        kind = type(app.server).__name__
        raise Failure("backend", f"the app's server is {kind}; OpenDash deploys Dash's Flask backend only")
    return app


LINK_ATTRS = {"script": "src", "link": "href", "img": "src", "source": "src"}


def linked_urls(page):
    """The URLs the browser loads while parsing the index page (html.parser is imported here: Dash apps do
    not import it, and the start of this script is on the bundle's critical path)."""
    import html.parser

    urls = []

    class Collector(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            wanted = LINK_ATTRS.get(tag)
            urls.extend(value for name, value in attrs if name == wanted and value)

    Collector().feed(page)
    return urls


def disable_dev_tools(app, warnings):
    tools = getattr(app, "_dev_tools", {}) or {}
    if any(tools.get(k) for k in ("ui", "serve_dev_bundles", "hot_reload", "props_check")):
        app.enable_dev_tools(debug=False, dev_tools_ui=False, dev_tools_props_check=False,
                             dev_tools_serve_dev_bundles=False, dev_tools_hot_reload=False)
        warnings.append("create_app() turned Dash dev tools on; the bundle was built without them "
                        "(debug mode loads development bundles and calls dash-version.plotly.com)")
