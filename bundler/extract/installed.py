"""What the user's Python has installed, for OpenDash's extraction (Go prepends it, with requirements.py, to
extract.py): the installed distributions found by one listing of each import folder, their metadata headers,
the versions the server function pins, and the folders the bundle cache watches. importlib.metadata is
imported only where this cannot decide: a Dash 2 app never imports it, and it costs 8 ms.
"""

import os
import re
import sys


def _normalize(name):
    return re.sub(r"[-_.]+", "-", name).lower()


class _Installed:
    """One *.dist-info or *.egg-info found on sys.path (what importlib.metadata would find first)."""

    def __init__(self, path):
        self.path = path

    def read_text(self, name):
        path = os.path.join(self.path, name) if os.path.isdir(self.path) else self.path if name == "" else None
        try:
            with open(path, encoding="utf-8") as fh:
                return fh.read()
        except (OSError, TypeError, UnicodeDecodeError):
            return None

    def header_lines(self):
        """The metadata file's lines up to the first blank one, without reading the long description."""
        for name in ("METADATA", "PKG-INFO", ""):
            path = os.path.join(self.path, name) if name else self.path
            try:
                with open(path, encoding="utf-8") as fh:
                    lines = []
                    for line in fh:
                        if not line.strip():
                            break
                        lines.append(line.rstrip("\n"))
                    return lines
            except (OSError, UnicodeDecodeError):
                continue
        return []

    def __str__(self):
        return self.path


_index = None  # normalised distribution name -> _Installed, built from one listing of each sys.path folder
_complete = True  # False when sys.path holds eggs or zips, which only importlib.metadata reads


def find_distribution(name, fresh=False):
    """The installed distribution called name, or None. Lists each import folder once instead of importing
    importlib.metadata (which a Dash 2 app never imports: 8 ms saved); importlib.metadata still decides
    what this cannot see (eggs, zips)."""
    global _index, _complete
    if _index is None or fresh:
        _index, _complete = {}, True
        for entry in sys.path:
            folder = os.path.abspath(entry) if entry else os.getcwd()
            if folder.endswith(".egg") or os.path.isfile(folder):
                _complete = False
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                continue
            for n in names:
                for suffix in (".dist-info", ".egg-info"):
                    if n.endswith(suffix) and "-" in n:
                        _index.setdefault(_normalize(n[:-len(suffix)].split("-", 1)[0]),
                                          _Installed(os.path.join(folder, n)))
    found = _index.get(_normalize(name))
    if found is not None or _complete:
        return found
    import importlib.metadata

    try:
        return importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _headers(dist):
    """The metadata headers (the part before the long description) of an installed distribution."""
    lines = dist.header_lines() if isinstance(dist, _Installed) else \
        (dist.read_text("METADATA") or dist.read_text("PKG-INFO") or dist.read_text("") or "").splitlines()
    headers = []
    for line in lines:
        if not line.strip():
            break  # the body (the long description) starts here
        key, _, val = line.partition(":")
        headers.append((key.strip().lower(), val.strip()))
    return headers


def _metadata(dist):
    """Version and Requires-Dist of an installed distribution, read without the email parser."""
    headers = _headers(dist)
    versions = [v for k, v in headers if k == "version"]
    requires = [v for k, v in headers if k == "requires-dist"]
    if not requires:
        requires = _egg_requires(dist.read_text("requires.txt") or "")
    if not versions:
        raise Undecidable(f"{dist} has no Version in its metadata")
    return versions[0], requires


def _egg_requires(text):
    """requires.txt sections ([extra], [extra:marker], [:marker]) as Requires-Dist lines."""
    out, extra, marker = [], "", ""
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("[") and line.endswith("]"):
            extra, _, marker = line[1:-1].partition(":")
            continue
        conditions = ([f'extra == "{extra}"'] if extra else []) + ([f"({marker})"] if marker else [])
        out.append(line + ("; " + " and ".join(conditions) if conditions else ""))
    return out


def distributions(app, names):
    """Versions of the named distributions and of those owning the served component suites (always pinned).

    Looks each one up by name instead of listing every installed distribution: a system Python holds
    hundreds, and reading all their metadata took longer than rendering the app."""
    find_distribution("dash", fresh=True)  # the app may have changed sys.path since the check
    must_pin = {"dash"}
    all_owners = None
    for namespace in app.registered_paths:
        top = namespace.split(".")[0]
        owner = owning_distribution(top)
        if owner is None:
            if all_owners is None:
                import importlib.metadata  # slow, but only for a suite not named like its distribution

                all_owners = importlib.metadata.packages_distributions()
            must_pin.update(all_owners.get(top, []))
        else:
            must_pin.add(owner)
    installed = {}
    for name in sorted(set(names) | must_pin):
        dist = find_distribution(name)
        if dist is not None:
            installed[name] = _metadata(dist)[0]
    return installed, sorted(must_pin)


def owning_distribution(package):
    """The distribution named like a top-level package, when its metadata says it installs that package."""
    dist = find_distribution(package)
    if dist is None:
        return None
    top_level = dist.read_text("top_level.txt")
    if top_level is not None:
        owns = package in top_level.split()
    else:
        record = dist.read_text("RECORD") or dist.read_text("installed-files.txt") or ""
        owns = any(line.split("/")[0] in (package, package + ".py") for line in record.splitlines())
    names = [v for k, v in _headers(dist) if k == "name"]
    return names[0] if owns and names else None


def import_paths(source):
    """Where this Python finds packages, for the Go side's cache key (the source folder is keyed apart)."""
    import site

    paths = [os.path.abspath(p) for p in sys.path if p and os.path.abspath(p) != source]
    user_site = getattr(site, "getusersitepackages", lambda: None)()
    if user_site and getattr(site, "ENABLE_USER_SITE", False) is not False:
        paths.append(user_site)  # created later, it would join sys.path: watch it even while absent
    return sorted(set(paths))
