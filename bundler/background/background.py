"""OpenDash's background callback manager for AWS Lambda (shipped as opendash_background.py).

Dash's own managers cannot work on Lambda: DiskcacheManager runs the job in a child process that Lambda
freezes as soon as the request returns, and keeps results in a folder no other instance sees. The server
function installs this manager in place of the app's (the app is unchanged):
- starting a job stores its request (callback key, arguments, context) and invokes the server function's
  image asynchronously with {"type": "opendash-job", "job": ID} (in the jobs function the component makes
  from it, whose timeout can pass CloudFront's 60 s); that invocation runs the callback to the end;
- progress, set_props, the result, errors and cancellation live in a store all instances share (an S3
  prefix on Lambda; a local folder standing in for it in `open-dash preview`), so polls from any instance
  see them;
- with a concurrency cap, a job starts only in a free one of that many slots, else the browser gets the
  callback's error at once: a public site cannot run unbounded jobs;
- asynchronous invocation is at-least-once, so the invocation that runs a job first claims it; a second
  delivery of the same event finds it claimed and ends quietly.
The slots and the claim are opendash_jobslots.py's; the store and the invoker (and the settings that choose
them) are opendash_jobstore.py's. This module is standard library only, and the bundle's extraction
prepends its text to report the app's background callbacks (background_callbacks): it imports the others
only where a manager runs.
"""
import asyncio
import contextvars
import inspect
import json
import sys
import threading
import time
import traceback
import uuid

EVENT_TYPE = "opendash-job"
DEFAULT_TIMEOUT = 900  # Lambda's maximum; the component sets the jobs function's real one
# A job stops this long before the function's deadline, so it can still record the timeout.
STOP_MARGIN_S = 3.0
CANCEL_CHECK_S = 1.0


def _jobslots():
    """opendash_jobslots.py, beside this file: imported where a manager runs, not at the top (see above)."""
    import opendash_jobslots

    return opendash_jobslots


class Stopped(Exception):
    """Raised inside a job's set_progress once the job is cancelled or out of time."""


# ---------------------------------------------------------------- Dash's interface, per Dash line


def _dash_flavour():
    """(base manager class, error key) of the installed Dash: 3.x/4.x name them "background", 2.x "long"."""
    try:
        from dash.background_callback.managers import BaseBackgroundCallbackManager as base

        return base, "background_callback_error"
    except ImportError:
        from dash.long_callback.managers import BaseLongCallbackManager as base

        return base, "long_callback_error"


def _encode(value):
    try:
        from dash._utils import to_json  # Plotly's encoder: figures, numpy arrays, dates
    except ImportError:
        to_json = json.dumps
    return to_json(value).encode("utf-8")


def _decode(data):
    return None if data is None else json.loads(data.decode("utf-8"))


def _encodable_context(context):
    """The callback context without what cannot cross to another instance (kept items must be JSON)."""
    out = {}
    for key, value in dict(context).items():
        try:
            out[key] = json.loads(_encode(value))
        except (TypeError, ValueError):
            continue
    return out


class JobFn:
    """What make_job_fn returns: the callback and its registry key, so another instance can find it."""

    def __init__(self, key, fn, progress):
        self.key, self.fn, self.progress = key, fn, progress


_manager_class = None
_installed = []  # the managers install() put in place; the job event runs on the latest


def manager_class():
    """LambdaManager, built on the installed Dash's base class (it registers every background callback)."""
    global _manager_class
    if _manager_class is None:
        base, error_key = _dash_flavour()
        _manager_class = type("LambdaManager", (_LambdaManagerMixin, base), {"error_key": error_key})
    return _manager_class


