"""Tests of the generated server handler (opendash_handler.py, with opendash_wsgi.py and opendash_load.py)
against a real Flask app. Run by python_test.go with OPENDASH_INDEX_PY pointing at the handler written by
serverfn.Write (the other generated modules beside it). Each test copies the handler and the modules that
read the task root into a fresh task root with the app, as the image holds them, and imports them afresh, as
a new Lambda instance does."""
import base64
import contextlib
import importlib.util
import io
import json
import os
import random
import shutil
import sys
import tempfile
import time
import types
import unittest

INDEX = os.environ["OPENDASH_INDEX_PY"]
FUNCTION_HOST = "abc123.lambda-url.us-east-1.on.aws"

FLASK_APP = '''
import os
from flask import Flask, jsonify, make_response, redirect, request, url_for

FAVICON = bytes(range(256)) * 4
CREATED = []


class FakeDash:
    """Dash exposes its Flask app as .server, which is what the handler drives."""
    def __init__(self, server):
        self.server = server


def create_app():
    CREATED.append(1)
    server = Flask(__name__)
    server.config["PROPAGATE_EXCEPTIONS"] = bool(os.environ.get("TEST_PROPAGATE"))

    @server.get("/hello")
    def hello():
        return jsonify(args=request.args.to_dict(flat=False), host=request.host, url=request.url,
                       accept=request.headers.get("Accept"), remote=request.remote_addr,
                       authorization=request.headers.get("Authorization"),
                       forwarded_auth=request.headers.get("X-Forwarded-Authorization"),
                       email=request.headers.get("X-OpenDash-User-Email"),
                       opendash={k: v for k, v in request.headers.items() if k.lower().startswith("x-opendash-")})

    @server.post("/echo")
    def echo():
        return jsonify(json=request.get_json(), cookies=request.cookies, length=request.content_length)

    @server.get("/cookies")
    def cookies():
        resp = make_response("ok")
        resp.set_cookie("a", "1")
        resp.set_cookie("b", "2", expires="Thu, 01 Jan 2030 00:00:00 GMT")
        return resp

    @server.get("/_favicon.ico")
    def favicon():
        return make_response(FAVICON, 200, {"Content-Type": "image/x-icon"})

    @server.post("/upload")
    def upload():
        return make_response(request.get_data()[::-1], 200, {"Content-Type": "application/octet-stream"})

    @server.get("/boom")
    def boom():
        raise RuntimeError("kaboom from the app")

    @server.get("/go")
    def go():
        return redirect(url_for("hello", _external=True))

    @server.get("/files/<path:name>")
    def files(name):
        return jsonify(name=name)

    return FakeDash(server)
'''


