# OpenDash preview: the server function's folder is read-only, as /var/task is on AWS Lambda.
# Run by the preview before worker.py when OPENDASH_READONLY_ROOT names the folder, after the write events it
# shares with the bundle's guard (bundler/writeevents): an audit hook refuses every write into it (open for
# writing, mkdir, rename, remove, chmod, a new SQLite database...) with the error Lambda gives, OSError(EROFS),
# and reports the path and the fix once per path on stderr. An existing SQLite database may be opened: SQLite
# reads it on a read-only file system (its own writes are C code, unseen).
def _opendash_readonly(root):
    import errno
    import os
    import sys

    root = os.path.realpath(root)
    reported = set()
    busy = []

    def inside(path, follows):
        written = _opendash_written_path(path, follows)  # noqa: F821 (writeevents.py, prepended)
        if written is None:
            return None
        real = written[1]  # an event on a link itself (remove, rename): where the link is, not where it points
        if real == root or real.startswith(root + os.sep):
            return real
        return None

    def refuse(real):
        if real not in reported:
            reported.add(real)
            sys.stderr.write("open-dash preview: the app writes %s inside the server function's folder, which is "
                             "read-only on AWS Lambda (/var/task): refused with OSError EROFS, as Lambda does. Write "
                             "under the temporary folder instead (tempfile.gettempdir(), /tmp on Lambda), or by a "
                             "relative path to a new top-level name (./cache/), which lands in the writable folder "
                             "the app runs in\n"
                             % os.path.relpath(real, root))
        raise OSError(errno.EROFS, "Read-only file system", real)

    def hook(event, args):
        if busy:
            return
        written = _opendash_written_paths(event, args)  # noqa: F821 (writeevents.py, prepended)
        if written is None:
            return
        indices, follows = written
        busy.append(1)
        try:
            found = [inside(args[i], follows) for i in indices if i < len(args)]
        finally:
            busy.pop()
        for real in found:
            if real and not (event == "sqlite3.connect" and os.path.isfile(real)):
                refuse(real)

    sys.addaudithook(hook)


def _opendash_readonly_install():
    import os

    root = os.environ.get("OPENDASH_READONLY_ROOT")
    if root:
        _opendash_readonly(root)


_opendash_readonly_install()
