"""Loading the user's app for the OpenDash extraction (Go prepends this to extract.py, after entry.py).

load_app imports the entry module named by --app (default `app`) with Dash.run, Dash.run_server and
Flask.run silenced, resolves the Dash app in it, and checks it; a watchdog stops the whole process when
that takes longer than the job's timeout. Every problem becomes a Failure whose kind the Go side turns into
a hint (bundler/extract/extract.go).
"""

import importlib
import inspect
import os
import re
import sys
import threading
import time
import traceback


APP_ROOT = "."  # the app's folder (load_app sets it): messages name files relative to it
GUARD = None  # the SourceGuard of writes.py, once load_app made the app's working folder


class Failure(Exception):
    def __init__(self, kind, message, tb=None):
        super().__init__(message)
        self.kind, self.message, self.tb = kind, message, tb


def load_app(source, job, out_dir=None):
    """Returns (app, entry, warnings): the Dash app, the entry point that yields it ({"module",
    "attribute", "call"}: what the server function imports) and warnings for the bundle summary."""
    try:
        import dash
        import flask
    except ImportError as exc:
        raise Failure("dash_missing", f"cannot import Dash in {sys.executable}: {exc}")
    install_content_times()  # noqa: F821 (opendash_times.py: URLs follow file content, as in the server)
    calls = []
    silence_servers(lambda where, what: calls.append((where, what)))  # noqa: F821 (entry.py)
    spec = job.get("app") or {}
    module_name = spec.get("module") or "app"
    global APP_ROOT, GUARD
    APP_ROOT = source
    # The app runs as in the server function: in a writable folder linking its files (its own folder read-only).
    GUARD = enter_bundle_workdir(source, job.get("workdirEntries"), out_dir)  # noqa: F821 (writes.py)
    watchdog = Watchdog(float(job.get("timeout") or 120), module_name)
    started = time.perf_counter()
    try:
        module = import_entry(source, module_name)
        app, entry = resolve(module, module_name, spec.get("attribute") or "", bool(spec.get("call")),
                             dash.Dash, flask.Flask)
    finally:
        watchdog.stop()
    emit("loaded", seconds=round(time.perf_counter() - started, 6), entry=entry)  # noqa: F821 (extract.py)
    if not isinstance(app.server, flask.Flask):
        kind = type(app.server).__name__
        raise Failure("backend", f"the app's server is {kind}; OpenDash deploys Dash's Flask backend only")
    if getattr(app, "layout", None) is None and not getattr(app, "use_pages", False):
        raise no_layout(source, module, entry)
    warnings = []
    for where, what in dict.fromkeys(calls):
        warnings.append(f"{where} calls {what} while the app is imported; OpenDash never starts a server, so "
                        "the call did nothing here and does nothing in the server function (guard it with "
                        "`if __name__ == \"__main__\":` to keep running it locally)")
    return app, entry, warnings


def where(module):
    file = getattr(module, "__file__", None) or module.__name__
    rel = os.path.relpath(file, APP_ROOT)
    return file if rel.startswith("..") else rel.replace(os.sep, "/")


def import_entry(source, name):
    try:
        return importlib.import_module(name)
    except SyntaxError as exc:
        at = f"{exc.filename}:{exc.lineno}" if exc.filename else name
        # The file, line and caret say it all; the frames above them are importlib's and OpenDash's.
        raise Failure("syntax", f"syntax error in {at}: {exc.msg}", "".join(traceback.format_exception_only(type(exc), exc)))
    except ModuleNotFoundError as exc:
        if exc.name and (name == exc.name or name.startswith(exc.name + ".")):
            raise Failure("no_module", f"--app {name}: there is no module {name} in {source}")
        raise app_failure("import_app", f"importing {name} failed")
    except BaseException:  # the app's own import failed: show its traceback, whatever it raised
        raise app_failure("import_app", f"importing {name} failed")


