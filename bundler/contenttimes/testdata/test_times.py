"""Tests for opendash_times.py; run by contenttimes_test.go (go test) with the helper's folder on sys.path."""
import hashlib
import os
import sys
import tempfile
import types
import unittest

import opendash_times as times


def fake_module(name):
    module = types.ModuleType(name)
    module.os = os
    sys.modules[name] = module
    return module


class ContentTimesTest(unittest.TestCase):
    def setUp(self):
        self.dir = tempfile.mkdtemp()
        self.file = os.path.join(self.dir, "style.css")
        self.write(b"body{}")
        self.module = fake_module("fake_dash_resources")
        times.install_content_times(["fake_dash_resources", "no_such_module_here"])

    def tearDown(self):
        sys.modules.pop("fake_dash_resources", None)

    def write(self, data, mtime=None):
        with open(self.file, "wb") as fh:
            fh.write(data)
        if mtime is not None:
            os.utime(self.file, (mtime, mtime))

    def test_times_follow_content(self):
        want = int(hashlib.sha256(b"body{}").hexdigest()[:8], 16)
        cases = [
            ("an old checkout", b"body{}", 1_000_000_000, want),
            ("a fresh clone", b"body{}", 1_900_000_000, want),
            ("an edit", b"body{color:red}", 1_900_000_000, int(hashlib.sha256(b"body{color:red}").hexdigest()[:8], 16)),
        ]
        for name, data, mtime, expected in cases:
            with self.subTest(name):
                self.write(data, mtime)
                st = self.module.os.stat(self.file)
                self.assertEqual((st.st_mtime, int(st.st_mtime), st[8]), (float(expected), expected, expected))
                self.assertEqual(self.module.os.path.getmtime(self.file), float(expected))
                self.assertEqual(st.st_size, len(data), "other fields are the real ones")

    def test_only_dash_modules_and_regular_files_change(self):
        os.utime(self.file, (1_000_000_000, 1_000_000_000))
        self.assertEqual(os.stat(self.file).st_mtime, 1_000_000_000, "os itself is untouched")
        self.assertEqual(self.module.os.stat(self.dir).st_mtime, os.stat(self.dir).st_mtime, "folders keep theirs")
        self.assertEqual(self.module.os.path.join("a", "b"), os.path.join("a", "b"))
        self.assertIs(self.module.os.environ, os.environ)

    def test_install_is_idempotent(self):
        patched = self.module.os
        times.install_content_times(["fake_dash_resources"])
        self.assertIs(self.module.os, patched)

    def test_dash_modules_when_dash_is_importable(self):
        try:
            import dash  # noqa: F401 (the stand-in or a real Dash, whichever is on the path)
        except ImportError:
            self.skipTest("no dash on the path")
        times.install_content_times()
        for name in times.OPENDASH_TIMED_MODULES:
            module = sys.modules.get(name)
            if module is not None and hasattr(module, "os"):
                self.assertTrue(getattr(module.os, "opendash_content_times", False), name)


if __name__ == "__main__":
    unittest.main()
