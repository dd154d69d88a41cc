"""OpenDash server function: loading the app, once per instance (shipped as opendash_load.py, beside the handler).

load_app reads the secrets the component names into os.environ, silences Dash.run and Flask.run, makes
Dash's URLs follow content, enters a writable working folder linking the task root, imports the entry point
the bundle resolved (opendash-app.json beside this file, e.g. {"module": "index", "attribute": "app",
"call": false}) through opendash_entry.py, adds the body-hash script to the pages the server renders,
installs the background callback manager when the function has a job store, and renders the pages every
visit starts with. An app that fails to load is logged once with its traceback (from the app's first frame
on), then briefly on each retry. run_job runs a background callback job's event. Standard library only.
"""
import json
import os
import sys
import time
import traceback

import opendash_wsgi  # beside this file: priming builds its requests as the handler does

# The task root: the app's files, this module and the other opendash_* modules.
TASK_ROOT = os.path.dirname(os.path.abspath(__file__))

# The entry point the bundle resolved; bundles without the file used create_app() from app.py.
ENTRY_FILE = "opendash-app.json"
DEFAULT_ENTRY = {"module": "app", "attribute": "create_app", "call": True}

# Background callbacks: opendash_background.py (beside this file) replaces the app's manager when the
# function has a job store (the component sets one when the bundle found background callbacks).
JOB_EVENT = "opendash-job"

_wsgi_app = None
_last_failure = None  # the traceback of the last failed load, so a repeated failure is logged briefly


def _read_entry(folder):
    try:
        with open(os.path.join(folder, ENTRY_FILE), encoding="utf-8") as fh:
            entry = json.load(fh)
        module, attribute, call = entry["module"], entry["attribute"], entry["call"]
    except OSError:
        return dict(DEFAULT_ENTRY)
    except (ValueError, KeyError, TypeError):
        sys.stderr.write("open-dash: %s is malformed; re-run `open-dash bundle`\n" % ENTRY_FILE)
        return dict(DEFAULT_ENTRY)
    return {"module": str(module), "attribute": str(attribute), "call": bool(call)}


ENTRY = _read_entry(TASK_ROOT)


def entry_name():
    return "%s:%s%s" % (ENTRY["module"], ENTRY["attribute"], "()" if ENTRY["call"] else "")


def _server_call(where, what):
    sys.stderr.write("open-dash: %s calls %s while the app is imported; ignored (the server function serves "
                     "the app itself)\n" % (where, what))


def load_app():
    """The app's WSGI server, loaded once per instance; None while loading fails (each call retries)."""
    global _wsgi_app, _last_failure
    if _wsgi_app is not None:
        return _wsgi_app
    started = time.perf_counter()
    try:
        __import__("opendash_secrets").load()  # into os.environ before the app reads it (opendash_secrets.py)
        import opendash_entry  # beside this file, in the task root

        opendash_entry.silence_servers(_server_call)
        __import__("opendash_times").install_content_times()  # Dash's URLs follow content, as in the bundle
        # A writable working folder linking the task root's files: ./cache (diskcache) lands in /tmp.
        __import__("opendash_workdir").enter_writable_workdir(TASK_ROOT)
        dash_app = opendash_entry.load(ENTRY["module"], ENTRY["attribute"], ENTRY["call"])
        _install_body_hash(dash_app)
        _install_jobs(dash_app)
        wsgi_app = getattr(dash_app, "server", dash_app)
    except (Exception, SystemExit):  # an app calling sys.exit() at import must not end the instance
        failure = _app_traceback()
        if failure != _last_failure:
            sys.stderr.write("open-dash: loading the app (%s) failed; requests answer 500 and retry the load\n%s"
                             % (entry_name(), failure))
        else:
            sys.stderr.write("open-dash: loading the app (%s) failed again: %s (traceback above)\n"
                             % (entry_name(), failure.rstrip().splitlines()[-1]))
        _last_failure = failure
        return None
    _prime(dash_app, wsgi_app)
    _wsgi_app = wsgi_app
    sys.stderr.write("open-dash: app loaded in %.2f s (%s)\n" % (time.perf_counter() - started, entry_name()))
    return _wsgi_app


def _app_traceback():
    """The load failure's traceback from the app's first frame on (opendash_entry.py), else all of it."""
    full = traceback.format_exc()
    try:
        return sys.modules["opendash_entry"].app_traceback(TASK_ROOT)
    except Exception:
        return full


def _install_body_hash(dash_app):
    """Pages the server renders load the body-hash script too (opendash_bodyhash.py, beside this file)."""
    if hasattr(dash_app, "interpolate_index"):  # a Dash app, not a bare WSGI app
        import opendash_bodyhash
        opendash_bodyhash.install_body_hash(dash_app)


def _prime(dash_app, wsgi_app):
    """Renders the pages every visit starts with, once, so their one-time costs are paid at load.

    Dash sets itself up on its first request (its before_request set-up, the index's validation patterns,
    the first JSON encoding of a figure): milliseconds (3 to 12 for examples/single-page) that would
    otherwise fall on the first visitor of every instance, warm or not. Only Dash's own GET routes are
    requested, and the layout only when it is not a function (that would be the app's code, run for a
    request nobody made). Answers are discarded; a failure here is the first visitor's to meet, so it is
    ignored.
    """
    prefix = getattr(getattr(dash_app, "config", None), "routes_pathname_prefix", None)
    if not isinstance(prefix, str) or not prefix.startswith("/"):
        return  # not a Dash app (a bare Flask server, say): nothing known to render
    paths = [prefix, prefix + "_dash-dependencies"]
    if not callable(getattr(dash_app, "layout", None)):
        paths.append(prefix + "_dash-layout")
    for path in paths:
        environ = opendash_wsgi.environ({"rawPath": "/", "requestContext": {"http": {"method": "GET"}},
                                         "headers": {"accept": "*/*", "accept-encoding": "gzip"}})
        environ["PATH_INFO"] = path  # already the path Flask listens on: no prefix rewrite
        try:
            result = wsgi_app(environ, lambda status, headers, exc_info=None: (lambda chunk: None))
            try:
                for _ in result:
                    pass
            finally:
                if hasattr(result, "close"):
                    result.close()
        except Exception:
            return


def _install_jobs(dash_app):
    try:
        import opendash_background
        import opendash_jobstore
    except ImportError:
        return
    settings = opendash_jobstore.from_environment()
    if settings:
        count = opendash_background.install(dash_app, *settings)
        if count:
            sys.stderr.write("open-dash: %d background callback(s) run as jobs in %r\n" % (count, settings[0]))


def run_job(event, context):
    """An asynchronous self-invocation: runs one background callback job to its end. When the app does not
    load, the job ends at once with that error (its slot freed): the browser's next poll shows it."""
    import opendash_background
    import opendash_jobstore

    if load_app() is None:
        return opendash_background.fail_job_event(event, "the app failed to start in the jobs function (loading "
                                                  "it raised); see that function's logs",
                                                  opendash_jobstore.from_environment())
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return opendash_background.run_job_event(event, (lambda: remaining() / 1000.0) if remaining else None)