def app_failure(kind, what):
    """A Failure for the exception the app just raised: the exception and the app's line that raised it in the
    message, the traceback from the app's first frame on (OpenDash's and importlib's frames before it say
    nothing to the user), without the extraction's own frames at its end (writes.py refusing a write)."""
    exc_type, exc, tb = sys.exc_info()
    te = traceback.TracebackException(exc_type, exc, tb)
    name = environ_key(exc, te.stack)  # before os's own frame is left out below
    while len(te.stack) > 1 and is_ours(te.stack[-1].filename):
        te.stack = traceback.StackSummary.from_list(list(te.stack)[:-1])
    root = os.path.realpath(APP_ROOT) + os.sep
    ours = [i for i, fr in enumerate(te.stack) if os.path.realpath(fr.filename).startswith(root)]
    at = ""
    if ours:
        last = te.stack[ours[-1]]
        at = f" ({os.path.relpath(last.filename, APP_ROOT).replace(os.sep, '/')}, line {last.lineno})"
        te.stack = traceback.StackSummary.from_list(list(te.stack)[ours[0]:])
    summary = "".join(te.format_exception_only()).strip().splitlines()[-1]
    if name is not None:
        return Failure("env_missing", f"{what}: {summary}{at}: the app reads the environment variable {name} "
                       "while it is loaded, and this environment lacks it", "".join(te.format()))
    return Failure(kind, f"{what}: {summary}{at}", "".join(te.format()))


def environ_key(exc, stack):
    """The variable's name when exc is the KeyError of os.environ[NAME] (raised in os.py's __getitem__)."""
    if not isinstance(exc, KeyError) or not stack or not exc.args or not isinstance(exc.args[0], str):
        return None
    last = stack[-1]
    in_os = last.filename == "<frozen os>" or os.path.basename(last.filename) == "os.py"  # frozen from 3.11
    return exc.args[0] if last.name == "__getitem__" and in_os else None


def dash_apps(module, dash_cls):
    """Module-level dash.Dash instances, by the first name bound to each, in name order."""
    seen = {}
    for name, value in sorted(vars(module).items()):
        if isinstance(value, dash_cls) and not name.startswith("__") and id(value) not in seen:
            seen[id(value)] = name
    return sorted(seen.values())


def resolve(module, module_name, attribute, call, dash_cls, flask_cls):
    """The app and its entry: the named attribute (a Dash, or a factory), else create_app(), else a
    module-level Dash named app, else the only module-level Dash."""
    file = where(module)
    if attribute:
        if not hasattr(module, attribute):
            found = dash_apps(module, dash_cls)
            also = f"; its dash.Dash apps: {', '.join(found)}" if found else ""
            raise Failure("no_attribute", f"--app {module_name}:{attribute}{'()' if call else ''}: {file} has no "
                          f"attribute {attribute}{also}")
        obj = getattr(module, attribute)
        if not call and not isinstance(obj, dash_cls):
            if isinstance(obj, flask_cls) or inspect.isclass(obj) or not callable(obj):
                found = dash_apps(module, dash_cls)
                hint = f" (use --app {module_name}:{found[0]})" if len(found) == 1 else ""
                raise Failure("not_dash", f"--app {module_name}:{attribute}: {attribute} in {file} is "
                              f"{type_name(obj)}, not a dash.Dash nor a function returning one{hint}")
            call = True  # a callable that is not a Dash: a factory
        entry = {"module": module_name, "attribute": attribute, "call": call}
    elif callable(getattr(module, "create_app", None)):
        entry = {"module": module_name, "attribute": "create_app", "call": True}
    elif isinstance(getattr(module, "app", None), dash_cls):
        entry = {"module": module_name, "attribute": "app", "call": False}
    else:
        found = dash_apps(module, dash_cls)
        if len(found) > 1:
            raise Failure("several_apps", f"{file} defines several dash.Dash apps ({', '.join(found)}); choose one "
                          f"with --app: " + " or ".join(f"--app {module_name}:{n}" for n in found))
        if not found:
            raise Failure("no_app", f"{file} defines no create_app() function and no dash.Dash app at module level")
        entry = {"module": module_name, "attribute": found[0], "call": False}
    app = getattr(module, entry["attribute"])
    if entry["call"]:
        try:
            app = app()
        except BaseException:
            raise app_failure("create_app_raised", f"{entry['attribute']}() in {file} raised")
        if not isinstance(app, dash_cls):
            raise Failure("not_dash", f"{entry['attribute']}() in {file} returned {type_name(app)}, not a dash.Dash")
    return app, entry


def type_name(obj):
    return f"{type(obj).__module__}.{type(obj).__qualname__}"


