"""Tests of the warmer handler against a stub Lambda Invoke API on 127.0.0.1. Run by warmer_test.go with
OPENDASH_WARMER_PY pointing at an index.py written by warmer.Write."""
import contextlib
import importlib.util
import io
import json
import os
import re
import socket
import threading
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

WARMER = os.environ["OPENDASH_WARMER_PY"]
ARN_PREFIX = "arn:aws:lambda:us-east-1:123456789012:function:"


class StubLambda:
    """Answers POST /2015-03-31/functions/<name>/invocations like Lambda does.

    "server" behaves like an open-dash server: it waits until `parallel` calls are in flight at once (so a
    warmer that invoked one at a time fails) and gives each of them a distinct instance id.
    """

    def __init__(self, parallel):
        self.barrier = threading.Barrier(parallel, timeout=10)
        self.lock = threading.Lock()
        self.calls = []
        self.instances = 0
        self.denied = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                m = re.match(r"^/2015-03-31/functions/([^/]+)/invocations", self.path)
                name = unquote(m.group(1)) if m else ""
                name = name[len(ARN_PREFIX):] if name.startswith(ARN_PREFIX) else name
                event = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                with stub.lock:
                    stub.calls.append((name, self.headers.get("X-Amz-Invocation-Type"), event))
                stub.answer(self, name, event)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.server.server_port
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def answer(self, req, name, event):
        if name == "server":
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                return self.send(req, 500, {"Type": "Service", "message": "calls did not overlap"},
                                 {"x-amzn-ErrorType": "ServiceException"})
            with self.lock:
                self.instances += 1
                instance = "instance-%d" % self.instances
            return self.send(req, 200, {"type": "warmer", "serverId": instance, "index": event.get("index")})
        if name == "crashing":
            return self.send(req, 200, {"errorMessage": "boom", "errorType": "RuntimeError"},
                             {"X-Amz-Function-Error": "Unhandled"})
        if name == "broken":
            return self.send(req, 500, {"Type": "Service", "message": "internal failure"},
                             {"x-amzn-ErrorType": "ServiceException"})
        if name == "denied-twice":  # IAM has not applied the invoke policy yet, for the first two calls
            with self.lock:
                self.denied += 1
                denied = self.denied
            if denied <= 2:
                return self.send(req, 403, {"Type": "User", "message": "not authorized to perform: lambda:InvokeFunction"},
                                 {"x-amzn-ErrorType": "AccessDeniedException"})
            return self.send(req, 200, {"type": "warmer", "serverId": "instance-late"})
        if name == "impostor":
            return self.send(req, 200, "hello, I am not a Dash server")
        self.send(req, 404, {"Type": "User", "message": "Function not found: " + name},
                  {"x-amzn-ErrorType": "ResourceNotFoundException"})

    @staticmethod
    def send(req, status, body, headers=None):
        data = json.dumps(body).encode()
        req.send_response(status)
        req.send_header("Content-Type", "application/json")
        req.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            req.send_header(k, v)
        req.end_headers()
        req.wfile.write(data)

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class Context:
    """The part of Lambda's context object the warmer reads."""

    def __init__(self, seconds_left):
        self.seconds_left = seconds_left

    def get_remaining_time_in_millis(self):
        return int(self.seconds_left * 1000)


