"""The floor of a bundle, for BenchmarkIssue7: the same Python doing only the work no bundler can avoid.

Starts, imports the app, calls create_app() and renders the index page, the layout and the dependencies
through the app's own Flask test client, then exits the way extract.py does. Everything else a bundle does
(copying, hashing, writing, the manifest) has to hide inside the margin over this.

usage: floor.py SOURCE_DIR [PATH ...]
PATHs (relative to the app's prefix) default to the index, the layout and the dependencies; BenchmarkServerSinglePage
asks for the index alone, the first request of a cold start.
"""

import importlib.util
import os
import sys


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
    client = app.server.test_client()
    prefix = app.config.requests_pathname_prefix
    for path in sys.argv[2:] or ("", "_dash-layout", "_dash-dependencies"):
        resp = client.get(prefix + path)
        if resp.status_code != 200:
            sys.exit(f"{prefix + path} answered {resp.status_code}")
        resp.get_data()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
