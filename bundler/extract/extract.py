"""OpenDash extraction, run by `open-dash bundle` inside the user's Python.

Imports the app, calls create_app() (never in debug mode) and asks the app's own Flask server, through its
test client, for everything the static site must answer: the index page (and one per Dash Pages page), the
layout, the dependencies and whatever the index page links to, always as an anonymous browser would: what
the app refuses stays a server route (access.py). Files that exist on disk (component suites, and the assets
and Flask static files the app serves anonymously) are only reported, for the Go side to copy. Nothing here
starts a server or writes outside OUT_DIR.

usage: extract.py SOURCE_DIR OUT_DIR JOB_JSON
JOB_JSON: {"publicUrl": str, "sourceMaps": bool, "versions": [distribution names to report],
           "check": [requirement lines to check before importing the app] or null,
           "specs": [requirement lines to compare with the installed versions (report's "disagree")],
           "app": {"module": str, "attribute": str, "call": bool} (--app), "timeout": seconds,
           "bodyHashScript": the body-hash script's path below the prefix, tagged into every page,
           "originPlaceholder": the origin pages are rendered against without publicUrl}

It talks to the Go side through the original stdout, one JSON object per line, as soon as each thing is
known (so Go copies files while Python still works): {"event": "requirements", ...} (then it stops if
something is missing: pip must run first), {"event": "loaded", ...} once the app is imported,
{"event": "copy", ...} per file to copy, and last
{"event": "report", "ok": true, ...} or {"event": "report", "ok": false, "error": {...}}. The app's own
prints go to stderr. distributions and import_paths come from installed.py, check_requirements from
requirements.py, Failure and load_app from loadapp.py, the Access mixin from access.py, background_callbacks
from the background callback manager (bundler/background): Go prepends them to this script.
"""

import hashlib
import importlib.util
import json
import os
import re
import sys
import time
import traceback
import urllib.parse

USER_ERROR = 3
EVENTS = None  # the channel to Go: a duplicate of the original stdout


def emit(event, **fields):
    EVENTS.write(json.dumps(dict(fields, event=event), sort_keys=True) + "\n")
    EVENTS.flush()


