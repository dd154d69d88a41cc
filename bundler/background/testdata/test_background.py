"""Tests of opendash_background.py (run by background_test.go): the stores (a folder, and S3 through moto),
the Lambda invoker against a stand-in client, and the manager's whole job life (start, progress, result,
error, cancel, timeout) with the job run by a second manager standing in for another Lambda instance.
With the stand-in Dash the manager is driven as Dash drives it; with a real Dash (OPENDASH_TEST_PYTHON) a
background callback also runs through Dash's own /_dash-update-component."""
import json
import os
import sys
import tempfile
import threading
import time
import unittest
from unittest import mock

# The manager and, beside it, the store module, as the server function has them.
sys.path.insert(0, os.path.dirname(os.environ["OPENDASH_BACKGROUND_PY"]))
import opendash_background as bg  # noqa: E402
import opendash_jobslots as jobslots  # noqa: E402
import opendash_jobstore as jobstore  # noqa: E402

import dash  # noqa: E402  (the stand-in, or a real Dash)
from dash.exceptions import PreventUpdate  # noqa: E402

REAL_DASH = dash.__version__ != "9.9.9"
try:
    from moto import mock_aws
except ImportError:
    mock_aws = None


class RecordingInvoker:
    """Stands in for Lambda's async invoke: records the events; the test runs them on another manager."""

    def __init__(self, fail=False):
        self.events, self.fail = [], fail

    def invoke(self, event):
        if self.fail:
            raise RuntimeError("TooManyRequestsException: rate exceeded")
        self.events.append(json.loads(json.dumps(event)))


class StubLambdaClient:
    def __init__(self):
        self.calls = []

    def invoke(self, **kwargs):
        self.calls.append(kwargs)
        return {"StatusCode": 202}


def folder_store(test):
    d = tempfile.TemporaryDirectory()
    test.addCleanup(d.cleanup)
    return jobstore.FolderStore(os.path.join(d.name, "jobs"))


def s3_store(test):
    if mock_aws is None:
        test.skipTest("moto is not installed in this Python")
    mock = mock_aws()
    mock.start()
    test.addCleanup(mock.stop)
    import boto3

    client = boto3.client("s3", region_name="us-east-1")
    client.create_bucket(Bucket="jobs-bucket")
    return jobstore.S3Store("jobs-bucket", "jobs/", client=client)


STORES = {"folder": folder_store, "s3": s3_store}


def slow(set_progress, n):
    for i in range(3):
        set_progress(i * 50)
    return "done %s" % n


def failing(set_progress, n):
    raise ValueError("bad input %s" % n)


def prevented(set_progress, n):
    raise PreventUpdate


def with_props(set_progress, n):
    from dash._callback_context import context_value

    context_value.get().updated_props["side"] = {"children": "set %s" % n}
    return n


def endless(set_progress, n):
    while True:
        set_progress(n)
        time.sleep(0.05)


def sleeper(set_progress, n):
    time.sleep(2)
    return n


