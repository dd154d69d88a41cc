"""OpenDash extraction, run by `open-dash bundle` inside the user's Python.

Imports the app, calls create_app() (never in debug mode) and asks the app's own Flask server, through its
test client, for everything the static site must answer: the index page (and one per Dash Pages page), the
layout, the dependencies and whatever the index page links to. Files that exist on disk (component suites,
assets) are only reported, for the Go side to copy. Nothing here starts a server or writes outside OUT_DIR.

usage: extract.py SOURCE_DIR OUT_DIR REPORT_FILE [--public-url URL] [--source-maps]
Exit status 0 with {"ok": true, ...} in REPORT_FILE, 3 with {"ok": false, "error": {...}} for a user error.
"""

import html.parser
import importlib.util
import json
import os
import sys
import traceback
import urllib.parse

USER_ERROR = 3


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


class LinkCollector(html.parser.HTMLParser):
    """Collects the URLs the browser loads while parsing the index page."""

    ATTRS = {"script": "src", "link": "href", "img": "src", "source": "src"}

    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        wanted = self.ATTRS.get(tag)
        for name, value in attrs:
            if name == wanted and value:
                self.urls.append(value)


def disable_dev_tools(app, warnings):
    tools = getattr(app, "_dev_tools", {}) or {}
    if any(tools.get(k) for k in ("ui", "serve_dev_bundles", "hot_reload", "props_check")):
        app.enable_dev_tools(debug=False, dev_tools_ui=False, dev_tools_props_check=False,
                             dev_tools_serve_dev_bundles=False, dev_tools_hot_reload=False)
        warnings.append("create_app() turned Dash dev tools on; the bundle was built without them "
                        "(debug mode loads development bundles and calls dash-version.plotly.com)")


