"""Tests of the preview's read-only server function folder (readonly.py), run by readonly_test.go with the
program the workers run prepended (OPENDASH_READONLY_ROOT names the folder): every Python-level write into
it fails with EROFS, as on AWS Lambda's /var/task, and leaves it unchanged; reads and writes elsewhere work."""
import errno
import os
import shutil
import sqlite3
import tempfile
import unittest

ROOT = os.environ["OPENDASH_READONLY_ROOT"]
OUTSIDE = tempfile.mkdtemp()


def inside(*parts):
    return os.path.join(ROOT, *parts)


# One write of each kind the audit hook sees, into the folder: the event it raises, and the call.
WRITES = {
    "open": lambda: open(inside("new.txt"), "w"),
    "os.mkdir": lambda: os.mkdir(inside("newdir")),
    "os.rename": lambda: os.rename(inside("file.txt"), inside("renamed.txt")),
    "os.remove": lambda: os.remove(inside("file.txt")),
    "os.rmdir": lambda: os.rmdir(inside("empty")),
    "os.symlink": lambda: os.symlink(OUTSIDE, inside("link")),
    "os.link": lambda: os.link(inside("file.txt"), inside("hard.txt")),
    "shutil.rmtree": lambda: shutil.rmtree(inside("empty")),
    "os.chmod": lambda: os.chmod(inside("file.txt"), 0o600),
    "os.chown": lambda: os.chown(inside("file.txt"), -1, -1),
    "os.truncate": lambda: os.truncate(inside("file.txt"), 0),
    "os.utime": lambda: os.utime(inside("file.txt"), (0, 0)),
    "sqlite3.connect": lambda: sqlite3.connect(inside("new.db")),
}


def snapshot():
    out = {}
    for folder, dirs, files in os.walk(ROOT):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            out[os.path.relpath(path, ROOT)] = (st.st_mode, st.st_size, st.st_mtime)
    return out


class ReadOnlyTest(unittest.TestCase):
    def test_every_write_into_the_folder_is_refused(self):
        before = snapshot()
        for event, write in WRITES.items():
            with self.subTest(event=event):
                with self.assertRaises(OSError) as caught:
                    write()
                self.assertEqual(caught.exception.errno, errno.EROFS)
        self.assertEqual(snapshot(), before, "the folder changed")

    def test_every_write_event_is_tried(self):
        # The events the bundle's guard watches too (writeevents.py, prepended with readonly.py).
        self.assertEqual(set(WRITES), set(_OPENDASH_WRITE_EVENTS) | {"open"})  # noqa: F821

    def test_links_into_the_folder_act_as_on_lambda(self):
        # The app's working folder (opendash_workdir.py) is under /tmp, its entries links into the folder: as
        # on Lambda, a link there may itself be renamed or removed (app.log removed at start-up, then written
        # anew); a write through it is refused.
        link = os.path.join(OUTSIDE, "app.log")
        os.symlink(inside("file.txt"), link)
        with self.assertRaises(OSError) as caught:
            open(link, "a")
        self.assertEqual(caught.exception.errno, errno.EROFS)
        moved = os.path.join(OUTSIDE, "moved.log")
        os.rename(link, moved)
        os.remove(moved)
        self.assertFalse(os.path.lexists(moved))
        with open(inside("file.txt")) as fh:
            self.assertEqual(fh.read(), "data")

    def test_reads_and_writes_elsewhere_work(self):
        with open(inside("file.txt")) as fh:
            self.assertEqual(fh.read(), "data")
        sqlite3.connect(inside("existing.db")).close()  # SQLite reads a database on a read-only file system
        with open(os.path.join(OUTSIDE, "x.txt"), "w") as fh:
            fh.write("x")
        os.mkdir(os.path.join(OUTSIDE, "d"))
        shutil.rmtree(os.path.join(OUTSIDE, "d"))


if __name__ == "__main__":
    unittest.main()