def event(method="GET", path="/", query="", headers=None, cookies=None, body=None, b64=False):
    e = {"version": "2.0", "routeKey": "$default", "rawPath": path, "rawQueryString": query,
         "headers": dict({"host": FUNCTION_HOST}, **(headers or {})),
         "requestContext": {"domainName": FUNCTION_HOST, "http": {
             "method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "203.0.113.9"}},
         "isBase64Encoded": b64}
    if cookies is not None:
        e["cookies"] = cookies
    if body is not None:
        e["body"] = body
    return e


# Imported afresh by every test: the app's modules, and the generated ones that keep an instance's state.
USER_MODULES = ("app", "index", "opendash_entry", "opendash_background", "opendash_jobslots", "opendash_jobstore",
                "opendash_load", "opendash_wsgi")


class HandlerCase(unittest.TestCase):
    APP_SOURCE = FLASK_APP
    FILES = {}    # more modules of the app, by file name
    ENTRY = None  # opendash-app.json; None writes none (the handler then uses app:create_app())

    def setUp(self):
        self.dir = tempfile.mkdtemp()
        for name, text in dict({"app.py": self.APP_SOURCE}, **self.FILES).items():
            os.makedirs(os.path.dirname(os.path.join(self.dir, name)), exist_ok=True)
            with open(os.path.join(self.dir, name), "w") as f:
                f.write(text)
        for generated in ("opendash_entry.py", "opendash_background.py", "opendash_jobslots.py", "opendash_jobstore.py",
                          "opendash_load.py", "opendash_wsgi.py"):
            shutil.copy(os.path.join(os.path.dirname(INDEX), generated), self.dir)
        if self.ENTRY is not None:
            with open(os.path.join(self.dir, "opendash-app.json"), "w") as f:
                json.dump(self.ENTRY, f)
        for var in ("DOMAIN_NAME", "TEST_PROPAGATE"):
            os.environ.pop(var, None)
        for name in USER_MODULES:
            sys.modules.pop(name, None)
        sys.path.insert(0, self.dir)
        self.import_log = io.StringIO()  # what the handler logged while Lambda imported it (INIT)
        self.index = self.load_handler(self.dir)
        self.load = sys.modules["opendash_load"]  # the app's loading: its state is the instance's
        self.stderr = io.StringIO()

    def load_handler(self, folder):
        handler = os.path.join(folder, os.path.basename(INDEX))
        shutil.copy(INDEX, handler)
        spec = importlib.util.spec_from_file_location("opendash_handler_%d" % id(folder), handler)
        module = importlib.util.module_from_spec(spec)
        with contextlib.redirect_stderr(self.import_log):
            spec.loader.exec_module(module)
        return module

    def tearDown(self):
        sys.path.remove(self.dir)
        for name in USER_MODULES:
            sys.modules.pop(name, None)
        shutil.rmtree(self.dir)

    def call(self, ev):
        with contextlib.redirect_stderr(self.stderr):
            resp = self.index.handler(ev, None)
        json.dumps(resp)  # what Lambda does with it: must be serialisable
        return resp

    def json_of(self, resp):
        self.assertFalse(resp["isBase64Encoded"])
        return json.loads(resp["body"])


class FlaskAppTest(HandlerCase):
    def test_dash_reads_content_times(self):
        # Loading the app (at Lambda INIT) first makes Dash's URL times follow content (opendash_times.py).
        fake = types.ModuleType("dash.resources")
        fake.os = os
        sys.modules["dash.resources"] = fake
        try:
            for name in USER_MODULES:
                sys.modules.pop(name, None)
            index = self.load_handler(self.dir)
            self.assertTrue(getattr(fake.os, "opendash_content_times", False))
            self.assertEqual(index.handler(event(path="/files/x.txt"), None)["statusCode"], 200)
        finally:
            sys.modules.pop("dash.resources", None)

    def test_prefix_rewrite(self):
        # What open-dash writes beside the handler when requests_pathname_prefix != routes_pathname_prefix.
        folder = os.path.join(self.dir, "fn")
        os.mkdir(folder)
        with open(os.path.join(folder, "opendash-routes.json"), "w") as fh:
            json.dump({"requestsPathnamePrefix": "/public/", "routesPathnamePrefix": "/"}, fh)
        index = self.load_handler(folder)
        self.assertEqual(index._PREFIX_REWRITE, ("/public/", "/"))
        resp = index.handler(event(path="/public/files/x.txt"), None)
        self.assertEqual(json.loads(resp["body"]), {"name": "x.txt"})
        resp = index.handler(event(path="/files/y.txt"), None)  # outside the prefix: untouched
        self.assertEqual(json.loads(resp["body"]), {"name": "y.txt"})
        self.assertIsNone(self.index._PREFIX_REWRITE)  # no file beside the plain handler

    def test_get_json(self):
        resp = self.call(event(path="/hello", headers={"accept": "text/html, application/json"}))
        self.assertEqual(resp["statusCode"], 200)
        self.assertEqual(resp["headers"]["content-type"], "application/json")
        body = self.json_of(resp)
        self.assertEqual(body["accept"], "text/html, application/json")  # comma-joined multi-value header
        self.assertEqual(body["remote"], "203.0.113.9")
        self.assertTrue(body["url"].startswith("https://"))

    def test_post_json_with_cookies(self):
        payload = json.dumps({"output": "graph.figure", "inputs": [1, 2]})
        for b64 in (False, True):
            body = base64.b64encode(payload.encode()).decode() if b64 else payload
            resp = self.call(event("POST", "/echo", headers={"content-type": "application/json"},
                                   cookies=["a=1", "b=two"], body=body, b64=b64))
            self.assertEqual(resp["statusCode"], 200, resp)
            got = self.json_of(resp)
            self.assertEqual(got["json"], {"output": "graph.figure", "inputs": [1, 2]})
            self.assertEqual(got["cookies"], {"a": "1", "b": "two"})
            self.assertEqual(got["length"], len(payload))

    def test_repeated_query_keys(self):
        resp = self.call(event(path="/hello", query="a=1&a=2&b=x%20y&c"))
        self.assertEqual(self.json_of(resp)["args"], {"a": ["1", "2"], "b": ["x y"], "c": [""]})

    def test_viewer_authorization_reaches_the_app(self):
        # Behind CloudFront, Authorization is AWS's signature; the viewer's comes as x-forwarded-authorization.
        sigv4 = "AWS4-HMAC-SHA256 Credential=AKIA/20261130/us-east-1/lambda/aws4_request, Signature=ab"
        cases = [
            ({"authorization": sigv4, "x-forwarded-authorization": "Basic YWRtaW46czNjcmV0"}, "Basic YWRtaW46czNjcmV0"),
            ({"authorization": sigv4}, None),  # the app never sees AWS's signature
            ({}, None),
        ]
        for headers, want in cases:
            with self.subTest(headers=headers):
                got = self.json_of(self.call(event(path="/hello", headers=headers)))
                self.assertEqual(got["authorization"], want)
                self.assertIsNone(got["forwarded_auth"])

    def test_identity_headers_reach_the_app_only_with_oidc(self):
        # The edge sets them only with auth.oidc (and deletes a viewer's copies on every path); the handler
        # passes them on only when the component says the site uses OIDC, so a forged copy never counts.
        headers = {"x-opendash-user-email": "alice@example.com", "x-opendash-user-groups": "analysts,Data%20Team",
                   "x-opendash-user-subject": "u-1", "X-OpenDash-Anything": "x"}
        for env, want in ((None, {}), ("", {}), ("basic", {}), ("oidc", {
                "X-Opendash-User-Email": "alice@example.com", "X-Opendash-User-Groups": "analysts,Data%20Team",
                "X-Opendash-User-Subject": "u-1", "X-Opendash-Anything": "x"})):
            with self.subTest(env=env):
                if env is None:
                    os.environ.pop("OPENDASH_IDENTITY_HEADERS", None)
                else:
                    os.environ["OPENDASH_IDENTITY_HEADERS"] = env
                try:
                    got = self.json_of(self.call(event(path="/hello", headers=headers)))
                finally:
                    os.environ.pop("OPENDASH_IDENTITY_HEADERS", None)
                self.assertEqual(got["opendash"], want)
                self.assertEqual(got["email"], want.get("X-Opendash-User-Email"))

    def test_two_set_cookies_are_not_folded(self):
        resp = self.call(event(path="/cookies"))
        self.assertEqual(len(resp["cookies"]), 2, resp)
        self.assertTrue(resp["cookies"][0].startswith("a=1"))
        self.assertIn("Expires=Thu, 01 Jan 2030 00:00:00 GMT", resp["cookies"][1])
        self.assertNotIn("set-cookie", resp["headers"])

    def test_binary_round_trips_as_base64(self):
        resp = self.call(event(path="/_favicon.ico"))
        self.assertTrue(resp["isBase64Encoded"])
        self.assertEqual(base64.b64decode(resp["body"]), bytes(range(256)) * 4)
        blob = bytes(range(255, -1, -1)) * 3
        resp = self.call(event("POST", "/upload", headers={"content-type": "application/octet-stream"},
                               body=base64.b64encode(blob).decode(), b64=True))
        self.assertTrue(resp["isBase64Encoded"])
        self.assertEqual(base64.b64decode(resp["body"]), blob[::-1])

    def test_not_found(self):
        self.assertEqual(self.call(event(path="/nope"))["statusCode"], 404)

    def test_app_exception_is_500_and_instance_survives(self):
        for propagate in ("", "1"):  # Flask's own 500, then the exception reaching the handler
            with self.subTest(propagate=propagate):
                os.environ["TEST_PROPAGATE"] = propagate
                self.load._wsgi_app = None
                self.stderr = io.StringIO()
                resp = self.call(event(path="/boom"))
                self.assertEqual(resp["statusCode"], 500)
                self.assertIn("Traceback", self.stderr.getvalue())
                self.assertIn("kaboom from the app", self.stderr.getvalue())
                self.assertEqual(self.call(event(path="/hello"))["statusCode"], 200)

    def test_app_is_built_once(self):
        for _ in range(3):
            self.call(event(path="/hello"))
        self.assertEqual(len(sys.modules["app"].CREATED), 1)

    def test_app_is_loaded_at_import(self):
        # Lambda INIT: loaded before any request, and the load time is logged.
        self.assertEqual(len(sys.modules["app"].CREATED), 1)
        self.assertIsNotNone(self.load._wsgi_app)
        self.assertRegex(self.import_log.getvalue(), r"open-dash: app loaded in \d+\.\d\d s \(app:create_app\(\)\)")
        self.assertEqual(self.load.ENTRY, {"module": "app", "attribute": "create_app", "call": True})

    def test_public_host_in_redirects(self):
        cases = [({"x-forwarded-host": "dash.example.com"}, None, "https://dash.example.com/hello"),
                 ({}, "d111.cloudfront.net", "https://d111.cloudfront.net/hello"),
                 ({"x-forwarded-host": "dash.example.com"}, "d111.cloudfront.net", "https://dash.example.com/hello"),
                 ({"x-forwarded-host": "bad host\r\nx: y"}, "d111.cloudfront.net", "https://d111.cloudfront.net/hello"),
                 ({}, None, "https://%s/hello" % FUNCTION_HOST),
                 # open-dash preview serves plain http on a port; anything but http/https means https
                 ({"x-forwarded-host": "127.0.0.1:8080", "x-forwarded-proto": "http"}, None, "http://127.0.0.1:8080/hello"),
                 ({"x-forwarded-host": "dash.example.com", "x-forwarded-proto": "gopher"}, None, "https://dash.example.com/hello")]
        for headers, domain, location in cases:
            with self.subTest(headers=headers, domain=domain):
                if domain:
                    os.environ["DOMAIN_NAME"] = domain
                else:
                    os.environ.pop("DOMAIN_NAME", None)
                resp = self.call(event(path="/go", headers=headers))
                self.assertEqual(resp["statusCode"], 302)
                self.assertEqual(resp["headers"]["location"], location)

    def test_percent_encoded_paths(self):
        for raw, name in (("/files/a%20b%2Fc%3F", "a b/c?"), ("/files/caf%C3%A9.txt", "caf\u00e9.txt"),
                          ("/files/plain", "plain")):
            with self.subTest(raw=raw):
                resp = self.call(event(path=raw))
                self.assertEqual(resp["statusCode"], 200, resp)
                self.assertEqual(self.json_of(resp)["name"], name)

    def test_malformed_events_are_400(self):
        good = event(path="/hello")
        bad = [None, [], "GET /", 42, {}, dict(good, rawPath=None), dict(good, rawPath="no-slash"),
               dict(good, headers=["host"]), dict(good, headers={"x": 1}), dict(good, cookies="a=1"),
               dict(good, body="***", isBase64Encoded=True), dict(good, isBase64Encoded="yes"),
               dict(good, requestContext={"http": {"method": 7}}), dict(good, requestContext="x"),
               dict(good, requestContext={"http": {"method": "G ET"}}), dict(good, requestContext={"http": {}})]
        for ev in bad:
            with self.subTest(event=ev):
                resp = self.call(ev)
                self.assertEqual(resp["statusCode"], 400, resp)
                self.assertIn("bad event", self.json_of(resp)["error"])


class JobEventTest(HandlerCase):
    def test_job_event_is_not_a_request(self):
        # No job store configured: the handler reaches the manager module, which has nothing installed.
        resp = self.call({"type": "opendash-job", "job": "abc123"})
        self.assertNotIn("statusCode", resp)
        self.assertIn("no background callback manager", resp["error"])

    def test_job_event_with_a_bad_id(self):
        self.assertIn("no valid job id", self.call({"type": "opendash-job", "job": "../x"})["error"])


class WarmerTest(HandlerCase):
    def test_warmer_answers_without_reloading(self):
        ev = {"type": "warmer", "warmerId": "w-1", "index": 2, "concurrency": 3, "delay": 75}
        start = time.monotonic()
        first = self.call(ev)
        self.assertGreaterEqual(time.monotonic() - start, 0.07)
        second = self.call(dict(ev, index=0))
        self.assertEqual(first["type"], "warmer")
        self.assertEqual(first["serverId"], second["serverId"])  # stable per instance
        self.assertEqual((first["warmerId"], first["index"]), ("w-1", 2))
        self.assertEqual(len(sys.modules["app"].CREATED), 1)  # loaded at import, once

    def test_delay_is_bounded_and_checked(self):
        for delay in (10 ** 9, -5, "75", None, float("nan"), True):
            with self.subTest(delay=delay):
                start = time.monotonic()
                resp = self.call({"type": "warmer", "delay": delay})
                self.assertLess(time.monotonic() - start, 1.5)
                self.assertEqual(resp["serverId"], self.index.SERVER_ID)



# Fails to import until a file named "fixed" exists beside it: a load that fails at INIT, then recovers.
FLAKY_APP = """
import os
if not os.path.exists(os.path.join(os.path.dirname(__file__), "fixed")):
    raise ImportError("settings not there yet: secret-detail-42")
""" + FLASK_APP


class LoadFailureTest(HandlerCase):
    APP_SOURCE = FLAKY_APP

    def fix(self):
        open(os.path.join(self.dir, "fixed"), "w").close()

    def test_failure_logged_once_with_traceback_and_500_without(self):
        log = self.import_log.getvalue()
        self.assertIn("loading the app (app:create_app()) failed", log)
        self.assertIn("Traceback", log)
        self.assertIn("secret-detail-42", log)
        # The traceback starts at the app: the handler's, the loader's and importlib's frames say nothing.
        self.assertRegex(log, r'Traceback \(most recent call last\):\n  File "[^"]*app\.py", line 4')
        self.assertNotIn("<frozen importlib", log)
        self.assertIsNone(self.load._wsgi_app)
        for _ in range(2):  # the instance stays alive; each request retries the load
            resp = self.call(event(path="/hello"))
            self.assertEqual(resp["statusCode"], 500)
            self.assertIn("the app failed to start", resp["body"])  # what open-dash verify looks for
            self.assertNotIn("Traceback", resp["body"])
            self.assertNotIn("secret-detail-42", resp["body"])
        retries = self.stderr.getvalue()
        self.assertEqual(retries.count("failed again"), 2, retries)
        self.assertNotIn("Traceback", retries)  # the same failure is not logged in full again

    def test_next_request_retries(self):
        self.assertEqual(self.call(event(path="/hello"))["statusCode"], 500)
        self.fix()
        self.assertEqual(self.call(event(path="/hello"))["statusCode"], 200)
        self.assertIn("app loaded in", self.stderr.getvalue())

    def test_warmer_loads_the_app_after_a_failed_start(self):
        self.fix()
        resp = self.call({"type": "warmer", "warmerId": "w", "index": 0, "concurrency": 1, "delay": 0})
        self.assertEqual(resp["type"], "warmer")
        self.assertIsNotNone(self.load._wsgi_app)  # loaded before answering
        self.assertEqual(len(sys.modules["app"].CREATED), 1)
        self.assertEqual(self.call(event(path="/hello"))["statusCode"], 200)

    def test_warmer_survives_a_failing_load(self):
        resp = self.call({"type": "warmer", "delay": 0})
        self.assertEqual(resp["type"], "warmer")
        self.assertIn("failed again", self.stderr.getvalue())


class JobLoadFailureTest(HandlerCase):
    """The jobs function runs the same handler: when the app fails to load there, a job event ends its job at
    once (claimed, its slot freed, the failure its error), so the browser's poll shows the error rather than
    polling until the job's deadline, and the slot is free for the next start."""
    APP_SOURCE = "raise ImportError('settings not there yet: secret-detail-42')\n"
    JOB = "0123abcd"

    def setUp(self):
        self.store = tempfile.mkdtemp()
        for rel, data in (("job/%s.json" % self.JOB, json.dumps({"callback": "cb", "cacheKey": "ck", "args": [1],
                                                                 "context": {}, "slot": "slot/0/0"})),
                          ("slot/0/0", self.JOB)):
            os.makedirs(os.path.dirname(os.path.join(self.store, rel)), exist_ok=True)
            with open(os.path.join(self.store, rel), "w") as fh:
                fh.write(data)
        os.environ.update(OPENDASH_JOBS_DIR=self.store, OPENDASH_JOBS_INVOKE_URL="http://127.0.0.1:9/invoke")
        super().setUp()

    def tearDown(self):
        for var in ("OPENDASH_JOBS_DIR", "OPENDASH_JOBS_INVOKE_URL"):
            os.environ.pop(var, None)
        shutil.rmtree(self.store)
        super().tearDown()

    def read(self, rel):
        try:
            with open(os.path.join(self.store, rel)) as fh:
                return json.load(fh)
        except FileNotFoundError:
            return None

    def test_the_job_fails_at_once_and_frees_its_slot(self):
        resp = self.call({"type": "opendash-job", "job": self.JOB})
        self.assertEqual(resp, {"job": self.JOB, "state": "failed"})
        self.assertFalse(os.path.exists(os.path.join(self.store, "slot", "0", "0")), "the slot is still taken")
        self.assertEqual(self.read("state/%s.json" % self.JOB)["state"], "failed")
        error = self.read("refused/%s.json" % self.JOB)["background_callback_error"]
        self.assertIn("the app failed to start", error["msg"])
        self.assertNotIn("secret-detail-42", json.dumps(error))  # the traceback is in the logs, not the browser
        self.assertIsNone(self.read("result/ck.json"))
        self.assertEqual(self.call({"type": "opendash-job", "job": self.JOB})["state"], "duplicate")


class SysExitTest(HandlerCase):
    APP_SOURCE = "import sys\nsys.exit(3)\n"

    def test_sys_exit_at_import_does_not_end_the_instance(self):
        self.assertIn("SystemExit", self.import_log.getvalue())
        self.assertEqual(self.call(event(path="/"))["statusCode"], 500)


# Dash's documentation makes the background callback cache at import: diskcache.Cache("./cache").
WORKDIR_APP = FLASK_APP + """
import os as _os

_os.makedirs("./cache")  # as diskcache.Cache("./cache") does, then its cache.db inside
with open("./cache/cache.db", "w") as _fh:
    _fh.write("db")
with open("./data/table.csv") as _fh:  # a relative read of the app's own file
    TABLE = _fh.read()
"""


class WritableWorkdirTest(HandlerCase):
    APP_SOURCE = WORKDIR_APP
    FILES = {"data/table.csv": "a,b\n"}

    def test_app_runs_in_a_writable_folder_that_links_the_task_root(self):
        self.assertIn("open-dash: app loaded in", self.import_log.getvalue(), self.import_log.getvalue())
        cwd = os.getcwd()
        self.assertNotEqual(os.path.realpath(cwd), os.path.realpath(self.dir))
        self.assertTrue(os.path.realpath(cwd).startswith(os.path.realpath(tempfile.gettempdir())))
        self.assertTrue(os.path.isfile(os.path.join(cwd, "cache", "cache.db")))
        self.assertFalse(os.path.exists(os.path.join(self.dir, "cache")), "the task root must not change")
        self.assertEqual(sys.modules["app"].TABLE, "a,b\n")
        self.assertEqual(os.path.realpath(os.path.join(cwd, "app.py")), os.path.realpath(os.path.join(self.dir, "app.py")))
        self.assertEqual(self.call(event(path="/hello"))["statusCode"], 200)


# The classic layout: app.py makes the app, the user's own index.py sets its routes and starts a server
# unconditionally (pasted from a notebook). The entry point is index:app.
CLASSIC_APP = """
from flask import Flask

class FakeDash:
    def __init__(self):
        self.server = Flask(__name__)

app = FakeDash()
"""
CLASSIC_INDEX = """
from app import app

@app.server.get("/page")
def page():
    return "routed by index.py"

app.server.run(port=1)  # would block (or fail on the port) if it ran
"""


class ClassicEntryTest(HandlerCase):
    APP_SOURCE = CLASSIC_APP
    FILES = {"index.py": CLASSIC_INDEX}
    ENTRY = {"module": "index", "attribute": "app", "call": False}

    def test_imports_exactly_the_entry_and_never_runs_a_server(self):
        self.assertIn("open-dash: app loaded in", self.import_log.getvalue())
        self.assertIn("(index:app)", self.import_log.getvalue())
        self.assertRegex(self.import_log.getvalue(), r"index\.py:8 calls Flask\.run\(\) while the app is imported; ignored")
        resp = self.call(event(path="/page"))
        self.assertEqual((resp["statusCode"], resp["body"]), (200, "routed by index.py"))


class FactoryEntryTest(HandlerCase):
    APP_SOURCE = FLASK_APP.replace("def create_app():", "def make_app():")
    ENTRY = {"module": "app", "attribute": "make_app", "call": True}

    def test_factory_is_called(self):
        self.assertEqual(self.call(event(path="/hello"))["statusCode"], 200)
        self.assertEqual(len(sys.modules["app"].CREATED), 1)


DASH_LIKE_APP = """
from flask import Flask, request

SEEN = []


class Config:
    routes_pathname_prefix = "/app/"
    requests_pathname_prefix = "/app/"


class DashLike:
    \"\"\"What the handler reads of a Dash app: .server, .config's prefixes and .layout.\"\"\"
    def __init__(self, server, layout):
        self.server, self.config, self.layout = server, Config(), layout


def create_app():
    server = Flask(__name__)

    @server.get("/app/", defaults={"rest": ""})
    @server.get("/app/<path:rest>")
    def any_page(rest):
        SEEN.append((request.method, request.path))
        if rest == "_dash-dependencies":
            raise RuntimeError("a failing route must not stop the load")
        return "ok " + rest

    return DashLike(server, LAYOUT)
"""


class PrimeTest(HandlerCase):
    """The app's first requests are rendered once at load, so a warm instance's first visitor pays nothing."""
    APP_SOURCE = DASH_LIKE_APP + "\nLAYOUT = {'static': True}\n"

    def test_dash_routes_rendered_at_load(self):
        self.assertEqual(sys.modules["app"].SEEN,
                         [("GET", "/app/"), ("GET", "/app/_dash-dependencies"), ("GET", "/app/_dash-layout")])
        self.assertIn("open-dash: app loaded in", self.import_log.getvalue())
        self.assertEqual(self.call(event(path="/app/"))["body"], "ok ")
        self.assertEqual(len(sys.modules["app"].SEEN), 4)  # a warmer or a request renders nothing more
        self.call({"type": "warmer"})
        self.assertEqual(len(sys.modules["app"].SEEN), 4)


class PrimeLayoutFunctionTest(HandlerCase):
    APP_SOURCE = DASH_LIKE_APP + "\ndef LAYOUT():\n    raise AssertionError('the app\\'s code runs only for real requests')\n"

    def test_layout_function_is_not_called(self):
        self.assertEqual([p for _, p in sys.modules["app"].SEEN], ["/app/", "/app/_dash-dependencies"])


class PrimeUnknownPrefixTest(HandlerCase):
    APP_SOURCE = DASH_LIKE_APP.replace('routes_pathname_prefix = "/app/"', "routes_pathname_prefix = None") + \
        "\nLAYOUT = None\n"

    def test_nothing_requested_without_a_routes_prefix(self):
        # Not a Dash app as far as the handler can tell (a bare Flask server has no config): no route is known.
        self.assertEqual(sys.modules["app"].SEEN, [])
        self.assertEqual(self.call(event(path="/app/x"))["statusCode"], 200)


def random_value(rng, depth=0):
    pool = [None, True, False, 0, -1, 2 ** 40, 3.5, float("inf"), "", "GET", "/", "%", "%zz", "\ud800",
            "a" * rng.randint(0, 20), "warmer", "=;,\r\n", "/files/%FF"]
    if depth < 3:
        pool += ["LIST", "DICT"]
    v = rng.choice(pool)
    if v == "LIST":
        return [random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))]
    if v == "DICT":
        keys = ["type", "delay", "rawPath", "http", "method", "headers", "x", "cookies", "body"]
        return {rng.choice(keys): random_value(rng, depth + 1) for _ in range(rng.randint(0, 3))}
    return v


