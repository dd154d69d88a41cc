"""The app's folder while it is bundled, as the server function's folder is on AWS Lambda (Go prepends this to
extract.py, after opendash_workdir.py and the write events it shares with the preview, bundler/writeevents).

Lambda's task root is read-only; the server function runs the app in a writable working folder whose
entries link to it (opendash_workdir.py), and so does the extraction: a relative write of a new top-level
name (diskcache.Cache("./cache")) lands in a temporary folder, as on Lambda. What would fail on Lambda, a
write into one of the app's own files or folders, must neither fail the bundle where the app handles it nor
change the source folder: an audit hook sees every Python-level write before it happens (the events
_opendash_written_paths names) and
- for a path through the working folder's links (./data/out.csv), first turns the folders on the way (and a
  file written in place) into copies in the working folder, so the write lands there;
- for a path straight into the source folder (built from __file__), refuses it with OSError EROFS, Lambda's
  error, since nothing can take its place;
and records it, with the app's line, for a bundle warning naming the file and the fix. Writes by C code (a
SQLite database's own journal, pyarrow) pass no audit hook and are not seen.
"""

import errno
import os
import shutil
import sys


def enter_bundle_workdir(source, entries, out_dir):
    """Runs the app from here on as the server function does (opendash_workdir.py), its folder guarded;
    entries are the top-level names the server function holds. Returns the guard."""
    folder = enter_writable_workdir(source, entries)  # noqa: F821 (opendash_workdir.py)
    guard = SourceGuard(source, folder, [out_dir])
    guard.install()
    return guard


def inside(path, folder):
    return path == folder or path.startswith(folder + os.sep)


class SourceGuard:
    """Keeps the app from changing its source folder while it is bundled; see the module's doc."""

    def __init__(self, source, workdir, exempt=()):
        self.source = os.path.realpath(source)
        # No working folder (it could not be made): every write into the source is refused.
        self.workdirs = {os.path.abspath(workdir), os.path.realpath(workdir)} if workdir else set()
        self.exempt = [os.path.realpath(e) for e in exempt if e]
        self.seen = {}  # source-relative path -> (what the app did, where)
        self.refused = []  # source-relative paths refused with EROFS
        self.busy = False

    def install(self):
        sys.addaudithook(self.hook)

    def hook(self, event, args):
        if self.busy:
            return
        written = _opendash_written_paths(event, args)  # noqa: F821 (writeevents.py, prepended)
        if written is None:
            return
        indices, follows = written
        self.busy = True
        try:
            refuse = [real for i in indices if i < len(args)
                      for real in [self.check(event, args[i], follows)] if real]
        finally:
            self.busy = False
        if refuse:
            raise OSError(errno.EROFS, "Read-only file system", refuse[0])

    def check(self, event, path, follows):
        """Handles one written path; returns its real path when the write must be refused."""
        written = _opendash_written_path(path, follows)  # noqa: F821 (writeevents.py, prepended)
        if written is None:
            return None
        given, real = written  # real: where the write goes now, and on Lambda
        if not inside(real, self.source) or any(inside(real, e) for e in self.exempt):
            return None
        rel = os.path.relpath(real, self.source).replace(os.sep, "/")
        existing_db = event == "sqlite3.connect" and os.path.isfile(real)
        through_link = any(inside(given, w) for w in self.workdirs)
        refused = not through_link and not existing_db  # reading a database works on Lambda too
        self.note(rel, "reads the SQLite database" if existing_db else "writes", refused)
        if refused:
            self.refused.append(rel)
            return real
        if through_link:
            self.copy_on_write(given, follows)
        return None

    def note(self, rel, what, refused):
        if rel in self.seen:
            return
        self.seen[rel] = (what, self.app_line(), refused)
        sys.stderr.write("open-dash: the app %s %s inside its own folder while it is bundled%s; on AWS Lambda that "
                         "folder is read-only\n" % (what, rel, " (refused)" if refused else ""))

    def app_line(self):
        """'app.py, line 12': the innermost frame of the app's own code that made the call."""
        frame = sys._getframe(2)
        while frame is not None:
            file = os.path.realpath(frame.f_code.co_filename)
            if inside(file, self.source):
                return "%s, line %d" % (os.path.relpath(file, self.source).replace(os.sep, "/"), frame.f_lineno)
            frame = frame.f_back
        return ""

    def copy_on_write(self, given, follows):
        """Turns each linked folder on the way to given into a folder of links in the working folder (and the
        file itself into a copy when the call follows links), so the write changes the working folder only."""
        base = next(w for w in self.workdirs if inside(given, w))
        current = base
        parts = os.path.relpath(given, base).split(os.sep)
        for i, part in enumerate(parts):
            current = os.path.join(current, part)
            last = i == len(parts) - 1
            if not os.path.islink(current):
                if last or not os.path.isdir(current):
                    return  # the write makes or changes a path of the working folder itself
                continue
            if last and not follows:
                return  # the call acts on the link itself, which is the working folder's
            target = os.path.realpath(current)
            if not inside(target, self.source):
                return
            os.unlink(current)
            if os.path.isdir(target):
                os.mkdir(current)
                for entry in sorted(os.listdir(target)):
                    os.symlink(os.path.join(target, entry), os.path.join(current, entry))
            elif last:
                shutil.copy2(target, current)
            else:
                return

    def warnings(self):
        """One bundle warning per path the app wrote inside its folder (at most 10, then a count)."""
        out = []
        for rel, (what, line, refused) in list(self.seen.items())[:10]:
            by = (line + ": the app " if line else "the app ") + what
            top = rel.split("/")[0]
            leftover = ""
            if os.path.lexists(os.path.join(self.source, top)):  # shipped with the app: maybe a leftover
                shown = top + "/" if os.path.isdir(os.path.join(self.source, top)) else top
                leftover = (f"; if {shown} only holds what the app made while running, delete it from the source "
                            f"folder (or leave it out with --exclude-dirs {top})")
            if what.startswith("reads"):
                out.append(f"{by} {rel} inside its own folder: on AWS Lambda (and in `open-dash preview`) that "
                           "folder is read-only, so the database can be read but a write to it fails (\"attempt to "
                           "write a readonly database\"; diskcache writes when it opens its cache): if the app writes "
                           f"to it, create it under tempfile.gettempdir() instead{leftover}")
                continue
            how = "refused while bundling too" if refused else "while bundling it went to a temporary folder"
            out.append(f"{by} {rel} inside its own folder: on AWS Lambda (and in `open-dash preview`) that folder is "
                       f"read-only, so this write fails there with OSError EROFS ({how}); write under "
                       "tempfile.gettempdir() (/tmp on Lambda) instead, or by a relative path to a new top-level "
                       f"name (./cache/), which lands in the writable folder the app runs in{leftover}")
        if len(self.seen) > 10:
            out.append(f"the app writes {len(self.seen) - 10} more paths inside its own folder")
        return out