class ManagerTest(unittest.TestCase):
    def make(self, store, invoker=None, **kw):
        return bg.manager_class()(store, invoker or RecordingInvoker(), 60, **kw)

    def start(self, store, fn, args=(7,)):
        """Starts fn as Dash would (registered, then call_job_fn); returns (front manager, other, job)."""
        key = self._register(fn)
        front, invoker = self.make(store), RecordingInvoker()
        front.invoker = invoker
        job = front.call_job_fn("ck-" + fn.__name__, front.func_registry[key], list(args),
                                {"triggered_inputs": [{"prop_id": "btn.n_clicks", "value": 1}], "args": {}})
        self.assertEqual(invoker.events, [{"type": "opendash-job", "job": job}])
        other = self.make(store)  # another instance: a fresh manager over the same store
        return front, other, job

    def _register(self, fn):
        base, _ = bg._dash_flavour()
        return base.register_func(fn, True, "out.children-%s" % fn.__name__)

    def test_job_life(self):
        cases = [
            # name, fn, want state, want result (None: check separately)
            ("result", slow, "done", "done 7"),
            ("error", failing, "failed", None),
            ("prevent_update", prevented, "done", {"_dash_no_update": "_dash_no_update"}),
            ("set_props", with_props, "done", 7),
        ]
        for store_name, make_store in STORES.items():
            for name, fn, want_state, want in cases:
                with self.subTest(store=store_name, case=name):
                    store = make_store(self)
                    front, other, job = self.start(store, fn)
                    key = "ck-" + fn.__name__
                    self.assertTrue(front.job_running(job))
                    self.assertIs(front.get_result(key, job), front.UNDEFINED)
                    self.assertEqual(other.run_job(job)["state"], want_state)
                    if fn is slow:
                        self.assertEqual(front.get_progress(key), [100])
                        self.assertIsNone(front.get_progress(key), "progress is shown once")
                    result = front.get_result(key, job)
                    if want is None:
                        self.assertIn("bad input 7", result[front.error_key]["msg"])
                        self.assertIn("ValueError", result[front.error_key]["tb"])
                    else:
                        self.assertEqual(result, want)
                    self.assertFalse(front.job_running(job))
                    if fn is with_props:
                        self.assertEqual(front.get_updated_props(key), {"side": {"children": "set 7"}})
                        self.assertEqual(front.get_updated_props(key), {})

    def test_cancel_stops_the_job(self):
        store = folder_store(self)
        front, other, job = self.start(store, endless)
        out = {}
        runner = threading.Thread(target=lambda: out.update(other.run_job(job)))
        runner.start()
        time.sleep(0.3)
        self.assertTrue(front.job_running(job))
        front.terminate_job(job)  # Dash's cancel (cancelJob) and oldJob paths
        runner.join(10)
        self.assertFalse(runner.is_alive(), "the invocation must end once the job is cancelled")
        self.assertEqual(out["state"], "cancelled")
        self.assertFalse(front.job_running(job))
        self.assertIs(front.get_result("ck-endless", job), front.UNDEFINED)  # Dash then answers no_update
        time.sleep(0.2)
        self.assertIsNone(store.get("result/ck-endless.json"), "a cancelled job writes no result")

    def test_cancel_before_start(self):
        store = folder_store(self)
        front, other, job = self.start(store, slow)
        front.terminate_job(job)
        self.assertEqual(other.run_job(job)["state"], "cancelled")
        self.assertIsNone(store.get("result/ck-slow.json"))

    def test_timeout_ends_in_an_error(self):
        store = folder_store(self)
        front, other, job = self.start(store, sleeper)
        got = other.run_job(job, remaining_s=lambda: bg.STOP_MARGIN_S + 0.3)
        self.assertEqual(got["state"], "failed")
        result = front.get_result("ck-sleeper", job)
        self.assertIn("did not finish within", result[front.error_key]["msg"])

    def test_job_that_never_starts_ends_in_an_error(self):
        store = folder_store(self)
        front, _, job = self.start(store, slow)
        self.assertIs(front.get_result("ck-slow", job), front.UNDEFINED)
        later = self.make(store, clock=lambda: time.time() + 60 + jobslots.START_GRACE + 1)
        self.assertFalse(later.job_running(job))
        self.assertIn("never started", later.get_result("ck-slow", job)[front.error_key]["msg"])

    def test_cache_by_keeps_results(self):
        store = folder_store(self)
        key = self._register(slow)
        front = self.make(store, cache_by=[lambda: "v1"])
        first = front.call_job_fn("ck-cached", front.func_registry[key], [1], {})
        self.assertEqual(self.make(store).run_job(first)["state"], "done")
        self.assertEqual(front.get_result("ck-cached", first), "done 1")
        again = front.call_job_fn("ck-cached", front.func_registry[key], [1], {})
        self.assertEqual(front.get_result("ck-cached", again), "done 1", "a cached result answers at once")

    def test_expire_ends_the_reuse_of_a_cached_result(self):
        """Dash's expire (DiskcacheManager(cache, cache_by=[...], expire=N)): a result kept under cache_by answers
        a new run of the same inputs for N seconds; an older one does not, and that run's own result does."""
        runs = []

        def counted(set_progress, n):
            runs.append(n)
            return "run %d" % len(runs)

        for store_name, make_store in STORES.items():
            with self.subTest(store=store_name):
                runs.clear()
                store = make_store(self)
                key = self._register(counted)
                memo = dict(cache_by=[lambda: "v1"], expire=300)
                front = self.make(store, **memo)
                first = front.call_job_fn("ck-exp", front.func_registry[key], [1], {})
                self.assertEqual(self.make(store).run_job(first)["state"], "done")
                self.assertEqual(front.get_result("ck-exp", first), "run 1")
                again = front.call_job_fn("ck-exp", front.func_registry[key], [1], {})
                self.assertTrue(front.result_ready("ck-exp"))
                self.assertEqual(front.get_result("ck-exp", again), "run 1", "within expire the kept result answers")
                later = self.make(store, clock=lambda: time.time() + 301, **memo)
                third = later.call_job_fn("ck-exp", later.func_registry[key], [1], {})
                self.assertFalse(later.result_ready("ck-exp"))
                self.assertIs(later.get_result("ck-exp", third), later.UNDEFINED, "a result past expire was reused")
                self.assertEqual(self.make(store).run_job(third)["state"], "done")
                self.assertEqual(self.make(store, **memo).get_result("ck-exp", third), "run 2")
                forever = self.make(store, cache_by=[lambda: "v1"], clock=lambda: time.time() + 10 ** 6)
                self.assertEqual(forever.get_result("ck-exp", third), "run 2", "without expire a kept result stays")

    def test_a_refused_start_is_not_cached_under_cache_by(self):
        """With cache_by (Dash's memoization, e.g. cache_by=[lambda: launch_uid]) a result stays under its cache
        key. A start refused at the cap, or whose invoke failed, is this job's error only: once a slot is free,
        the same inputs run again rather than meet the old refusal."""
        for cause in ("cap", "invoke"):
            with self.subTest(cause=cause):
                store = folder_store(self)
                key = self._register(slow)
                front = self.make(store, RecordingInvoker(fail=cause == "invoke"), cache_by=[lambda: "v1"],
                                  concurrency=1)
                if cause == "cap":
                    busy = front.call_job_fn("ck-busy", front.func_registry[key], [0], {})
                refused = front.call_job_fn("ck-memo", front.func_registry[key], [1], {})
                self.assertFalse(front.job_running(refused))
                self.assertIn(front.error_key, front.get_result("ck-memo", refused))
                if cause == "cap":
                    self.assertEqual(self.make(store).run_job(busy)["state"], "done")
                front.invoker.fail = False
                again = front.call_job_fn("ck-memo", front.func_registry[key], [1], {})
                self.assertIs(front.get_result("ck-memo", again), front.UNDEFINED, "the refusal was cached")
                self.assertTrue(front.job_running(again))
                self.assertEqual(self.make(store).run_job(again)["state"], "done")
                self.assertEqual(front.get_result("ck-memo", again), "done 1")

    def test_invoke_failure_is_the_callbacks_error(self):
        store = folder_store(self)
        key = self._register(slow)
        front = self.make(store, RecordingInvoker(fail=True))
        job = front.call_job_fn("ck-x", front.func_registry[key], [1], {})
        self.assertFalse(front.job_running(job))
        self.assertIn("TooManyRequestsException", front.get_result("ck-x", job)[front.error_key]["msg"])

    def test_a_job_runs_once_however_often_its_event_arrives(self):
        calls = []

        def counted(set_progress, n):
            calls.append(n)
            return n

        for store_name, make_store in STORES.items():
            with self.subTest(store=store_name):
                calls.clear()
                store = make_store(self)
                front, other, job = self.start(store, counted)
                self.assertEqual(other.run_job(job)["state"], "done")
                self.assertEqual(self.make(store).run_job(job)["state"], "duplicate")
                self.assertEqual(calls, [7])
                self.assertEqual(front.get_result("ck-counted", job), 7)

    def test_concurrency_cap(self):
        for store_name, make_store in STORES.items():
            with self.subTest(store=store_name):
                store = make_store(self)
                key = self._register(slow)
                front = self.make(store, concurrency=2)
                first = front.call_job_fn("ck-1", front.func_registry[key], [1], {})
                second = front.call_job_fn("ck-2", front.func_registry[key], [2], {})
                third = front.call_job_fn("ck-3", front.func_registry[key], [3], {})
                self.assertEqual(len(front.invoker.events), 2, "the third job is not started")
                self.assertFalse(front.job_running(third))
                error = front.get_result("ck-3", third)[front.error_key]["msg"]
                self.assertIn("already runs 2 background jobs", error)
                self.assertIn("backgroundConcurrency", error)
                # A finished job frees its slot.
                self.assertEqual(self.make(store).run_job(first)["state"], "done")
                fourth = front.call_job_fn("ck-4", front.func_registry[key], [4], {})
                self.assertEqual([e["job"] for e in front.invoker.events], [first, second, fourth])
                self.assertEqual(self.make(store).run_job(fourth)["state"], "done")
                self.assertEqual(front.get_result("ck-4", fourth), "done 4")

    def test_a_slot_held_by_a_dead_job_is_taken_over_once(self):
        store = folder_store(self)
        key = self._register(slow)
        front = self.make(store, concurrency=1)
        front.call_job_fn("ck-dead", front.func_registry[key], [1], {})  # its invocation never runs
        later = self.make(store, concurrency=1, clock=lambda: time.time() + jobslots.START_GRACE + 60 + jobslots.SLOT_MARGIN_S + 1)
        taken = later.call_job_fn("ck-next", later.func_registry[key], [2], {})
        self.assertEqual([e["job"] for e in later.invoker.events], [taken])
        # Two starts that both saw the slot free: only one creates its lease.
        racer = self.make(store, concurrency=1)
        with mock.patch.object(store, "list", lambda prefix: []):
            self.assertFalse(racer.slots.take("racer"), "slot/0/0 exists: creating it again must fail")

    def test_a_slot_whose_job_never_started_is_free_after_the_start_grace(self):
        """Lambda drops an event that waited START_GRACE in its queue (throttled: the account's concurrency
        used up), so a lease whose job has not started by then never will be: the slot is free again then,
        not a whole job timeout later (15 minutes in which the cap refused every start)."""
        store = folder_store(self)
        key = self._register(slow)
        front = bg.manager_class()(store, RecordingInvoker(), 900, concurrency=1)
        front.call_job_fn("ck-dropped", front.func_registry[key], [1], {})  # its event is never delivered
        later = bg.manager_class()(store, RecordingInvoker(), 900, concurrency=1,
                                   clock=lambda: time.time() + jobslots.START_GRACE + jobslots.COLD_START_S + jobslots.SLOT_MARGIN_S + 1)
        taken = later.call_job_fn("ck-next", later.func_registry[key], [2], {})
        self.assertEqual([e["job"] for e in later.invoker.events], [taken])

    def test_a_started_job_keeps_its_slot_for_its_own_timeout(self):
        """Once a job runs, its slot is held until the job's own timeout has passed (plus the margin), even for
        a manager whose timeout is shorter (a deploy lowered backgroundTimeout while the job ran)."""
        store = folder_store(self)
        release = threading.Event()

        def waits(set_progress, n):
            release.wait(10)
            return n

        key = self._register(waits)
        front = bg.manager_class()(store, RecordingInvoker(), 900, concurrency=1)
        job = front.call_job_fn("ck-waits", front.func_registry[key], [1], {})
        runner = threading.Thread(target=bg.manager_class()(store, RecordingInvoker(), 900, concurrency=1).run_job,
                                  args=(job,))
        runner.start()
        self.addCleanup(runner.join)
        self.addCleanup(release.set)
        deadline = time.time() + 5
        while _decode_state(store, job) != "running" and time.time() < deadline:
            time.sleep(0.02)
        for timeout in (900, 60):
            later = bg.manager_class()(store, RecordingInvoker(), timeout, concurrency=1,
                                       clock=lambda: time.time() + 600)
            self.assertIs(later.slots.take("racer"), False, "timeout %d: a running job's slot was taken" % timeout)
        much_later = bg.manager_class()(store, RecordingInvoker(), 60, concurrency=1,
                                        clock=lambda: time.time() + 900 + jobslots.SLOT_MARGIN_S + 1)
        self.assertTrue(much_later.slots.take("next"), "the slot stays taken after the job's timeout")
        release.set()
        runner.join()

    def test_a_job_whose_app_failed_to_load_ends_at_once(self):
        """The jobs function cannot run a job when the app fails to load there (a bad deploy, a secret it cannot
        read): the job is claimed, its slot freed and the failure is its error at the browser's next poll, not
        at the deadline. It is that job's error only, not a result kept under cache_by."""
        for store_name, make_store in STORES.items():
            with self.subTest(store=store_name):
                store = make_store(self)
                key = self._register(slow)
                front = self.make(store, concurrency=1, cache_by=[lambda: "v1"])
                job = front.call_job_fn("ck-noapp", front.func_registry[key], [1], {})
                self.assertTrue(front.job_running(job))
                got = bg.fail_job_event({"type": "opendash-job", "job": job}, "the app failed to start",
                                        (store, RecordingInvoker(), 60, 1))
                self.assertEqual(got, {"job": job, "state": "failed"})
                self.assertFalse(front.job_running(job))
                self.assertEqual(front.get_result("ck-noapp", job)[front.error_key]["msg"], "the app failed to start")
                self.assertIsNone(store.get("result/ck-noapp.json"), "a load failure is not a result")
                following = front.call_job_fn("ck-next", front.func_registry[key], [2], {})
                self.assertEqual([e["job"] for e in front.invoker.events], [job, following], "the slot is still taken")
                self.assertEqual(self.make(store).run_job(job)["state"], "duplicate", "the failed job ran later")
                self.assertEqual(bg.fail_job_event({"type": "opendash-job", "job": job}, "again",
                                                   (store, RecordingInvoker(), 60, 1))["state"], "duplicate")
        self.assertIn("no valid job id", bg.fail_job_event({"job": "../x"}, "failed", None)["error"])

    def test_context_that_cannot_cross_is_dropped(self):
        store = folder_store(self)
        key = self._register(slow)
        front = self.make(store)
        job = front.call_job_fn("ck-y", front.func_registry[key], [1], {"args": {"a": "1"}, "lock": threading.Lock()})
        request = json.loads(store.get("job/%s.json" % job))
        self.assertEqual(request["context"], {"args": {"a": "1"}})


