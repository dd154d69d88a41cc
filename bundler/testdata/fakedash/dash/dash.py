"""Stand-in for dash/dash.py: a component-suite fingerprint holds int(st_mtime), read through os.stat."""
import os


def suite_modified(path):
    return int(os.stat(path).st_mtime)
