"""OpenDash content times: the cache-busting values Dash derives from file times follow file content instead.

Dash writes file modification times into URLs: `?m=<mtime>` after each asset (dash/resources.py), `m<mtime>`
inside the fingerprint of every component-suite script and `?m=<mtime>` after an assets favicon
(dash/dash.py). A fresh clone, a CI checkout or a reinstall changes those times, not the files: every deploy
would upload and invalidate again, and the server function (whose image installs the same packages at another
time) would render URLs the static site does not hold. install_content_times() makes those two Dash modules
see, in place of a regular file's modification time, a number made from its content (a 32-bit slice of its
SHA-256, as wide as a Unix time): the same files give the same URLs wherever and whenever they are read.

Shipped twice, kept identical: prepended to the bundler's extraction script (bundler/extract) and beside the
server function's handler, which both call install_content_times() before the app is created. Standard
library only; nothing outside Dash's own modules is changed.
"""
import hashlib as _octimes_hashlib
import importlib as _octimes_importlib
import os as _octimes_os
import stat as _octimes_stat
import sys as _octimes_sys

# The Dash modules that read file times for URLs (Dash 2.x to 4.x).
OPENDASH_TIMED_MODULES = ("dash.dash", "dash.resources")
_octimes_cache = {}  # (path, size, mtime_ns, inode, device) -> content time


def content_time(path, st=None):
    """The stand-in modification time of a regular file: the first 32 bits of its SHA-256, as an int."""
    st = st or _octimes_os.stat(path)
    key = (_octimes_os.fspath(path), st.st_size, st.st_mtime_ns, st.st_ino, st.st_dev)
    value = _octimes_cache.get(key)
    if value is None:
        digest = _octimes_hashlib.sha256()
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
        value = _octimes_cache[key] = int(digest.hexdigest()[:8], 16)
    return value


class _ContentStat:
    """A stat result whose modification time is the file's content time; every other field is the real one."""

    def __init__(self, st, when):
        self._st, self.st_mtime, self.st_mtime_ns = st, float(when), when * 1_000_000_000

    def __getattr__(self, name):
        return getattr(self._st, name)

    def __getitem__(self, i):
        return int(self.st_mtime) if i == _octimes_stat.ST_MTIME else self._st[i]

    def __len__(self):
        return len(self._st)


class _ContentPath:
    """os.path as Dash sees it: getmtime reports content times."""

    @staticmethod
    def getmtime(path):
        return float(content_time(path))

    def __getattr__(self, name):
        return getattr(_octimes_os.path, name)


class _ContentOS:
    """os as Dash sees it: stat and path.getmtime report content times for regular files."""

    path = _ContentPath()
    opendash_content_times = True

    @staticmethod
    def stat(path, *args, **kwargs):
        st = _octimes_os.stat(path, *args, **kwargs)
        if not _octimes_stat.S_ISREG(st.st_mode) or isinstance(path, int):
            return st
        return _ContentStat(st, content_time(path, st))

    def __getattr__(self, name):
        return getattr(_octimes_os, name)


def install_content_times(modules=OPENDASH_TIMED_MODULES):
    """Makes the named modules (imported if need be) read content times through their `os`; idempotent.
    A module that is missing, or holds no `os`, is left alone: Dash versions differ in layout."""
    for name in modules:
        module = _octimes_sys.modules.get(name)
        if module is None:
            try:
                module = _octimes_importlib.import_module(name)
            except ImportError:
                continue
        if getattr(module, "os", None) is _octimes_os:
            module.os = _ContentOS()
