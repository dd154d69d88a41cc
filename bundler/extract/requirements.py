"""The requirement check of OpenDash's extraction (Go prepends it, with installed.py, to extract.py).

check_requirements runs in the user's Python before the app is imported. It answers "would
`pip install -r requirements.txt` change anything?" without starting pip: every requirement, and recursively
every dependency its installed distribution declares (Requires-Dist, or requires.txt for egg-info), must be
installed in a version its specifier accepts. Markers are evaluated for this interpreter. Only the standard
library is used (importing `packaging` would cost more than the whole check). Anything this small PEP 440/508
reader cannot decide raises Undecidable, and the caller runs pip as before. Installed distributions are
looked up with installed.py's find_distribution and _metadata.
"""

import os
import re
import sys

# platform is imported where used: with --skip-install nothing here runs before the app, whose own imports
# load it anyway.


class Undecidable(Exception):
    """The check cannot tell; pip must decide."""


_VERSION = re.compile(
    r"^v?(?:(\d+)!)?(\d+(?:\.\d+)*)"
    r"(?:[-_.]?(a|alpha|b|beta|c|rc|pre|preview)[-_.]?(\d*))?"
    r"(?:-(\d+)|[-_.]?(post|rev|r)[-_.]?(\d*))?"
    r"(?:[-_.]?(dev)[-_.]?(\d*))?"
    r"(?:\+([a-z0-9]+(?:[-_.][a-z0-9]+)*))?$", re.I)
_PRE_RANK = {"a": 0, "alpha": 0, "b": 1, "beta": 1, "c": 2, "rc": 2, "pre": 2, "preview": 2}
_LAST = 1 << 62  # sorts after every real number in a version segment


class Version:
    """A PEP 440 version reduced to what ordering needs."""

    def __init__(self, text):
        m = _VERSION.match(text.strip())
        if not m:
            raise Undecidable(f"version {text!r} is not PEP 440")
        epoch, release, pre, pre_n, post_dash, post, post_n, dev, dev_n, local = m.groups()
        self.text = text.strip()
        self.release = tuple(int(x) for x in release.split("."))
        trimmed = list(self.release)
        while len(trimmed) > 1 and trimmed[-1] == 0:
            trimmed.pop()
        has_post = post_dash is not None or post is not None
        if pre:
            pre_key = (_PRE_RANK[pre.lower()], int(pre_n or 0))
        elif dev and not has_post:
            pre_key = (-1, 0)  # 1.0.dev1 sorts before 1.0a1
        else:
            pre_key = (3, 0)
        post_key = int(post_dash or post_n or 0) if has_post else -1
        dev_key = int(dev_n or 0) if dev else _LAST
        self.key = (int(epoch or 0), tuple(trimmed), pre_key, post_key, dev_key)
        self.epoch, self.local = int(epoch or 0), local

    def __lt__(self, other):
        return self.key < other.key

    def __eq__(self, other):
        return self.key == other.key

    def __le__(self, other):
        return self.key <= other.key


def _prefix_match(version, prefix_text):
    """`== 1.4.*`: the release starts with the given segments (padded with zeros)."""
    prefix = Version(prefix_text)
    want = prefix.release
    have = version.release + (0,) * max(0, len(want) - len(version.release))
    return version.epoch == prefix.epoch and have[:len(want)] == want


_CLAUSE = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)\s*([^\s,]+)\s*$")


def specifier_contains(spec, version_text):
    """Whether an installed version satisfies a comma-separated specifier ("" accepts everything)."""
    spec = spec.strip()
    if spec.startswith("(") and spec.endswith(")"):
        spec = spec[1:-1]
    if not spec.strip():
        return True
    version = None
    for clause in spec.split(","):
        m = _CLAUSE.match(clause)
        if not m:
            raise Undecidable(f"specifier {clause.strip()!r}")
        op, target = m.groups()
        if op == "===":
            if version_text.strip() != target:
                return False
            continue
        version = version or Version(version_text)
        if op in ("==", "!=") and target.endswith(".*"):
            ok = _prefix_match(version, target[:-2])
        elif op in ("==", "!="):
            want = Version(target)
            # A local label on the installed version (1.0+cpu) still satisfies ==1.0.
            ok = version == want or (want.local is None and Version(version.text.split("+")[0]) == want)
        elif op == "~=":
            want = Version(target)
            if len(want.release) < 2:
                raise Undecidable(f"~= needs two release segments: {clause.strip()!r}")
            ok = want <= version and _prefix_match(version, ".".join(map(str, want.release[:-1])))
        else:
            want = Version(target)
            ok = {"<": version < want, "<=": version <= want, ">": want < version, ">=": want <= version}[op]
        if op == "!=":
            ok = not ok
        if not ok:
            return False
    return True


def marker_environment():
    import platform

    impl = sys.implementation
    iv = impl.version
    impl_version = "%d.%d.%d" % iv[:3] + ("" if iv.releaselevel == "final" else iv.releaselevel[0] + str(iv.serial))
    return {
        "os_name": os.name, "sys_platform": sys.platform, "platform_machine": platform.machine(),
        "platform_python_implementation": platform.python_implementation(),
        "platform_release": platform.release(), "platform_system": platform.system(),
        "platform_version": platform.version(), "python_version": "%d.%d" % sys.version_info[:2],
        "python_full_version": platform.python_version(), "implementation_name": impl.name,
        "implementation_version": impl_version,
    }


