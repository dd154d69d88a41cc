"""Tests for opendash_workdir.py; run by workdir_test.go (go test) with the helper's folder on sys.path."""
import os
import shutil
import tempfile
import unittest

import opendash_workdir as workdir


class WorkdirTest(unittest.TestCase):
    def setUp(self):
        self.cwd = os.getcwd()
        self.tmp = tempfile.mkdtemp()
        self.root = os.path.join(self.tmp, "task")  # the app's folder (read-only on Lambda)
        os.makedirs(os.path.join(self.root, "data"))
        with open(os.path.join(self.root, "data", "table.csv"), "w") as fh:
            fh.write("a,b\n1,2\n")
        with open(os.path.join(self.root, "app.py"), "w") as fh:
            fh.write("x = 1\n")
        self.temp = os.path.join(self.tmp, "instance-tmp")  # the instance's /tmp
        os.mkdir(self.temp)
        self.saved_tempdir, tempfile.tempdir = tempfile.tempdir, self.temp
        workdir._odwork_folders.clear()

    def tearDown(self):
        os.chdir(self.cwd)
        tempfile.tempdir = self.saved_tempdir
        shutil.rmtree(self.tmp)

    def test_relative_reads_see_the_app_and_new_writes_land_in_tmp(self):
        folder = workdir.enter_writable_workdir(self.root)
        self.assertEqual(os.path.realpath(os.getcwd()), os.path.realpath(folder))
        self.assertTrue(os.path.realpath(folder).startswith(os.path.realpath(self.temp) + os.sep))
        self.assertEqual(os.environ["PWD"], folder)
        with open("./data/table.csv") as fh:
            self.assertEqual(fh.read(), "a,b\n1,2\n")
        self.assertEqual(sorted(os.listdir(".")), ["app.py", "data"])
        os.makedirs("./cache")  # what diskcache.Cache("./cache") does first
        with open("./cache/cache.db", "w") as fh:
            fh.write("db")
        self.assertTrue(os.path.isfile(os.path.join(folder, "cache", "cache.db")))
        self.assertEqual(sorted(os.listdir(self.root)), ["app.py", "data"], "the app's folder must not change")

    def test_writes_under_an_app_folder_still_reach_it(self):
        # On Lambda this folder is read-only, so the write fails there: the bundler warns about it.
        workdir.enter_writable_workdir(self.root)
        with open("./data/out.csv", "w") as fh:
            fh.write("x")
        self.assertTrue(os.path.isfile(os.path.join(self.root, "data", "out.csv")))

    def test_entries_limit_the_links(self):
        folder = workdir.enter_writable_workdir(self.root, entries=["app.py"])
        self.assertEqual(os.listdir(folder), ["app.py"])
        self.assertFalse(os.path.exists("data"))

    def test_same_root_same_folder_other_root_another(self):
        first = workdir.enter_writable_workdir(self.root)
        os.chdir(self.tmp)
        self.assertEqual(workdir.enter_writable_workdir(self.root), first)
        self.assertEqual(os.path.realpath(os.getcwd()), os.path.realpath(first))
        other = os.path.join(self.tmp, "other")
        os.mkdir(other)
        self.assertNotEqual(workdir.enter_writable_workdir(other), first)

    def test_no_temporary_folder_leaves_the_directory_alone(self):
        tempfile.tempdir = os.path.join(self.tmp, "missing")
        os.chdir(self.root)
        self.assertIsNone(workdir.enter_writable_workdir(self.root))
        self.assertEqual(os.path.realpath(os.getcwd()), os.path.realpath(self.root))

    def test_diskcache_as_dash_documents_it(self):
        try:
            import diskcache
        except ImportError:
            self.skipTest("diskcache is not installed in this Python")
        workdir.enter_writable_workdir(self.root)
        cache = diskcache.Cache("./cache")
        cache.set("k", "v")
        self.assertEqual(cache.get("k"), "v")
        cache.close()
        self.assertTrue(os.path.isfile(os.path.join(os.getcwd(), "cache", "cache.db")))
        self.assertFalse(os.path.exists(os.path.join(self.root, "cache")))


if __name__ == "__main__":
    unittest.main()