class Extractor(Access):  # noqa: F821 (access.py)
    def __init__(self, app, out_dir, public_url, source_maps, placeholder="https://opendash-site-origin.invalid"):
        self.app, self.out_dir, self.source_maps = app, out_dir, source_maps
        # Without --public-url the site's origin is known only at deploy time: pages are rendered against a
        # placeholder origin, and the files that name it are marked for the deploy and the preview to fill in.
        self.base_url = public_url or placeholder
        self.placeholder_host = b"" if public_url else urllib.parse.urlsplit(placeholder).netloc.encode()
        cfg = app.config
        self.req_prefix = cfg.requests_pathname_prefix
        self.routes_prefix = cfg.routes_pathname_prefix
        self.client = app.server.test_client()
        app.server.config["PROPAGATE_EXCEPTIONS"] = True  # a failing render shows its traceback
        self.rendered, self.copied, self.server_routes, self.warnings = [], [], [], []
        self.keys = set()
        self.pages_text = []  # rendered index pages and layout, to find the assets they name

    # -- helpers -------------------------------------------------------------------------------
    def flask_path(self, browser_path):
        """The server path for a URL the browser requests (the two prefixes differ behind a proxy); a URL
        outside the app's prefix (Flask's /static of an app at /dash/) is the same for both."""
        if not browser_path.startswith(self.req_prefix):
            return browser_path
        return self.routes_prefix + browser_path[len(self.req_prefix):]

    def get(self, browser_path, what):
        try:
            resp = self.client.get(self.flask_path(browser_path), base_url=self.base_url)
        except BaseException:
            raise Failure("render", f"rendering {what} ({browser_path}) raised", traceback.format_exc())
        return resp

    def save(self, key, file, resp, kind):
        if not plain_key(key) or not plain_key(file):
            # "a/../b" (a page path, a link's %2e%2e) names no file of its own: the server answers it.
            self.warnings.append(f"/{key} ({kind}) is not a plain path (empty, . or .. segments): the server answers it")
            return False
        path = os.path.join(self.out_dir, *file.split("/"))
        os.makedirs(os.path.dirname(path), exist_ok=True)
        data = resp.get_data()
        if kind in ("index", "page", "layout"):
            self.pages_text.append(data)
        with open(path, "wb") as fh:
            fh.write(data)
        # Hashed here, from the bytes just written, so Go never reads the file back.
        self.rendered.append({"key": key, "file": file, "contentType": resp.content_type, "kind": kind,
                              "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                              "siteOrigin": bool(self.placeholder_host) and self.placeholder_host in data})
        self.keys.add(key)
        return True

    def render(self, browser_path, key, file, kind):
        """Saves what the app answers an anonymous browser; None when it refuses (the server answers then)."""
        resp = self.get(browser_path, kind)
        if resp.status_code != 200:
            self.refuse(browser_path, resp)
            return None
        return resp if self.save(key, file, resp, kind) else None

    # -- steps ---------------------------------------------------------------------------------
    def index(self):
        key = "index.html" if self.req_prefix == "/" else self.req_prefix.lstrip("/")
        file = (self.req_prefix.lstrip("/") + "index.html")
        resp = self.render(self.req_prefix, key, file, "index")
        if resp is None:  # protected: still read (never saved) for the scripts and assets it links
            html = self.render_unsaved(self.req_prefix, "the index page")
            self.pages_text.append(html.encode())
            return html
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

        suites = self.req_prefix + "_dash-component-suites/"
        for url in linked_urls(index_html):
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
                        self.refuse(path, resp)

    def copy_suite_file(self, key, namespace, rel, fingerprinted):
        module = sys.modules.get(namespace)
        if module is None or not getattr(module, "__file__", None):
            self.warnings.append(f"{key}: component suite {namespace} is not an imported package")
            return
        source = os.path.join(os.path.dirname(module.__file__), *rel.split("/"))
        if not os.path.isfile(source):
            self.warnings.append(f"{key}: {namespace} has no file {rel} (a broken install?)")
            return
        self.copy(key, source, fingerprinted)

    def copy(self, key, source, fingerprinted):
        """Reports a file to copy at once, with the size and mtime Dash saw (its fingerprint)."""
        if not plain_key(key):
            self.warnings.append(f"/{key} is not a plain path (empty, . or .. segments): the server answers it")
            return
        st = os.stat(source)
        item = {"key": key, "source": source, "fingerprinted": fingerprinted, "size": st.st_size,
                "mtimeNs": st.st_mtime_ns}
        self.copied.append(item)
        self.keys.add(key)
        emit("copy", **item)

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
        """The assets folder's files, each asked for anonymously: what the app refuses stays behind it."""
        folder = self.app.config.assets_folder
        if not folder or not os.path.isdir(folder):
            return
        ignored = self.ignore_filters()

        def keep(rel, url):
            # assets_ignore keeps a file out of the page; ship it only if a page or the layout names it.
            return not ignored(rel.rsplit("/", 1)[-1], rel) or any(url.encode() in text for text in self.pages_text)
        self.ship_folder(folder, lambda rel: urllib.parse.urlsplit(self.app.get_asset_url(rel)).path, "an asset", keep)

    def ignore_filters(self):
        """A predicate for Dash's assets_ignore (file names) and assets_path_ignore (folders, Dash 3+)."""
        cfg = self.app.config
        names = re.compile(cfg.get("assets_ignore")) if cfg.get("assets_ignore") else None
        folders = [re.compile(p) for p in (cfg.get("assets_path_ignore") or []) if p]

        def ignored(name, rel):
            parts = rel.split("/")[:-1]
            return bool((names and names.search(name)) or any(f.search(p) for f in folders for p in parts))
        return ignored

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

    def flask_routes(self, static_shipped=False):
        """Routes only the server can answer: callbacks and whatever the app added to its Flask server."""
        dash_static = {self.routes_prefix + name for name in
                       ("", "<path:path>", "_dash-layout", "_dash-dependencies", "_favicon.ico", "_reload-hash")}
        for rule in sorted(self.app.server.url_map.iter_rules(), key=lambda r: r.rule):
            methods = sorted(m for m in (rule.methods or ()) if m not in ("HEAD", "OPTIONS"))
            if rule.rule in dash_static or rule.rule.startswith(self.routes_prefix + "_dash-component-suites/"):
                continue
            if rule.endpoint.endswith("dash_assets.static"):
                continue
            if rule.endpoint == "static" and (static_shipped or not os.path.isdir(self.app.server.static_folder or "")):
                continue  # Flask's static folder is on S3 (flask_static), or there is none behind the route
            if not self.answers(rule, (methods or ["GET"])[0]):
                continue  # another rule wins every path of this one: it never answers
            browser = self.browser_path_of(rule.rule)
            kind = "dash-callback" if rule.rule.startswith(self.routes_prefix + "_dash-") else "flask-route"
            self.server_routes.append({"path": browser, "kind": kind, "methods": methods})


def plain_key(key):
    """Whether a slash-separated key names a file below the output folder: no empty, . or .. segment (a
    trailing slash, the index of a prefixed app, is fine)."""
    parts = key[:-1].split("/") if key.endswith("/") else key.split("/")
    return bool(key) and not key.startswith("/") and all(p not in ("", ".", "..") for p in parts)


def prefetch(source_maps):
    """Names the files Dash's own libraries serve in every app (the renderer and its React, dcc, html,
    dash_table, plotly.js) as soon as they can be known (plotly.js at once, the others right after importing
    dash): Go copies them while the app's own import still runs, and moves each into place when its URL is
    reported. Mirrors what Dash.index() registers; a wrong
    guess only costs a copy Go discards, and any surprise in Dash's internals just skips the head start."""
    roots = {}

    def names(entries):
        for entry in entries:
            if entry.get("external_only") or entry.get("dev_only"):
                continue
            namespace, rels = entry.get("namespace"), entry.get("relative_package_path") or []
            if namespace not in roots:
                spec = importlib.util.find_spec(namespace)  # locates plotly without importing it
                roots[namespace] = os.path.dirname(spec.origin) if spec and spec.origin else None
            for rel in [rels] if isinstance(rels, str) else rels:
                path = os.path.join(roots[namespace] or "", *rel.split("/"))
                if roots[namespace] and (source_maps or not rel.endswith(".map")) and os.path.isfile(path):
                    # Its URL's folder, for an app at "/" (most are): Go makes it while Python works.
                    near = "/".join(["_dash-component-suites", namespace] + rel.split("/")[:-1])
                    emit("prefetch", source=path, near=near)

    try:
        # plotly.js, the largest file, needs no import to be found: Go starts on it while dash imports.
        names([{"relative_package_path": "package_data/plotly.min.js", "namespace": "plotly"}])
        import dash  # the app's first import anyway
        from dash import _dash_renderer, dash_table, dcc, html

        names({k: v["prod"] if isinstance(v, dict) else v for k, v in e.items()}
              for e in _dash_renderer._js_dist_dependencies)
        names(list(_dash_renderer._js_dist) + list(dcc._js_dist) + list(html._js_dist) + list(dash_table._js_dist))
    except Exception:
        pass


def run(source, out_dir, job):
    os.chdir(source)
    sys.path.insert(0, source)
    os.environ["DASH_DEBUG"] = "false"
    prefetch(bool(job.get("sourceMaps")))
    app, entry, load_warnings = load_app(source, job, out_dir)
    import dash

    ex = Extractor(app, out_dir, job.get("publicUrl") or "", bool(job.get("sourceMaps")), job["originPlaceholder"])
    ex.warnings.extend(load_warnings)
    disable_dev_tools(app, ex.warnings)
    if job.get("bodyHashScript"):
        install_body_hash(app, job["bodyHashScript"])  # noqa: F821 (opendash_bodyhash.py)
        ex.keys.add((ex.req_prefix + job["bodyHashScript"]).lstrip("/"))  # Go writes it, not the app
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
    static_shipped = ex.flask_static()
    ex.pages()
    ex.flask_routes(static_shipped)
    if not app.config.serve_locally:
        ex.warnings.append("serve_locally=False: Dash's scripts load from a public CDN, not from your "
                           "CloudFront distribution; browsers need access to that CDN")
    background = background_report(app)
    ex.warnings.extend(GUARD.warnings())  # noqa: F821 (loadapp.py)
    installed, must_pin = distributions(app, job.get("versions") or [])
    return {
        "ok": True,
        "entry": entry,
        "dashVersion": dash.__version__,
        "pythonVersion": "%d.%d.%d" % sys.version_info[:3],
        "requestsPathnamePrefix": ex.req_prefix,
        "routesPathnamePrefix": ex.routes_prefix,
        "usePages": bool(getattr(app, "use_pages", False)),
        "serveLocally": bool(app.config.serve_locally),
        "rendered": ex.rendered,
        "copied": ex.copied,
        "serverRoutes": ex.server_routes,
        "backgroundCallbacks": background,
        "installed": installed,
        "mustPin": must_pin,
        "disagree": disagreements(job.get("specs") or [], installed),  # noqa: F821 (requirements.py)
        "warnings": ex.warnings,
        "importPaths": import_paths(source),
        "executable": os.path.realpath(sys.executable),
    }


def background_report(app):
    """The app's background callbacks with their managers' class names (the manifest's
    app.backgroundCallbacks). A manager whose cache sits in the app's own folder wrote there while the app
    started: writes.py's guard reports that, with the fix."""
    found = []
    for output, manager in background_callbacks(app):  # noqa: F821 (background.py)
        found.append({"output": output, "manager": type(manager).__name__ if manager is not None else ""})
    return found


def check(lines):
    """Emits whether the requirements are already installed; returns False when pip must run first."""
    started = time.perf_counter()
    try:
        checked, missing = check_requirements(lines)  # noqa: F821 (requirements.py)
        undecided = ""
    except Undecidable as exc:  # noqa: F821
        checked, missing, undecided = 0, [], str(exc)
    except Exception as exc:  # a metadata file this reader trips on: pip decides, as it always did
        checked, missing, undecided = 0, [], f"{type(exc).__name__}: {exc}"
    satisfied = not missing and not undecided
    emit("requirements", satisfied=satisfied, checked=checked, missing=missing, undecided=undecided,
         seconds=round(time.perf_counter() - started, 6))
    return satisfied


def main():
    global EVENTS
    # Our channel is the original stdout; the app's prints (and C-level writes to fd 1) go to stderr.
    EVENTS = os.fdopen(os.dup(1), "w", encoding="utf-8")
    os.dup2(2, 1)
    source, out_dir, job = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
    status = 0
    if job.get("check") is not None and not check(job["check"]):
        os._exit(0)
    try:
        report = run(source, out_dir, job)
    except Failure as failure:
        kind, message = failure.kind, failure.message
        if GUARD is not None and GUARD.refused and kind in ("import_app", "create_app_raised", "render"):  # noqa: F821
            kind = "read_only"  # most likely what made it fail: say so first
            message += "; the app writes %s inside its own folder, which is read-only while bundling, as on AWS " \
                       "Lambda" % ", ".join(GUARD.refused[:3])  # noqa: F821
        report = {"ok": False, "error": {"kind": kind, "message": message, "traceback": failure.tb or ""}}
        status = USER_ERROR
    emit("report", **report)
    os._exit(status)  # skip atexit hooks and non-daemon threads the app may have started


if __name__ == "__main__":
    main()