_TOKEN = re.compile(r"\s*(?:(\()|(\))|('[^']*'|\"[^\"]*\")|(===|==|!=|~=|<=|>=|<|>)|([A-Za-z_][A-Za-z0-9_.]*))")


def _tokens(marker):
    pos, out = 0, []
    marker = marker.strip()
    while pos < len(marker):
        m = _TOKEN.match(marker, pos)
        if not m or m.end() == pos:
            raise Undecidable(f"marker {marker!r}")
        pos = m.end()
        lp, rp, string, op, word = m.groups()
        out.append(("str", string[1:-1]) if string else ("op", op) if op else ("word", word) if word else
                   ("(", "(") if lp else (")", ")"))
    return out


def evaluate_marker(marker, env, extras):
    """Evaluates a PEP 508 marker; `extra` is true for any of the requested extras."""
    toks = _tokens(marker)
    pos = 0

    def peek():
        return toks[pos] if pos < len(toks) else (None, None)

    def take():
        nonlocal pos
        if pos >= len(toks):
            raise Undecidable(f"marker {marker!r} ends early")
        pos += 1
        return toks[pos - 1]

    def value():
        kind, text = take()
        if kind == "str":
            return ("str", text)
        if kind == "word" and (text in env or text == "extra"):
            return ("var", text)
        raise Undecidable(f"marker {marker!r}")

    def compare():
        if peek()[0] == "(":
            take()
            result = expr()
            if take()[0] != ")":
                raise Undecidable(f"marker {marker!r}")
            return result
        left = value()
        kind, op = take()
        if kind == "word" and op == "not" and peek() == ("word", "in"):
            take()
            op = "not in"
        elif not (kind == "op" or (kind, op) == ("word", "in")):
            raise Undecidable(f"marker {marker!r}")
        right = value()
        if left[0] == "var" and left[1] == "extra" or right[0] == "var" and right[1] == "extra":
            other = right[1] if left[1] == "extra" else left[1]
            wanted = _normalize(other)
            if op == "==":
                return wanted in extras
            if op == "!=":
                return wanted not in extras
            raise Undecidable(f"marker {marker!r}")
        lhs = env[left[1]] if left[0] == "var" else left[1]
        rhs = env[right[1]] if right[0] == "var" else right[1]
        if op == "in":
            return lhs in rhs
        if op == "not in":
            return lhs not in rhs
        try:
            return specifier_contains(op + rhs, lhs)
        except Undecidable:
            if op in ("==", "==="):
                return lhs == rhs
            if op == "!=":
                return lhs != rhs
            raise

    def conjunction():
        result = compare()
        while peek() == ("word", "and"):
            take()
            result = compare() and result
        return result

    def expr():
        result = conjunction()
        while peek() == ("word", "or"):
            take()
            result = conjunction() or result
        return result

    result = expr()
    if pos != len(toks):
        raise Undecidable(f"marker {marker!r}")
    return result


_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*([^;]*?)\s*(?:;\s*(.*))?$")


def parse_requirement(text):
    """name, extras (normalised set), specifier, marker of a PEP 508 line without a URL."""
    m = _REQUIREMENT.match(text)
    if not m or m.group(3).startswith("@"):
        raise Undecidable(f"requirement {text!r}")
    name, extras, spec, marker = m.groups()
    extra_set = {_normalize(e) for e in (extras or "[]")[1:-1].split(",") if e.strip()}
    return name, extra_set, spec, (marker or "").strip()


def check_requirements(lines):
    """Returns (number of distributions checked, [what is missing or too old]); raises Undecidable."""
    env = marker_environment()
    found, missing, done = {}, [], set()
    pending = [(line, "requirements.txt", frozenset()) for line in reversed(lines)]
    while pending:
        text, wanted_by, parent_extras = pending.pop()
        name, extras, spec, marker = parse_requirement(text)
        if marker and not evaluate_marker(marker, env, parent_extras):
            continue
        key = _normalize(name)
        if key not in found:
            dist = find_distribution(name)
            found[key] = _metadata(dist) if dist is not None else None
        if found[key] is None:
            missing.append(f"{text} (required by {wanted_by}): not installed")
            continue
        version, requires = found[key]
        if not specifier_contains(spec, version):
            missing.append(f"{text} (required by {wanted_by}): {version} is installed")
            continue
        if (key, frozenset(extras)) in done:
            continue
        done.add((key, frozenset(extras)))
        for dep in reversed(requires):
            pending.append((dep, f"{name} {version}", frozenset(extras)))
    return len(found), missing


def disagreements(lines, installed):
    """{line: installed version} for each requirement line its installed version does not satisfy: the app
    runs another version than requirements.txt asks for (bundled with --skip-install, or pip kept another).
    Lines this reader cannot decide, and distributions not installed, are left out."""
    versions = {_normalize(name): version for name, version in installed.items()}
    out = {}
    for line in lines:
        try:
            name, _, spec, _ = parse_requirement(line)
            version = versions.get(_normalize(name))
            if version is not None and not specifier_contains(spec, version):
                out[line] = version
        except Undecidable:
            continue
    return out
