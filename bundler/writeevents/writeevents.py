"""OpenDash write events: which Python audit events change the file system, and where their paths are.

One list for the two places that keep an app from writing into a folder that is read-only on AWS Lambda:
the bundle's guard of the app's source folder (bundler/extract/writes.py, at bundle time, in the user's
Python) and the preview's read-only server function folder (preview/readonly.py, in each preview worker).
Go prepends this text to both programs, so it defines only private names (_opendash_...), its import
included. Writes by C code (SQLite's own journal, pyarrow) pass no audit hook.
"""
import os as _opendash_os

# Audit events that change the file system: which arguments are paths, and whether the event acts on a link
# itself (False) or follows it to its target (True).
_OPENDASH_WRITE_EVENTS = {
    "os.mkdir": ((0,), False), "os.rename": ((0, 1), False), "os.remove": ((0,), False),
    "os.rmdir": ((0,), False), "os.symlink": ((1,), False), "os.link": ((1,), False),
    "shutil.rmtree": ((0,), False), "os.chmod": ((0,), True), "os.chown": ((0,), True),
    "os.truncate": ((0,), True), "os.utime": ((0,), True), "sqlite3.connect": ((0,), True),
}
_OPENDASH_OPEN_WRITE_FLAGS = (_opendash_os.O_WRONLY | _opendash_os.O_RDWR | _opendash_os.O_CREAT | _opendash_os.O_TRUNC
                              | _opendash_os.O_APPEND)


def _opendash_written_paths(event, args):
    """(indices of args that are paths it writes, whether it follows a link there) of an audit event that
    changes the file system; None for every other event, an open for reading included."""
    if event == "open":
        path, mode, flags = (tuple(args) + (None, None, 0))[:3]
        writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
            mode is None and isinstance(flags, int) and flags & _OPENDASH_OPEN_WRITE_FLAGS)
        return ((0,), True) if writing else None
    return _OPENDASH_WRITE_EVENTS.get(event)


def _opendash_written_path(path, follows):
    """(the path made absolute, the real path the write reaches: the link's target when the event follows
    links, else the link itself in its real folder) of one path argument; None for one that names no file (a
    descriptor, an in-memory or URI SQLite database, "")."""
    if isinstance(path, int) or path is None:
        return None
    try:
        name = _opendash_os.fsdecode(path)
    except TypeError:
        return None
    if name in ("", ":memory:") or name.startswith("file:"):
        return None
    given = _opendash_os.path.abspath(name)
    if follows:
        return given, _opendash_os.path.realpath(given)
    parent, base = _opendash_os.path.split(given)
    return given, _opendash_os.path.join(_opendash_os.path.realpath(parent), base)