class _LambdaManagerMixin:
    """Dash's manager interface (call_job_fn, job_running, get_progress, get_result, get_updated_props,
    terminate_job) over a shared store. A job id is a random hex string; results are kept by cache key."""

    error_key = "background_callback_error"

    def __init__(self, store, invoker, timeout=DEFAULT_TIMEOUT, cache_by=None, expire=None, clock=time.time,
                 concurrency=None):
        self.store, self.invoker, self.timeout, self.expire, self.clock = store, invoker, timeout, expire, clock
        self.concurrency = concurrency  # the most jobs running at once; None: no cap
        self.slots = _jobslots().Slots(store, concurrency, timeout, clock)
        self._requests = {}  # job id -> its stored request: written once, so each poll need not read it again
        super().__init__(cache_by)

    def _request(self, job):
        request = self._requests.get(job)
        if request is None:
            request = _decode(self.store.get("job/%s.json" % job))
            if request is not None:
                if len(self._requests) >= 256:
                    self._requests.pop(next(iter(self._requests)))
                self._requests[job] = request
        return request

    # -- Dash calls these while serving a request

    def make_job_fn(self, fn, progress, key=None):
        return JobFn(key, fn, progress)

    def call_job_fn(self, key, job_fn, args, context):
        job = uuid.uuid4().hex
        now = self.clock()
        slot = self.slots.take(job)
        request = {"callback": job_fn.key, "cacheKey": key, "args": args, "context": _encodable_context(context),
                   "created": now, "deadline": now + _jobslots().START_GRACE + self.timeout, "slot": slot}
        self.store.put("job/%s.json" % job, _encode(request))
        if self.cache_by is None:  # a new run of the same inputs must not see an unread result of the last
            self.store.delete("result/%s.json" % key)
        # With cache_by, as with Dash's managers, a stored result of the same key is the answer at once.
        self.store.delete("progress/%s.json" % key)
        if slot is False:  # the poll reports it as the callback's error, as Dash shows any other
            self._refuse(job, "this site already runs %d background jobs, the most it runs at once (the "
                         "component's backgroundConcurrency); try again when one has finished" % self.concurrency)
            return job
        try:
            self.invoker.invoke({"type": EVENT_TYPE, "job": job})
        except Exception as err:  # the poll then reports it as the callback's error
            traceback.print_exc()
            self.slots.release(slot)
            self._refuse(job, "starting the background job failed: %s" % err)
        return job

    def _refuse(self, job, msg):
        _refuse(self.store, job, self._error(msg, ""), self.clock())

    def job_running(self, job):
        if not job or self.store.get("cancel/%s" % job) is not None:
            return False
        state = _decode(self.store.get("state/%s.json" % job)) or {}
        if state.get("state") in ("done", "failed", "cancelled"):
            return False
        request = self._request(job)
        return request is not None and self.clock() < request.get("deadline", 0)

    def get_progress(self, key):
        name = "progress/%s.json" % key
        value = _decode(self.store.get(name))
        if value is not None:
            self.store.delete(name)  # as Dash's managers do: each progress value is shown once
        return value

    def _result(self, key):
        """The stored result of key, encoded, or None. With cache_by and Dash's expire, a result older than expire
        seconds is not reused (Dash removes a cache entry unused that long): the same inputs run again, and
        their new result replaces it."""
        name = "result/%s.json" % key
        if not (self.cache_by and self.expire):
            return self.store.get(name)
        data, written = self.store.get_with_time(name)
        if data is not None and self.clock() - written > self.expire:
            return None
        return data

    def result_ready(self, key):
        return self._result(key) is not None

    def get_result(self, key, job):
        name = "result/%s.json" % key
        value = _decode(self._result(key))
        if value is None:
            refused = _decode(self.store.get("refused/%s.json" % job)) if job else None
            return refused if refused is not None else self._overdue(key, job)
        if self.cache_by is None:
            self.store.delete(name)
        self.store.delete("progress/%s.json" % key)
        return value

    def get_updated_props(self, key):
        name = "props/%s.json" % key
        value = _decode(self.store.get(name))
        if value is None:
            return {}
        self.store.delete(name)
        return value

    def terminate_job(self, job):
        if job:
            self.store.put("cancel/%s" % job, b"1")  # the running invocation sees it within a second

    def terminate_unhealthy_job(self, job):
        return False

    # -- results and errors

    def _error(self, msg, tb):
        return {self.error_key: {"msg": msg, "tb": tb}}

    def _overdue(self, key, job):
        """UNDEFINED while a job may still run; an error once its deadline passed with no result, so the
        browser's polling ends with the error rather than never."""
        if not job or self.store.get("cancel/%s" % job) is not None:
            return self.UNDEFINED
        request = self._request(job)
        if request is None or self.clock() < request.get("deadline", 0):
            return self.UNDEFINED
        state = _decode(self.store.get("state/%s.json" % job)) or {}
        if state.get("state") in ("done", "failed", "cancelled"):
            return self.UNDEFINED
        started = "never started" if not state else "did not finish"
        return self._error("the background job %s within %d s (the server function's timeout); raise the "
                           "component's serverTimeout or split the work" % (started, self.timeout), "")

    def _finish(self, job, key, state, result=None):
        if result is not None:
            self.store.put("result/%s.json" % key, _encode(result))
        self.store.put("state/%s.json" % job, _encode({"state": state, "at": self.clock()}))

    # -- the asynchronous invocation runs this

    def run_job(self, job, remaining_s=None):
        """Runs a stored job to its end and records the outcome. remaining_s() is the invocation's time left
        (Lambda's context.get_remaining_time_in_millis()/1000); the job stops STOP_MARGIN_S before it."""
        request = _decode(self.store.get("job/%s.json" % job))
        if request is None:
            return {"job": job, "state": "unknown"}
        if not _jobslots().claim(self.store, job):
            return {"job": job, "state": "duplicate"}  # another delivery of the same event runs it
        try:
            self.slots.mark_running(request.get("slot"), job)  # the slot stays taken for this run's whole timeout
            return self._run_claimed(job, request, remaining_s)
        finally:
            self.slots.release(request.get("slot"))

    def _run_claimed(self, job, request, remaining_s):
        key = request["cacheKey"]
        if self.store.get("cancel/%s" % job) is not None:
            self._finish(job, key, "cancelled")
            return {"job": job, "state": "cancelled"}
        job_fn = self.func_registry.get(request["callback"])
        if job_fn is None:
            self._finish(job, key, "failed", self._error(
                "the background callback %s is not registered in this instance (was the app changed while the "
                "job waited?)" % request["callback"], ""))
            return {"job": job, "state": "failed"}
        self.store.put("state/%s.json" % job, _encode({"state": "running", "at": self.clock()}))
        runner = _Run(self, job, key, job_fn, request)
        thread = threading.Thread(target=contextvars.copy_context().run, args=(runner.run,), daemon=True)
        thread.start()
        deadline = time.monotonic() + (remaining_s() if remaining_s else self.timeout) - STOP_MARGIN_S
        while thread.is_alive():
            thread.join(min(CANCEL_CHECK_S, max(deadline - time.monotonic(), 0.01)))
            if not thread.is_alive():
                break
            if self.store.get("cancel/%s" % job) is not None:
                runner.stop()
                self._finish(job, key, "cancelled")
                return {"job": job, "state": "cancelled"}
            if time.monotonic() >= deadline:
                runner.stop()
                self._finish(job, key, "failed", self._error(
                    "the background job did not finish within %d s (the server function's timeout); raise the "
                    "component's serverTimeout or split the work" % self.timeout, ""))
                return {"job": job, "state": "failed"}
        return {"job": job, "state": runner.state}