KNOWN_PATHS = [("rawPath",), ("rawQueryString",), ("cookies",), ("cookies", 0), ("headers",),
               ("headers", "content-type"), ("headers", "x-forwarded-host"), ("body",), ("isBase64Encoded",),
               ("requestContext",), ("requestContext", "http"), ("requestContext", "http", "method"),
               ("requestContext", "http", "sourceIp"), ("requestContext", "domainName"), ("type",), ("delay",)]


def mutate(rng, ev):
    """Replaces one known field with a random value, or deletes/replaces keys at random depths."""
    ev = json.loads(json.dumps(ev))
    if rng.random() < 0.5:
        target, path = ev, rng.choice(KNOWN_PATHS)
        for key in path[:-1]:
            target = target.get(key) if isinstance(target, dict) else None
        if isinstance(target, dict):
            target[path[-1]] = random_value(rng)
        elif isinstance(target, list) and target:
            target[0] = random_value(rng)
        return ev
    for _ in range(rng.randint(1, 3)):
        target = ev
        while isinstance(target, dict) and target and rng.random() < 0.5:
            inner = target[rng.choice(sorted(target))]
            if not isinstance(inner, dict):
                break
            target = inner
        if not isinstance(target, dict) or not target:
            continue
        key = rng.choice(sorted(target))
        if rng.random() < 0.3:
            del target[key]
        else:
            target[key] = random_value(rng)
    return ev


