"""Stand-in for dash/resources.py: an asset's `?m=` query is its file's st_mtime, read through os.stat."""
import os


def asset_ts(filepath):
    return os.stat(filepath).st_mtime