class _SetProps(dict):
    """The context's updated_props in a job: every set_props is written to the store at once."""

    def __init__(self, on_change):
        super().__init__()
        self._on_change = on_change

    def __setitem__(self, key, value):
        merged = dict(self.get(key) or {}, **value)
        super().__setitem__(key, merged)
        self._on_change(dict(self))


class _Run:
    """One job's run of the callback, in a thread the invocation watches. Once stopped (cancel, timeout)
    it writes nothing more: Lambda may thaw the instance later with the thread still inside the callback."""

    def __init__(self, manager, job, key, job_fn, request):
        self.m, self.job, self.key, self.job_fn, self.request = manager, job, key, job_fn, request
        self.stopped = threading.Event()
        self.state = "running"

    def stop(self):
        self.stopped.set()

    def _put(self, name, value):
        if self.stopped.is_set():
            raise Stopped()
        self.m.store.put(name, _encode(value))

    def run(self):
        from dash._callback_context import context_value
        from dash._utils import AttributeDict
        from dash.exceptions import PreventUpdate

        def set_progress(value):
            self._put("progress/%s.json" % self.key, list(value) if isinstance(value, (list, tuple)) else [value])

        ctx = AttributeDict(**self.request["context"])
        ctx.ignore_register_page = False
        ctx.updated_props = _SetProps(lambda props: self._put("props/%s.json" % self.key, props))
        context_value.set(ctx)
        args = self.request["args"]
        lead = [set_progress] if self.job_fn.progress else []
        try:
            if isinstance(args, dict):
                out = self.job_fn.fn(*lead, **args)
            elif isinstance(args, list):
                out = self.job_fn.fn(*lead, *args)
            else:
                out = self.job_fn.fn(*lead, args)
            if inspect.isawaitable(out):
                out = asyncio.run(_awaited(out))
            state = "done"
        except Stopped:
            return
        except PreventUpdate:
            out, state = {"_dash_no_update": "_dash_no_update"}, "done"
        except Exception as err:  # the browser shows it as Dash shows a background callback's error
            traceback.print_exc()
            out, state = self.m._error(str(err), traceback.format_exc()), "failed"
        if self.stopped.is_set():
            return
        try:
            encoded = _encode(out)
        except (TypeError, ValueError) as err:
            encoded, state = _encode(self.m._error("the callback's result cannot be sent as JSON: %s" % err, "")), "failed"
        self.m.store.put("result/%s.json" % self.key, encoded)
        self.m.store.put("state/%s.json" % self.job, _encode({"state": state, "at": self.m.clock()}))
        self.state = state