class FuzzTest(HandlerCase):
    def test_malformed_events_never_raise(self):
        rng = random.Random(20240601)
        self.index.MAX_WARMER_DELAY_MS = 0
        seeds = [event(path="/hello", query="a=1", cookies=["a=1"], body="x"),
                 event("POST", "/echo", headers={"content-type": "application/json"}, body="{}"),
                 {"type": "warmer", "warmerId": "w", "index": 0, "concurrency": 1, "delay": 0}]
        statuses = set()
        for i in range(1500):
            ev = random_value(rng) if i % 5 == 0 else mutate(rng, rng.choice(seeds))
            resp = self.call(ev)  # must not raise, must be JSON
            self.assertIsInstance(resp, dict)
            if resp.get("type") == "warmer":
                continue
            self.assertIsInstance(resp["statusCode"], int)
            self.assertIsInstance(resp["body"], str)
            self.assertIsInstance(resp["isBase64Encoded"], bool)
            self.assertTrue(all(isinstance(k, str) and isinstance(v, str) for k, v in resp["headers"].items()))
            statuses.add(resp["statusCode"])
        self.assertIn(400, statuses)
        self.assertIn(200, statuses)
        self.assertEqual(self.call(event(path="/hello"))["statusCode"], 200)


DASH_LIKE_APP = '''
from flask import Flask


class Config:
    requests_pathname_prefix = "/"


class DashLike:
    """Renders its pages through interpolate_index(scripts=...), as Dash does."""
    def __init__(self):
        self.config = Config()
        self.server = Flask(__name__)
        self.server.add_url_rule("/", "index", lambda: self.interpolate_index(scripts='<script src="/r.js"></script>'))

    def interpolate_index(self, scripts=""):
        return "<html><body>" + scripts + "</body></html>"


def create_app():
    return DashLike()
'''


class BodyHashTest(HandlerCase):
    APP_SOURCE = DASH_LIKE_APP

    def setUp(self):
        super().setUp()
        sys.path.append(os.path.dirname(INDEX))  # Lambda puts the task root, where index.py lives, on the path
        self.addCleanup(sys.path.remove, os.path.dirname(INDEX))

    def test_pages_the_server_renders_load_the_body_hash_script_first(self):
        # opendash_bodyhash.py is beside index.py (serverfn.Write puts it there) and fills in the script path.
        resp = self.call(event(path="/"))
        self.assertEqual(resp["statusCode"], 200, self.stderr.getvalue())
        body = resp["body"]
        self.assertRegex(body, r'^<html><body><script src="/_opendash/body-hash\.[0-9a-f]{12}\.js"></script>\n'
                               r'<script src="/r.js"></script>')


if __name__ == "__main__":
    unittest.main()
