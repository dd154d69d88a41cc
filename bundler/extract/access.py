"""What an anonymous browser may fetch, for the OpenDash extraction (Go prepends this to extract.py).

The static site is public: only what the app answers with 200 to a request with no cookie and no credentials
may land in it. A URL the app refuses (401, 403, a redirect to a login page, any other status) stays behind
the app: it becomes a server route of kind "protected" with the reason, and nothing of it is written.
Component-suite files are library code from installed packages: they are always static.

The Access mixin also ships Flask's own static folder (/static/<file> by default) like Dash's assets. A file
is shipped only where the app's own routing (url_map.bind(...).match(), which orders rules by their shape,
then by registration) sends its URL to the static view of its folder: an app's own route for the same prefix
(plotly's multi-page recipe adds /static/<path:path>) answers whatever it wins, from the server.
"""

import os


def refusal(browser_path, resp):
    """Why an anonymous request for browser_path did not get a page, in words for the summary."""
    status = resp.status_code
    if 300 <= status < 400:
        where = resp.headers.get("Location") or "somewhere else"
        return f"{browser_path} redirected an anonymous request to {where} ({status})"
    return f"{browser_path} answered {status} to an anonymous request"


def ancestors(rel):
    """The folders holding a slash-separated relative file, outermost first: "a/b/c" -> ["", "a", "a/b"]."""
    parts = rel.split("/")[:-1]
    return ["/".join(parts[:i]) for i in range(len(parts) + 1)]


def visible_files(folder):
    """(source, rel) for every file under folder, sorted, without hidden files, caches and bytecode."""
    for root, dirs, files in os.walk(folder):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d != "__pycache__")
        for name in sorted(files):
            if name.startswith(".") or name.endswith(".pyc"):
                continue
            source = os.path.join(root, name)
            yield source, os.path.relpath(source, folder).replace(os.sep, "/")


# Values of each Werkzeug converter for a path made from a rule (any other converter gets a plain word).
PROBE_VALUES = {"PathConverter": "opendash/probe", "IntegerConverter": 1, "FloatConverter": 1.0,
                "UUIDConverter": "00000000-0000-0000-0000-000000000000"}