class WarmerTest(unittest.TestCase):
    def setUp(self):
        self.saved = dict(os.environ)
        for k in list(os.environ):
            if k.startswith(("AWS_", "OPENDASH_WARM_")):
                del os.environ[k]
        os.environ.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION="us-east-1",
                          AWS_CONFIG_FILE="/nonexistent", AWS_SHARED_CREDENTIALS_FILE="/nonexistent",
                          AWS_EC2_METADATA_DISABLED="true")
        spec = importlib.util.spec_from_file_location("opendash_warmer_%d" % id(self), WARMER)
        self.warmer = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(self.warmer)
        self.stub = None

    def tearDown(self):
        os.environ.clear()
        os.environ.update(self.saved)
        if self.stub:
            self.stub.close()

    def start_stub(self, parallel):
        self.stub = StubLambda(parallel)
        os.environ["AWS_ENDPOINT_URL_LAMBDA"] = self.stub.url

    def run_warmer(self, source="aws.events", seconds_left=None):
        out = io.StringIO()
        context = Context(seconds_left) if seconds_left is not None else None
        with contextlib.redirect_stdout(out):
            result = self.warmer.handler({"source": source}, context)
        lines = out.getvalue().splitlines()
        self.assertEqual(len(lines), 1, "the warmer must log exactly one line: %r" % lines)
        self.assertEqual(json.loads(lines[0]), result)
        return result

    def test_names_match_the_go_constants(self):
        expected = json.loads(os.environ.get("OPENDASH_EXPECT_NAMES", "{}"))
        got = {"EnvTargets": self.warmer.TARGETS_ENV, "EnvConcurrency": self.warmer.CONCURRENCY_ENV,
               "EnvDelayMS": self.warmer.DELAY_ENV, "DefaultConcurrency": self.warmer.DEFAULT_CONCURRENCY,
               "DefaultDelayMS": self.warmer.DEFAULT_DELAY_MS}
        self.assertTrue(expected, "OPENDASH_EXPECT_NAMES not set by the Go test")
        self.assertEqual(got, expected)

    def test_concurrent_invocations_reach_distinct_instances(self):
        self.start_stub(parallel=3)
        os.environ.update(OPENDASH_WARM_TARGETS="server", OPENDASH_WARM_CONCURRENCY="3",
                          OPENDASH_WARM_DELAY_MS="20")
        for round_ in range(2):
            result = self.run_warmer()
            self.assertTrue(result["ok"], result)
            self.assertEqual(result["instances"], 3)
            self.assertEqual(result["targets"][0]["invoked"], 3)
            self.assertEqual(len(result["targets"][0]["serverIds"]), 3)
        calls = self.stub.calls[:3]
        self.assertEqual(len(self.stub.calls), 6)
        self.assertEqual({c[1] for c in calls}, {"RequestResponse"})
        events = [c[2] for c in calls]
        self.assertEqual(sorted(e["index"] for e in events), [0, 1, 2])
        self.assertEqual({(e["type"], e["concurrency"], e["delay"]) for e in events}, {("warmer", 3, 20)})
        self.assertEqual(len({e["warmerId"] for e in events}), 1)

    def test_failures_are_reported_not_raised(self):
        self.start_stub(parallel=1)
        os.environ["OPENDASH_WARM_TARGETS"] = ",".join(
            [ARN_PREFIX + "server", "crashing", "broken", "impostor", ARN_PREFIX + "missing"])
        result = self.run_warmer()
        self.assertFalse(result["ok"])
        self.assertEqual((result["instances"], result["failures"]), (1, 4))
        errors = {t["target"].replace(ARN_PREFIX, ""): " ".join(e["error"] for e in t["errors"])
                  for t in result["targets"]}
        self.assertEqual(errors["server"], "")
        self.assertIn("FunctionError Unhandled", errors["crashing"])
        self.assertIn("boom", errors["crashing"])
        self.assertIn("internal failure", errors["broken"])
        self.assertIn("unexpected answer", errors["impostor"])
        self.assertIn("ResourceNotFound", errors["missing"])
        self.assertEqual(sum(1 for c in self.stub.calls if c[0] == "broken"), 1, "a failed invoke is not retried")
        self.assertEqual(result["delayMs"], 75)  # the defaults
        self.assertEqual(result["concurrency"], 1)

    def test_deploy_warm_up_retries_access_denied(self):
        # name, event source, seconds left, want ok, want calls, want sleeps
        cases = [
            ("deploy retries until IAM lets it through", "opendash.deploy", 150, True, 3, [1.0, 2.0]),
            ("scheduled runs do not retry", "aws.events", 150, False, 1, []),
            ("no time for another full call", "opendash.deploy", 60, False, 1, []),
        ]
        for name, source, seconds, ok, calls, sleeps in cases:
            with self.subTest(name):
                self.start_stub(parallel=1)
                slept = []
                self.warmer.sleep = slept.append
                os.environ["OPENDASH_WARM_TARGETS"] = "denied-twice"
                result = self.run_warmer(source, seconds)
                made = len(self.stub.calls)
                self.stub.close()
                self.stub = None
                self.assertEqual(result["ok"], ok, result)
                self.assertEqual(made, calls)
                self.assertEqual(slept, sleeps)
                self.assertEqual(result["retries"], len(sleeps))
                if not ok:
                    self.assertIn("AccessDenied", result["targets"][0]["errors"][0]["error"])

    def test_unreachable_endpoint_is_reported(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]  # closed again when the block ends: nothing listens there
        self.warmer.ENDPOINT_URL = "http://127.0.0.1:%d" % port  # the module-level override
        os.environ["OPENDASH_WARM_TARGETS"] = "server"
        result = self.run_warmer()
        self.assertFalse(result["ok"])
        self.assertIn("Could not connect", result["targets"][0]["errors"][0]["error"])

    def test_bad_configuration_is_reported(self):
        self.start_stub(parallel=1)
        for env, message in (({"OPENDASH_WARM_TARGETS": " , "}, "OPENDASH_WARM_TARGETS is empty"),
                             ({"OPENDASH_WARM_CONCURRENCY": "three"}, "not a whole number"),
                             ({"OPENDASH_WARM_CONCURRENCY": "0"}, "outside 1..100"),
                             ({"OPENDASH_WARM_DELAY_MS": "5000"}, "outside 0..1000")):
            with self.subTest(env=env):
                os.environ["OPENDASH_WARM_TARGETS"] = "server"
                os.environ.pop("OPENDASH_WARM_CONCURRENCY", None)
                os.environ.pop("OPENDASH_WARM_DELAY_MS", None)
                os.environ.update(env)
                result = self.run_warmer()
                self.assertFalse(result["ok"])
                self.assertIn(message, result["error"])
        self.assertEqual(self.stub.calls, [])


if __name__ == "__main__":
    unittest.main()