def _decode_state(store, job):
    raw = store.get("state/%s.json" % job)
    return json.loads(raw)["state"] if raw else None


class PartsTest(unittest.TestCase):
    def test_lambda_invoker_is_asynchronous(self):
        client = StubLambdaClient()
        jobstore.LambdaInvoker("my-fn", client=client).invoke({"type": "opendash-job", "job": "ab12"})
        self.assertEqual(client.calls, [{"FunctionName": "my-fn", "InvocationType": "Event",
                                         "Payload": b'{"type": "opendash-job", "job": "ab12"}'}])

    def test_from_environment(self):
        d = tempfile.mkdtemp()
        cases = [
            ({}, None),
            ({"OPENDASH_JOBS_DIR": d}, None),  # a store but no way to start jobs
            ({"OPENDASH_JOBS_DIR": d, "OPENDASH_JOBS_INVOKE_URL": "http://127.0.0.1:1/jobs"},
             ("FolderStore", "HTTPInvoker", 900, None, None)),
            ({"OPENDASH_JOBS_DIR": d, "AWS_LAMBDA_FUNCTION_NAME": "f", "OPENDASH_JOB_TIMEOUT": "300"},
             ("FolderStore", "LambdaInvoker", 300, "f", None)),
            ({"OPENDASH_JOBS_BUCKET": "b", "AWS_LAMBDA_FUNCTION_NAME": "f", "OPENDASH_JOBS_FUNCTION": "jobs",
              "OPENDASH_JOBS_CONCURRENCY": "5"}, ("S3Store", "LambdaInvoker", 900, "jobs", 5)),
            ({"OPENDASH_JOBS_DIR": d, "OPENDASH_JOBS_INVOKE_URL": "http://x/", "OPENDASH_JOBS_CONCURRENCY": "0"},
             ("FolderStore", "HTTPInvoker", 900, None, None)),
        ]
        for env, want in cases:
            with self.subTest(env=env):
                got = jobstore.from_environment(env)
                if want is None:
                    self.assertIsNone(got)
                else:
                    self.assertEqual((type(got[0]).__name__, type(got[1]).__name__, got[2],
                                      getattr(got[1], "function_name", None), got[3]), want)

    def test_create_writes_only_what_is_absent(self):
        for store_name, make_store in STORES.items():
            for sdk_knows in (True, False):  # False: an app pins a boto3 older than S3's conditional writes
                if store_name == "folder" and not sdk_knows:
                    continue
                with self.subTest(store=store_name, sdk_knows=sdk_knows):
                    store = make_store(self)
                    claim, slot = "claim/%s-%s" % (store_name, sdk_knows), "slot/%s/0" % int(sdk_knows)
                    with mock.patch.object(jobstore, "sdk_knows_conditions", lambda client: sdk_knows):
                        self.assertTrue(store.create(claim, b"1"))
                        self.assertFalse(store.create(claim, b"2"))
                    self.assertEqual(store.get(claim), b"1")
                    store.delete(claim)
                    self.assertTrue(store.create(claim, b"3"))
                    store.put(slot, b"x")
                    self.assertIn(slot, [n for n, _ in store.list("slot/")])
                    self.assertLess(abs(dict(store.list("claim/"))[claim] - time.time()), 60)

    def test_folder_store_writes_atomically(self):
        store = folder_store(self)
        store.put("result/a.json", b"1")
        self.assertEqual(store.get("result/a.json"), b"1")
        self.assertEqual(os.listdir(os.path.join(store.folder, "result")), ["a.json"])
        store.delete("result/a.json")
        store.delete("result/a.json")
        self.assertIsNone(store.get("result/a.json"))