class Access:
    """Mixin for Extractor: needs get, copy, flask_path, keys, server_routes, app and req/routes prefixes."""

    def refuse(self, browser_path, resp, reason=None):
        """Leaves a URL the app refuses to anonymous requests to the server."""
        self.server_routes.append({"path": browser_path, "kind": "protected", "methods": ["GET"],
                                   "reason": reason or refusal(browser_path, resp)})

    def anonymous_ok(self, browser_path, what):
        """Asks the app for a URL as an anonymous browser would; returns None when it answers 200, else the
        response (closed: a refused file is never read)."""
        resp = self.get(browser_path, what)
        resp.close()
        return None if resp.status_code == 200 else resp

    def render_unsaved(self, browser_path, what):
        """The HTML of a page the app refuses anonymously, made by its view function directly, as a signed-in
        browser would get it. It is only read for the suite and asset URLs it links, and never written: the
        index page names the fingerprinted scripts that must be on S3 for anyone who signs in."""
        import traceback

        from werkzeug.exceptions import HTTPException

        server = self.app.server
        path = self.flask_path(browser_path)
        try:
            with server.test_request_context(path, base_url=self.base_url):
                try:
                    server.preprocess_request()  # Dash's own setup hook; the app's refusal is ignored
                except HTTPException:
                    pass
                from flask import request

                if request.url_rule is None:
                    raise RuntimeError(f"no route of the app matches {path}")
                view = server.view_functions[request.url_rule.endpoint]
                return server.make_response(view(**(request.view_args or {}))).get_data(as_text=True)
        except BaseException:
            raise Failure("render", f"{browser_path} refuses anonymous requests, and rendering {what} "  # noqa: F821
                          "directly (to learn which Dash scripts it links) raised", traceback.format_exc())

    def browser_path_of(self, rule):
        """The URL a browser requests for a Flask rule (the routes prefix becomes the requests prefix)."""
        if rule.startswith(self.routes_prefix):
            return self.req_prefix + rule[len(self.routes_prefix):]
        return rule

    def url_adapter(self):
        """The app's own URL routing, bound as for the requests the extraction makes."""
        import urllib.parse

        host = urllib.parse.urlsplit(self.base_url).netloc or "localhost"
        return self.app.server.url_map.bind(host, url_scheme=urllib.parse.urlsplit(self.base_url).scheme or "http")

    def endpoint_of(self, browser_path, method="GET"):
        """The endpoint the app's url_map sends a browser path to, or None (no route, a redirect, another method)."""
        try:
            endpoint, _ = self.url_adapter().match(self.flask_path(browser_path), method=method)
        except Exception:  # werkzeug's NotFound, MethodNotAllowed, RequestRedirect
            return None
        return endpoint

    def answers(self, rule, method):
        """False when the app's url_map sends the paths rule matches to another rule, so that it never answers
        (an app's own /static/<path:path> behind Flask's static route, registered first with the same shape).
        Werkzeug orders rules by their shape (static parts, converter weights), not by the values in a path,
        so one path made from the rule tells; a rule no path can be made from is taken to answer."""
        values = {name: PROBE_VALUES.get(type(conv).__name__, "opendash-probe")
                  for name, conv in (getattr(rule, "_converters", None) or {}).items()}
        try:
            built = rule.build(values)
            endpoint, _ = self.url_adapter().match(built[1] if isinstance(built, tuple) else built, method=method)
        except Exception:
            return True
        return endpoint == rule.endpoint

    def served_from(self, browser_path, folder):
        """Whether the app answers browser_path with the static view of folder (Flask's, or a blueprint's such
        as Dash's assets): only then is the file on disk what the URL answers."""
        endpoint = self.endpoint_of(browser_path)
        server = self.app.server
        if endpoint == "static":
            own = server.static_folder
        elif endpoint and endpoint.endswith(".static"):
            blueprint = server.blueprints.get(endpoint[:-len(".static")])
            own = getattr(blueprint, "static_folder", None)
        else:
            return False
        return bool(own) and os.path.realpath(own) == os.path.realpath(folder)

    def ship_folder(self, folder, url_of, what, keep=None):
        """Copies every file of folder the app serves anonymously (url_of(rel) is its URL path) with that
        folder's static view; the others become protected server routes: one per folder when nothing in that
        folder is public, else one each. A URL another route of the app wins is that route's (the server's)."""
        public, refused = set(), []
        for source, rel in visible_files(folder):
            url = url_of(rel)
            key = url.lstrip("/")
            if key in self.keys or (keep is not None and not keep(rel, url)) or not self.served_from(url, folder):
                continue
            resp = self.anonymous_ok(url, what)
            if resp is None:
                self.copy(key, source, False)
                public.update(ancestors(rel))
            else:
                refused.append((rel, url, resp))
        done = set()
        for rel, url, resp in refused:
            top = next((d for d in ancestors(rel) if d not in public), None)
            if top is None:
                self.refuse(url, resp)
                continue
            base = url[:len(url) - len(rel)] + (top + "/" if top else "")
            if base not in done:
                done.add(base)
                self.refuse(base + "<path:path>", resp, refusal(url, resp) + f", as does everything under {base}")

    def flask_static(self):
        """Flask's own static folder (app.server.static_folder at static_url_path, /static by default): its
        files go to S3 under their request keys, like assets. Returns whether the folder was shipped."""
        server = self.app.server
        folder = server.static_folder
        rules = [r for r in server.url_map.iter_rules() if r.endpoint == "static"]
        if not folder or not os.path.isdir(folder) or len(rules) != 1 or not rules[0].rule.endswith("<path:filename>"):
            return False
        prefix = self.browser_path_of(rules[0].rule[:-len("<path:filename>")])
        self.ship_folder(folder, lambda rel: prefix + rel, "a Flask static file")
        return True