class Extractor:
    def __init__(self, app, out_dir, public_url, source_maps):
        self.app, self.out_dir, self.source_maps = app, out_dir, source_maps
        self.base_url = public_url or "http://localhost"
        cfg = app.config
        self.req_prefix = cfg.requests_pathname_prefix
        self.routes_prefix = cfg.routes_pathname_prefix
        self.client = app.server.test_client()
        app.server.config["PROPAGATE_EXCEPTIONS"] = True  # a failing render shows its traceback
        self.rendered, self.copied, self.server_routes, self.warnings = [], [], [], []
        self.keys = set()

    # -- helpers -------------------------------------------------------------------------------
    def flask_path(self, browser_path):
        """The server path for a URL the browser requests (the two prefixes differ behind a proxy)."""
        return self.routes_prefix + browser_path[len(self.req_prefix):]

    def get(self, browser_path, what):
        try:
            resp = self.client.get(self.flask_path(browser_path), base_url=self.base_url)
        except BaseException:
            raise Failure("render", f"rendering {what} ({browser_path}) raised", traceback.format_exc())
        return resp

    def save(self, key, file, resp, kind):
        path = os.path.join(self.out_dir, *file.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as fh:
            fh.write(resp.get_data())
        self.rendered.append({"key": key, "file": file, "contentType": resp.content_type, "kind": kind})
        self.keys.add(key)

    def render(self, browser_path, key, file, kind):
        resp = self.get(browser_path, kind)
        if resp.status_code != 200:
            body = resp.get_data(as_text=True)[:2000]
            raise Failure("render", f"{browser_path} answered {resp.status_code} while bundling {kind}:\n{body}")
        self.save(key, file, resp, kind)
        return resp

    # -- steps ---------------------------------------------------------------------------------
    def index(self):
        key = "index.html" if self.req_prefix == "/" else self.req_prefix.lstrip("/")
        file = (self.req_prefix.lstrip("/") + "index.html")
        resp = self.render(self.req_prefix, key, file, "index")
        return resp.get_data(as_text=True)

    def layout_and_dependencies(self):
        if callable(getattr(self.app, "_layout", None)) or callable(self.app.layout):
            self.server_routes.append({"path": self.req_prefix + "_dash-layout", "kind": "dynamic-layout",
                                       "methods": ["GET"]})
        else:
            self.render(self.req_prefix + "_dash-layout", self.req_prefix.lstrip("/") + "_dash-layout",
                        self.req_prefix.lstrip("/") + "_dash-layout", "layout")
        self.render(self.req_prefix + "_dash-dependencies", self.req_prefix.lstrip("/") + "_dash-dependencies",
                    self.req_prefix.lstrip("/") + "_dash-dependencies", "dependencies")

    def linked(self, index_html):
        """Every same-site URL in the index page: suites and assets are copied, anything else rendered."""
        from dash.fingerprint import check_fingerprint

        parser = LinkCollector()
        parser.feed(index_html)
        suites = self.req_prefix + "_dash-component-suites/"
        for url in parser.urls:
            parts = urllib.parse.urlsplit(url)
            if parts.scheme or parts.netloc:
                continue  # a CDN or another site: not ours to serve
            path = urllib.parse.unquote(urllib.parse.urljoin(self.req_prefix, parts.path))
            key = path.lstrip("/")
            if key in self.keys:
                continue
            if path.startswith(suites):
                namespace, _, fingerprinted = path[len(suites):].partition("/")
                rel, has_fingerprint = check_fingerprint(fingerprinted)
                self.copy_suite_file(key, namespace, rel, has_fingerprint)
            elif path.startswith(self.req_prefix):
                if self.asset_file(path) is None:
                    resp = self.get(path, "a URL in the index page")
                    if resp.status_code == 200:
                        self.save(key, key, resp, "linked")
                    else:
                        self.warnings.append(f"the index page links {url}, which answers {resp.status_code}")

    def copy_suite_file(self, key, namespace, rel, fingerprinted):
        module = sys.modules.get(namespace)
        if module is None or not getattr(module, "__file__", None):
            self.warnings.append(f"{key}: component suite {namespace} is not an imported package")
            return
        source = os.path.join(os.path.dirname(module.__file__), *rel.split("/"))
        if not os.path.isfile(source):
            self.warnings.append(f"{key}: {namespace} has no file {rel} (a broken install?)")
            return
        self.copied.append({"key": key, "source": source, "fingerprinted": fingerprinted})
        self.keys.add(key)

    def suites(self, linked_files):
        """Every registered suite file, unfingerprinted, that the index page does not already link.

        The renderer and the component libraries load these after page load (async-*.js chunks, plotly.min.js)
        by URLs their JavaScript builds, always without a fingerprint."""
        suites = self.req_prefix.lstrip("/") + "_dash-component-suites/"
        for namespace in sorted(self.app.registered_paths):
            for rel in sorted(self.app.registered_paths[namespace]):
                if (namespace, rel) in linked_files:
                    continue
                if rel.endswith(".map") and not self.source_maps:
                    continue
                self.copy_suite_file(f"{suites}{namespace}/{rel}", namespace, rel, False)

    def asset_file(self, browser_path):
        """The file behind an assets URL, or None when the URL is not under the assets path."""
        prefix = self.app.get_asset_url("x")[:-1]
        if not browser_path.startswith(prefix):
            return None
        return os.path.join(self.app.config.assets_folder, *browser_path[len(prefix):].split("/"))

    def assets(self):
        folder = self.app.config.assets_folder
        if not folder or not os.path.isdir(folder):
            return
        for root, dirs, files in os.walk(folder):
            dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
            for name in sorted(files):
                if name.startswith(".") or name.endswith(".pyc"):
                    continue
                source = os.path.join(root, name)
                rel = os.path.relpath(source, folder).replace(os.sep, "/")
                key = urllib.parse.urlsplit(self.app.get_asset_url(rel)).path.lstrip("/")
                if key not in self.keys:
                    self.copied.append({"key": key, "source": source, "fingerprinted": False})
                    self.keys.add(key)

    def pages(self):
        if not getattr(self.app, "use_pages", False):
            return
        import dash

        for module, page in dash.page_registry.items():
            path = page.get("path") or "/"
            if page.get("path_template"):
                self.server_routes.append({"path": page["path_template"], "kind": "page-template",
                                           "methods": ["GET"]})
            elif module.split(".")[-1] == "not_found_404":
                self.server_routes.append({"path": path, "kind": "not-found", "methods": ["GET"]})
            elif path != "/":
                browser = page.get("relative_path") or self.app.get_relative_path(path)
                key = browser.strip("/")
                if key in self.keys:
                    self.warnings.append(f"page {module} at {browser} collides with a static file; left to the server")
                    continue
                self.render(browser, key, key + "/index.html", "page")

    def flask_routes(self):
        """Routes only the server can answer: callbacks and whatever the app added to its Flask server."""
        dash_static = {self.routes_prefix + name for name in
                       ("", "<path:path>", "_dash-layout", "_dash-dependencies", "_favicon.ico", "_reload-hash")}
        for rule in sorted(self.app.server.url_map.iter_rules(), key=lambda r: r.rule):
            methods = sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
            if rule.rule in dash_static or rule.rule.startswith(self.routes_prefix + "_dash-component-suites/"):
                continue
            if rule.endpoint.endswith("dash_assets.static"):
                continue
            if rule.endpoint == "static" and not os.path.isdir(self.app.server.static_folder or ""):
                continue  # Flask's default static route, with no static folder behind it
            browser = self.req_prefix + rule.rule[len(self.routes_prefix):] \
                if rule.rule.startswith(self.routes_prefix) else rule.rule
            kind = "dash-callback" if rule.rule.startswith(self.routes_prefix + "_dash-") else "flask-route"
            self.server_routes.append({"path": browser, "kind": kind, "methods": methods})


def distributions(app):
    """Installed distribution versions, and which distributions own the component suites served."""
    import importlib.metadata as md

    installed = {}
    for dist in md.distributions():
        name = dist.metadata["Name"]
        if name:
            installed.setdefault(name, dist.version)
    owners = md.packages_distributions()
    must_pin = {"dash"}
    for namespace in app.registered_paths:
        for owner in owners.get(namespace.split(".")[0], []):
            must_pin.add(owner)
    return installed, sorted(must_pin)


def run(argv):
    source, out_dir, report_file = argv[1:4]
    public_url = argv[argv.index("--public-url") + 1] if "--public-url" in argv else ""
    os.chdir(source)
    sys.path.insert(0, source)
    os.environ["DASH_DEBUG"] = "false"
    app = load_app(source)
    import dash

    ex = Extractor(app, out_dir, public_url, "--source-maps" in argv)
    disable_dev_tools(app, ex.warnings)
    index_html = ex.index()
    ex.layout_and_dependencies()
    ex.linked(index_html)
    from dash.fingerprint import check_fingerprint

    suites = ex.req_prefix + "_dash-component-suites/"
    linked = set()
    for item in ex.copied:
        if ("/" + item["key"]).startswith(suites):
            namespace, _, rest = ("/" + item["key"])[len(suites):].partition("/")
            linked.add((namespace, check_fingerprint(rest)[0]))
    ex.suites(linked)
    ex.assets()
    ex.pages()
    ex.flask_routes()
    if not app.config.serve_locally:
        ex.warnings.append("serve_locally=False: Dash's scripts load from a public CDN, not from your "
                           "CloudFront distribution; browsers need access to that CDN")
    installed, must_pin = distributions(app)
    return {
        "ok": True,
        "dashVersion": dash.__version__,
        "pythonVersion": "%d.%d.%d" % sys.version_info[:3],
        "requestsPathnamePrefix": ex.req_prefix,
        "routesPathnamePrefix": ex.routes_prefix,
        "usePages": bool(getattr(app, "use_pages", False)),
        "serveLocally": bool(app.config.serve_locally),
        "rendered": ex.rendered,
        "copied": ex.copied,
        "serverRoutes": ex.server_routes,
        "installed": installed,
        "mustPin": must_pin,
        "warnings": ex.warnings,
    }


def main():
    report_file = sys.argv[3]
    status = 0
    try:
        report = run(sys.argv)
    except Failure as failure:
        report = {"ok": False, "error": {"kind": failure.kind, "message": failure.message,
                                          "traceback": failure.tb or ""}}
        status = USER_ERROR
    with open(report_file, "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=1, sort_keys=True)
    sys.stdout.flush()
    os._exit(status)  # skip atexit hooks and non-daemon threads the app may have started


if __name__ == "__main__":
    main()
