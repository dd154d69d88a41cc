"""Fake Dash for OpenDash tests: the subset of dash.Dash the extraction relies on."""

import json
import os

import flask

from ._components import Input, Output  # noqa: F401 (dash.Input, dash.Output: "id.prop" strings)
from . import dash as _dash_py, resources as _resources  # where Dash reads file times for URLs
from .background_callback.managers import BaseBackgroundCallbackManager, DiskcacheManager  # noqa: F401

__version__ = "9.9.9"
page_registry = {}
_HERE = os.path.dirname(os.path.abspath(__file__))


class _Config(dict):
    __getattr__ = dict.get


class Dash:
    def __init__(self, name=None, url_base_pathname=None, assets_folder="assets", serve_locally=True,
                 use_pages=False, debug_tools=False, extra_route=None, assets_ignore="", server=None,
                 **_ignored):
        root = flask.helpers.get_root_path(name or "__main__")
        prefix = url_base_pathname or "/"
        self.config = _Config(requests_pathname_prefix=prefix, routes_pathname_prefix=prefix,
                              assets_url_path="assets", serve_locally=serve_locally, assets_ignore=assets_ignore,
                              assets_folder=os.path.join(root, assets_folder))
        self.server = server or flask.Flask(name or "__main__")
        self.use_pages = use_pages
        self.layout = None  # as in Dash: the app sets it
        self.registered_paths = {}
        self._callbacks = {}
        self.callback_map = {}  # background callbacks, in Dash's shape: {output: {"background", "manager"}}
        self._background_manager = _ignored.get("background_callback_manager")
        self._dev_tools = {"ui": debug_tools, "serve_dev_bundles": debug_tools}
        self._routes(prefix, extra_route)

    def run(self, *_args, **_kwargs):
        raise RuntimeError("the fake Dash cannot serve: OpenDash must never start a server")

    run_server = run

    def enable_dev_tools(self, debug=False, **_):
        self._dev_tools = {"ui": debug, "serve_dev_bundles": debug}

    def get_asset_url(self, path):
        return self.config.requests_pathname_prefix + "assets/" + path

    def get_relative_path(self, path):
        return self.config.requests_pathname_prefix.rstrip("/") + path

    def _index(self):
        p = self.config.requests_pathname_prefix
        # Registering resources while rendering the index, as Dash does.
        self.registered_paths = {"dash": {"deps/deps.min.js", "dcc/async-graph.js", "dcc/async-graph.js.map"}}
        dev = " dev" if self._dev_tools.get("serve_dev_bundles") else ""
        css = os.path.join(self.config.assets_folder, "style.css")
        css_ts = _resources.asset_ts(css) if os.path.isfile(css) else 1.5
        deps_m = _dash_py.suite_modified(os.path.join(_HERE, "deps", "deps.min.js"))
        # Every page goes through interpolate_index with these keywords, as in Dash.
        return self.interpolate_index(
            title=f"fake{dev}",
            favicon=f'<link rel="icon" href="{p}_favicon.ico?v={__version__}">',
            css=(f'<link rel="stylesheet" href="{p}assets/style.css?m={css_ts}">'
                 f'<link rel="stylesheet" href="https://cdn.example.com/x.css">'),
            app_entry="<div id=react-entry-point></div>",
            scripts=f'<script src="{p}_dash-component-suites/dash/deps/deps.v9_9_9m{deps_m}.min.js"></script>',
            metas="", config="", renderer="")

    def interpolate_index(self, metas="", title="", css="", config="", scripts="", app_entry="", favicon="",
                          renderer=""):
        return (f"<!DOCTYPE html><html><head>{metas}<title>{title}</title>{favicon}{css}</head>"
                f"<body>{app_entry}{config}{scripts}{renderer}</body></html>")

    def callback(self, output, *inputs, background=False, manager=None, progress=None):
        """Registers fn as the server callback of output ("id.prop") from inputs ("id.prop" each); a
        background one is also registered with the managers, as Dash does (it is not served here)."""
        def register(fn):
            self._callbacks[output] = (fn, inputs)
            if background:
                spec = {"manager": manager} if manager else {}
                spec["key"] = BaseBackgroundCallbackManager.register_func(fn, progress is not None, output)
                self.callback_map[output] = {"background": spec, "manager": manager}
            return fn
        return register

    def clientside_callback(self, _code, output, *inputs):
        """Registers a callback the browser runs: listed in the dependencies, never called here."""
        self._callbacks[output] = (None, inputs)

    def _dependencies(self):
        deps = []
        for output, (fn, inputs) in sorted(self._callbacks.items()):
            ins = [dict(zip(("id", "property"), i.rsplit(".", 1))) for i in inputs]
            # Dash names a clientside callback's function here (inline code gets a generated name).
            clientside = None if fn else {"namespace": "_dashprivate_clientside_funcs", "function_name": "f"}
            deps.append({"output": output, "inputs": ins, "state": [], "clientside_function": clientside})
        return flask.jsonify(deps)

    def _dispatch(self):
        body = flask.request.get_json()
        fn, _ = self._callbacks[body["output"]]  # an unknown output raises: 500, as Dash answers
        value = fn(*[i.get("value") for i in body.get("inputs", [])])
        out_id, prop = body["output"].rsplit(".", 1)
        return flask.jsonify({"multi": True, "response": {out_id: {prop: value}}})

    def _routes(self, prefix, extra_route):
        s = self.server
        s.add_url_rule(prefix, "index", self._index)
        s.add_url_rule(prefix + "<path:path>", "catchall", lambda path: self._index())
        s.add_url_rule(prefix + "_dash-layout", "layout", lambda: flask.jsonify(self.layout))
        s.add_url_rule(prefix + "_dash-dependencies", "deps", self._dependencies)
        s.add_url_rule(prefix + "_dash-update-component", "update", self._dispatch, methods=["POST"])
        s.add_url_rule(prefix + "_favicon.ico", "favicon",
                       lambda: flask.Response(b"\x00\x00\x01\x00fake-icon", mimetype="image/x-icon"))
        s.add_url_rule(prefix + "_dash-component-suites/<string:package_name>/<path:fingerprinted_path>",
                       "suites", lambda package_name, fingerprinted_path: "")
        # The assets folder is a blueprint's static folder, as in Dash.
        s.register_blueprint(flask.Blueprint(prefix.replace("/", "_") + "dash_assets", __name__,
                                             static_folder=self.config.assets_folder,
                                             static_url_path=prefix + "assets"))
        if extra_route:
            s.add_url_rule(extra_route, "extra", lambda **kw: json.dumps(kw), methods=["GET", "POST"])