def no_layout(source, module, entry):
    """The app has no layout: name the root module that sets it (the classic app.py + index.py)."""
    file = where(module)
    imports = re.compile(r"^\s*(from\s+%s\s+import\b|import\s+%s\b)" % ((re.escape(entry["module"]),) * 2), re.M)
    sets = re.compile(r"^\s*(\w+)\.layout\s*=", re.M)
    setters = []
    for name in sorted(os.listdir(source)):
        path = os.path.join(source, name)
        if not name.endswith(".py") or name[:-3] == entry["module"] or not os.path.isfile(path):
            continue
        try:
            with open(path, encoding="utf-8") as fh:
                text = fh.read()
        except (OSError, UnicodeDecodeError):
            continue
        found = sets.search(text)
        if found and imports.search(text):
            setters.append((name, f"--app {name[:-3]}:{found.group(1)}"))
    spec = f"{entry['module']}:{entry['attribute']}{'()' if entry['call'] else ''}"
    if setters:
        return Failure("no_layout", f"{file} makes the app ({spec}) but sets no layout, and {setters[0][0]} sets it: "
                       f"bundle with {' or '.join(s for _, s in setters)} (the module that sets the layout is "
                       "the entry point, as with `python index.py`)")
    return Failure("no_layout", f"the app {spec} from {file} has no layout; set app.layout before returning the app "
                   "(or name the module that sets it with --app MODULE:ATTRIBUTE)")


class Watchdog:
    """Fails the extraction when importing the app and calling its entry point takes longer than timeout
    seconds: it reports the main thread's stack (what was still running) on the events channel and ends the
    process. A C extension that never releases the GIL starves this thread too: Go keeps a backstop."""

    def __init__(self, timeout, module_name):
        self.timeout, self.module_name = timeout, module_name
        self.main = threading.main_thread().ident
        self.done = threading.Event()
        self.lock = threading.Lock()
        self.thread = threading.Thread(target=self.watch, name="opendash-watchdog", daemon=True)
        self.thread.start()

    def stop(self):
        with self.lock:
            self.done.set()

    def watch(self):
        if self.done.wait(self.timeout):
            return
        with self.lock:
            if self.done.is_set():
                return
            frame = sys._current_frames().get(self.main)
            stack = [f for f in traceback.extract_stack(frame) if not is_ours(f.filename)] if frame else []
            for f in stack:
                rel = os.path.relpath(f.filename, APP_ROOT)
                f.filename = f.filename if rel.startswith("..") else rel
            still = "".join(traceback.format_list(stack[-12:])) or "  (no Python frame: C code is running)\n"
            emit("report", ok=False, error={  # noqa: F821 (extract.py)
                "kind": "timeout",
                "message": f"importing {self.module_name} and calling its entry point took longer than "
                           f"{self.timeout:g} s; still running (most recent call last):\n{still.rstrip()}",
                "traceback": ""})
            os._exit(USER_ERROR)  # noqa: F821 (extract.py)


def is_ours(filename):
    """Frames of the extraction itself and of the import machinery, left out of the timeout's stack."""
    machinery = os.path.dirname(importlib.__file__) + os.sep
    return (filename.startswith(("<frozen ", machinery)) or
            filename in ("<string>", __file__ if "__file__" in globals() else ""))


LINK_ATTRS = {"script": "src", "link": "href", "img": "src", "source": "src"}


def linked_urls(page):
    """The URLs the browser loads while parsing the index page (html.parser is imported here: Dash apps do
    not import it, and the start of this script is on the bundle's critical path)."""
    import html.parser

    urls = []

    class Collector(html.parser.HTMLParser):
        def handle_starttag(self, tag, attrs):
            wanted = LINK_ATTRS.get(tag)
            urls.extend(value for name, value in attrs if name == wanted and value)

    Collector().feed(page)
    return urls


def disable_dev_tools(app, warnings):
    tools = getattr(app, "_dev_tools", {}) or {}
    if any(tools.get(k) for k in ("ui", "serve_dev_bundles", "hot_reload", "props_check")):
        app.enable_dev_tools(debug=False, dev_tools_ui=False, dev_tools_props_check=False,
                             dev_tools_serve_dev_bundles=False, dev_tools_hot_reload=False)
        warnings.append("the app turned Dash dev tools on; the bundle was built without them "
                        "(debug mode loads development bundles and calls dash-version.plotly.com)")
