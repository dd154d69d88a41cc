"""OpenDash working folder: the app runs in a writable current directory that shows the app's own files.

AWS Lambda runs a function in its task root (/var/task), which is read-only: an app that creates something by
a relative path while it starts, as Dash's documentation writes background callbacks
(`diskcache.Cache("./cache")` at module level), cannot start there. enter_writable_workdir(root) makes a
folder under the temporary folder (tempfile.gettempdir(): /tmp on Lambda, one per instance), puts in it a
symbolic link to each entry of root, and makes it the current directory. Relative reads reach the app's files
through the links; a relative write of a new file or folder (./cache) lands in the temporary folder. A write
under one of the app's own folders (./data/out.csv) still follows the link into the read-only folder and
fails, as it would anyway: `open-dash bundle` warns about those.

Shipped twice, kept identical: beside the server function's handler (opendash_workdir.py), which calls it
before it imports the app, and prepended to the bundler's extraction script, which calls it with the entries
the server function will hold, so that what an app writes while it is bundled lands in a temporary folder,
never in the source folder or the bundle. Standard library only.
"""
import os as _odwork_os
import sys as _odwork_sys
import tempfile as _odwork_tempfile

_odwork_folders = {}  # root -> the working folder made for it in this process


def enter_writable_workdir(root, entries=None):
    """Makes the current directory a new folder under the temporary folder holding a link to each entry of
    root (entries: the names to link, default every entry of root) and returns it. Called again for the same
    root it re-enters the same folder. When the folder cannot be made the current directory is left alone,
    the reason goes to stderr and None is returned: the app then runs in root, as it would without this."""
    root = _odwork_os.path.abspath(root)
    folder = _odwork_folders.get(root)
    try:
        if folder is None:
            names = sorted(_odwork_os.listdir(root) if entries is None else entries)
            folder = _odwork_tempfile.mkdtemp(prefix="opendash-app-")
            for name in names:
                _odwork_os.symlink(_odwork_os.path.join(root, name), _odwork_os.path.join(folder, name))
            _odwork_folders[root] = folder
        _odwork_os.chdir(folder)
    except OSError as exc:
        _odwork_sys.stderr.write("open-dash: cannot make a writable working folder for the app (%s); it runs in "
                                 "%s, where relative writes fail\n" % (exc, root))
        return None
    _odwork_os.environ["PWD"] = folder  # for code that reads the shell's idea of the current directory
    return folder