class InstallTest(unittest.TestCase):
    def test_install_replaces_the_apps_managers(self):
        if REAL_DASH:
            self.skipTest("the real Dash path is RealDashTest")
        app = dash.Dash(__name__)
        memo = [lambda: "v1"]
        own = dash.DiskcacheManager(cache_by=memo, expire=120)

        @app.callback("out.children", "btn.n_clicks", background=True, manager=own, progress="p.value")
        def work(set_progress, n):
            return n

        @app.callback("plain.children", "btn.n_clicks")
        def plain(n):
            return n

        self.assertEqual(bg.background_callbacks(app), [("out.children", own)])
        self.assertEqual(bg.install(app, folder_store(self), RecordingInvoker()), 1)
        cb = app.callback_map["out.children"]
        self.assertIsInstance(cb["manager"], bg.manager_class())
        self.assertIs(cb["background"]["manager"], cb["manager"])
        self.assertEqual((cb["manager"].cache_by, cb["manager"].expire), (memo, 120), "Dash's memoization is kept")
        self.assertEqual(bg.background_callbacks(app), [("out.children", cb["manager"])])


@unittest.skipUnless(REAL_DASH, "needs a real Dash (OPENDASH_TEST_PYTHON)")
class RealDashTest(unittest.TestCase):
    """Dash's own request cycle: the first POST starts the job, later POSTs with cacheKey and job poll it."""

    def app(self, fn, **memo):
        try:
            import diskcache  # noqa: F401

            manager = dash.DiskcacheManager(diskcache.Cache(tempfile.mkdtemp()), **memo)
        except ImportError:
            self.skipTest("DiskcacheManager needs diskcache, multiprocess and psutil (apt-get install python3-diskcache python3-multiprocess python3-psutil)")
        from dash import Input, Output, html

        app = dash.Dash(__name__)
        app.layout = html.Div([html.Button(id="btn"), html.Div(id="out"), html.Progress(id="p")])
        app.callback(Output("out", "children"), Input("btn", "n_clicks"), background=True, manager=manager,
                     progress=[Output("p", "value")], prevent_initial_call=True)(fn)
        return app

    def post(self, client, query=""):
        body = {"output": "out.children", "outputs": {"id": "out", "property": "children"},
                "inputs": [{"id": "btn", "property": "n_clicks", "value": 3}], "changedPropIds": ["btn.n_clicks"],
                "state": []}
        return client.post("/_dash-update-component" + query, json=body)

    def run_cycle(self, fn):
        app = self.app(fn)
        store = folder_store(self)
        invoker = RecordingInvoker()
        self.assertEqual(bg.install(app, store, invoker), 1)
        client = app.server.test_client()
        self.assertEqual(client.get("/").status_code, 200)  # Dash sets itself up on the first request
        started = self.post(client)
        self.assertEqual(started.status_code, 200, started.data)
        job = started.get_json()
        self.assertEqual(invoker.events, [{"type": "opendash-job", "job": job["job"]}])
        query = "?cacheKey=%s&job=%s" % (job["cacheKey"], job["job"])
        pending = self.post(client, query)
        self.assertEqual(pending.status_code, 200, pending.data)
        self.assertNotIn("response", pending.get_json())
        self.assertEqual(bg.run_job_event(invoker.events[0])["state"] in ("done", "failed"), True)
        return self.post(client, query)

    def test_result(self):
        done = self.run_cycle(slow)
        self.assertEqual(done.status_code, 200, done.data)
        body = done.get_json()
        self.assertEqual(body["response"]["out"]["children"], "done 3")
        self.assertEqual(body["progress"], {"p.value": 100})

    def test_error(self):
        failed = self.run_cycle(failing)
        self.assertEqual(failed.status_code, 500)

    def test_install_keeps_cache_by_and_expire(self):
        memo = [lambda: "v1"]
        app = self.app(slow, cache_by=memo, expire=120)
        self.assertEqual(bg.install(app, folder_store(self), RecordingInvoker()), 1)
        ours = [m for _, m in bg.background_callbacks(app)]
        self.assertTrue(ours and all(isinstance(m, bg.manager_class()) for m in ours), ours)
        self.assertEqual({(m.cache_by is memo, m.expire) for m in ours}, {(True, 120)})


if __name__ == "__main__":
    unittest.main()
