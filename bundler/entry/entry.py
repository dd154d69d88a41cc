"""OpenDash's loader of a Dash app's entry point (standard library only).

Shared by the extraction (`open-dash bundle`) and the server function (shipped as opendash_entry.py beside
the handler), so both import exactly the same way: servers silenced first, then the module, then the
attribute, called when it is a factory.
"""
import importlib
import os
import sys
import traceback

# Methods that start a development server. Dash 3 made run_server obsolete (it raises), so it is skipped there.
SERVER_METHODS = (("dash", "Dash", "run"), ("dash", "Dash", "run_server"), ("flask", "Flask", "run"))


def silence_servers(on_call):
    """Replaces Dash.run, Dash.run_server and Flask.run with functions that only report their caller:
    on_call(where, what), where is "file:line" relative to the working folder of this call (the app's folder:
    the app itself may run in another, see opendash_workdir.py) and what is "Dash.run()". An app that starts
    its server at import (a notebook habit) then neither blocks nor opens a port. Packages that are not
    installed are skipped."""
    root = os.getcwd()
    for package, cls_name, method in SERVER_METHODS:
        try:
            cls = getattr(importlib.import_module(package), cls_name)
        except (ImportError, AttributeError):
            continue
        if not callable(getattr(cls, method, None)):
            continue
        setattr(cls, method, _silenced("%s.%s()" % (cls_name, method), on_call, root))


def _silenced(what, on_call, root):
    def run(*_args, **_kwargs):
        on_call(call_site(sys._getframe(1), root), what)
    run.__opendash_silenced__ = True
    return run


def call_site(frame, root=None):
    """file:line of a frame, the file relative to root (default: the working folder) when it is inside it."""
    name = frame.f_code.co_filename
    try:
        rel = os.path.relpath(name, root or os.getcwd())
        name = name if rel.startswith("..") else rel.replace(os.sep, "/")
    except ValueError:  # another drive
        pass
    return "%s:%d" % (name, frame.f_lineno)


def load(module, attribute, call):
    """Imports module, gets attribute and calls it when call is true: the entry point as the manifest
    records it. Returns what that yields (a dash.Dash for a well-formed entry)."""
    obj = getattr(importlib.import_module(module), attribute)
    return obj() if call else obj


def app_traceback(root):
    """The exception being handled, formatted from the first frame of the app's own code (a file under root
    other than OpenDash's opendash_* modules) on: the loader's and importlib's frames before it say nothing to
    the app's author. Every frame when none is the app's."""
    te = traceback.TracebackException(*sys.exc_info())
    root = os.path.realpath(root) + os.sep
    for i, frame in enumerate(te.stack):
        real = os.path.realpath(frame.filename)
        if real.startswith(root) and not os.path.basename(real).startswith("opendash_"):
            te.stack = traceback.StackSummary.from_list(list(te.stack)[i:])
            break
    return "".join(te.format())
