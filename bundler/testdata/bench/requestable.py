"""What a browser can request from a Dash app, measured by Dash's own server (for BenchmarkIssue7).

Imports the app like extract.py does, then asks its Flask test client for the index page, every same-site URL
the index page links, the layout, the dependencies and every resource the app registered (the component
suites' files, the async chunks and plotly.min.js that JavaScript requests after load), source maps excepted.
Every file of the assets folder counts too (Dash serves them all; the layout may name any of them). A file
reachable under two URLs (fingerprinted in the index page, plain when requested by a chunk) counts once.
Prints {"bytes": N, "files": N} on stdout.

usage: requestable.py SOURCE_DIR
"""

import html.parser
import importlib.util
import json
import os
import sys
import urllib.parse


class Links(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.urls = []

    def handle_starttag(self, tag, attrs):
        wanted = {"script": "src", "link": "href", "img": "src"}.get(tag)
        self.urls += [v for k, v in attrs if k == wanted and v]


def main():
    source = os.path.abspath(sys.argv[1])
    os.chdir(source)
    sys.path.insert(0, source)
    os.environ["DASH_DEBUG"] = "false"
    spec = importlib.util.spec_from_file_location("app", os.path.join(source, "app.py"))
    module = importlib.util.module_from_spec(spec)
    sys.modules["app"] = module
    spec.loader.exec_module(module)
    app = module.create_app()
    from dash.fingerprint import check_fingerprint

    client = app.server.test_client()
    prefix = app.config.requests_pathname_prefix
    suites = prefix + "_dash-component-suites/"
    sizes = {}  # what a URL names (fingerprint stripped) -> bytes served

    def fetch(path):
        if path.endswith(".map"):
            return
        name = path
        if path.startswith(suites):
            namespace, _, rest = path[len(suites):].partition("/")
            name = suites + namespace + "/" + check_fingerprint(rest)[0]
        if name in sizes:
            return
        resp = client.get(path)
        if resp.status_code == 200:
            sizes[name] = len(resp.get_data())

    index = client.get(prefix)
    sizes[prefix] = len(index.get_data())
    parser = Links()
    parser.feed(index.get_data(as_text=True))
    for url in parser.urls:
        parts = urllib.parse.urlsplit(url)
        if not parts.scheme and not parts.netloc:
            fetch(urllib.parse.urljoin(prefix, parts.path))
    fetch(prefix + "_dash-layout")
    fetch(prefix + "_dash-dependencies")
    for namespace in sorted(app.registered_paths):
        for rel in sorted(app.registered_paths[namespace]):
            fetch(f"{suites}{namespace}/{rel}")
    folder = app.config.assets_folder
    for root, _, files in os.walk(folder if folder and os.path.isdir(folder) else []):
        for name in files:
            rel = os.path.relpath(os.path.join(root, name), folder).replace(os.sep, "/")
            fetch(urllib.parse.urlsplit(app.get_asset_url(rel)).path)
    print(json.dumps({"bytes": sum(sizes.values()), "files": len(sizes)}))
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