async def _awaited(value):
    return await value


def _refuse(store, job, error, now):
    """Records a start that did not happen, or a job that could not run, as this job's error, not under the
    cache key: with cache_by a result there is kept and answers every later run of the same inputs, and a
    refusal is not a result."""
    store.put("refused/%s.json" % job, _encode(error))
    store.put("state/%s.json" % job, _encode({"state": "failed", "at": now}))


# ---------------------------------------------------------------- installation into a loaded app


def _callback_maps(app):
    maps = [getattr(app, "callback_map", None)]
    try:
        from dash import _callback

        maps.append(getattr(_callback, "GLOBAL_CALLBACK_MAP", None))
    except ImportError:
        pass
    return [m for m in maps if isinstance(m, dict)]


def background_callbacks(app):
    """[(callback output id, its manager or None)] of the app's background callbacks, by output."""
    found = {}
    default = getattr(app, "_background_manager", None)
    for cmap in _callback_maps(app):
        for output, cb in cmap.items():
            spec = (cb.get("background") or cb.get("long")) if isinstance(cb, dict) else None
            if spec:
                found[output] = spec.get("manager") or cb.get("manager") or default
    return sorted(found.items(), key=lambda item: item[0])


def install(app, store, invoker, timeout=DEFAULT_TIMEOUT, concurrency=None):
    """Puts a LambdaManager in place of every manager the app's background callbacks use (per callback,
    and the app's default), running at most concurrency jobs at once (None: no cap). Returns the number of
    background callbacks it now runs."""
    cls = manager_class()
    ours = {}

    def replace(original):
        if original is None or isinstance(original, cls):
            return original
        if id(original) not in ours:
            ours[id(original)] = cls(store, invoker, timeout, cache_by=getattr(original, "cache_by", None),
                                     expire=getattr(original, "expire", None), concurrency=concurrency)
        return ours[id(original)]

    count = 0
    for cmap in _callback_maps(app):
        for cb in cmap.values():
            spec = (cb.get("background") or cb.get("long")) if isinstance(cb, dict) else None
            if not spec:
                continue
            count += 1
            if spec.get("manager") is not None:
                spec["manager"] = replace(spec["manager"])
            if cb.get("manager") is not None:
                cb["manager"] = replace(cb["manager"])
    if getattr(app, "_background_manager", None) is not None:
        app._background_manager = replace(app._background_manager)
    if ours:
        _installed[:] = list(ours.values())
    return count


def _job_id(event):
    job = event.get("job")
    return job if isinstance(job, str) and job.isalnum() else None


def run_job_event(event, remaining_s=None):
    """Runs {"type": "opendash-job", "job": ID} with the manager install() put in place."""
    job = _job_id(event)
    if job is None:
        return {"error": "the job event has no valid job id"}
    if not _installed:
        return {"error": "no background callback manager is installed in this instance"}
    result = _installed[-1].run_job(job, remaining_s)
    if result["state"] == "duplicate":
        sys.stderr.write("open-dash: background job %s is already claimed by another invocation (Lambda "
                         "delivered its event twice); this one ends\n" % job)
    else:
        sys.stderr.write("open-dash: background job %s ended: %s\n" % (job, result["state"]))
    return result


def fail_job_event(event, msg, settings):
    """Ends {"type": "opendash-job", "job": ID} without running it, when this instance cannot (the app failed
    to load in the jobs function): claimed as run_job claims it, its slot freed and msg recorded as the job's
    error, so the browser's next poll shows it instead of polling until the job's deadline. settings are
    opendash_jobstore.from_environment()'s (None: no job store, nothing to record)."""
    job = _job_id(event)
    if job is None:
        return {"error": "the job event has no valid job id"}
    if not settings:
        return {"error": msg}
    store, _, timeout, _ = settings
    request = _decode(store.get("job/%s.json" % job))
    if request is None:
        return {"job": job, "state": "unknown"}
    if not _jobslots().claim(store, job):
        return {"job": job, "state": "duplicate"}  # another delivery of the same event runs it
    _jobslots().Slots(store, None, timeout, time.time).release(request.get("slot"))
    try:
        error_key = _installed[-1].error_key if _installed else _dash_flavour()[1]
    except Exception:  # Dash itself does not import: the server cannot answer the poll either
        error_key = "background_callback_error"
    _refuse(store, job, {error_key: {"msg": msg, "tb": ""}}, time.time())
    sys.stderr.write("open-dash: background job %s ended: failed (%s)\n" % (job, msg))
    return {"job": job, "state": "failed"}
