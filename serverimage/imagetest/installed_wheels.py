"""Make wheels of distributions installed in this Python, for OpenDash's image builder tests (PyPI is not
reachable from them: pip installs the image's dependencies from these).

    python installed_wheels.py OUT_DIR NAME...                  wheels of these distributions, pure Python
    python installed_wheels.py OUT_DIR --closure-of REQS.txt [CODE]
        the pinned requirements and all they require, compiled extensions kept (this machine's CPU), and the
        distributions of every module CODE imports when run (what metadata may not say: Debian's plotly
        5.4 names no requirements, yet imports six and tenacity)

A distribution installed without a RECORD (an egg-info, a Debian package) is taken from its top-level
packages. Requires-Dist is written from what the distribution requires, less what is not installed here (so
pip resolves exactly the packages that ran).
"""
import base64
import hashlib
import importlib.metadata as md
import os
import platform
import re
import sys
import zipfile


def norm(name):
    return re.sub(r"[-_.]+", "-", name).lower()


def installed():
    found = {}
    for d in md.distributions():
        found.setdefault(norm(d.metadata["Name"]), d)  # the first on sys.path is the one imported
    return found


def req_name(req):
    m = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req)
    return norm(m.group(1)) if m else None


def runtime(req):
    return "extra" not in req.split(";", 1)[1] if ";" in req else True


def closure(names, dists):
    todo, seen = list(names), set()
    while todo:
        n = norm(todo.pop())
        if n in seen or n not in dists:
            continue
        seen.add(n)
        todo += [req_name(r) for r in dists[n].requires or [] if runtime(r) and req_name(r)]
    return sorted(seen)


def files_of(d):
    out = {}
    for f in d.files or []:
        p = str(f).replace(os.sep, "/")
        if not p.startswith("..") and ".dist-info/" not in p and ".egg-info/" not in p:
            out[p] = f.locate()
    if out:
        return out
    root = str(d.locate_file(""))
    for top in (d.read_text("top_level.txt") or "").split():
        path = os.path.join(root, top)
        if os.path.isdir(path):
            for folder, _, names in os.walk(path):
                for n in names:
                    full = os.path.join(folder, n)
                    out[os.path.relpath(full, root).replace(os.sep, "/")] = full
        for n in os.listdir(root):
            if n == top + ".py" or (n.startswith(top + ".") and n.endswith(".so")):
                out[n] = os.path.join(root, n)
    return out


def write_wheel(out_dir, d, dists, native):
    files = {}
    for p, full in sorted(files_of(d).items()):
        if "__pycache__" in p or p.endswith((".pyc", ".pyo")):
            continue
        if p.endswith((".so", ".pyd")) and not native:
            continue
        with open(full, "rb") as fh:
            files[p] = fh.read()
    if not files:
        sys.exit("%s: no files found to make its wheel" % d.metadata["Name"])
    compiled = any(p.endswith(".so") for p in files)
    py = "cp%d%d" % sys.version_info[:2]
    tag = "%s-%s-manylinux_2_17_%s" % (py, py, platform.machine()) if compiled else "py3-none-any"
    name = re.sub(r"[-_.]+", "_", d.metadata["Name"])
    info = "%s-%s.dist-info" % (name, d.version)
    meta = ["Metadata-Version: 2.1", "Name: " + d.metadata["Name"], "Version: " + d.version]
    if d.metadata.get("Requires-Python"):
        meta.append("Requires-Python: " + d.metadata["Requires-Python"])
    meta += ["Requires-Dist: " + r for r in d.requires or [] if runtime(r) and req_name(r) in dists]
    files[info + "/METADATA"] = ("\n".join(meta) + "\n").encode()
    files[info + "/WHEEL"] = ("Wheel-Version: 1.0\nGenerator: opendash-imagetest\nRoot-Is-Purelib: %s\nTag: %s\n"
                              % ("false" if compiled else "true", tag)).encode()
    record = "".join("%s,sha256=%s,%d\n" % (p, base64.urlsafe_b64encode(hashlib.sha256(b).digest()).rstrip(b"=").decode(), len(b))
                     for p, b in files.items())
    files[info + "/RECORD"] = (record + info + "/RECORD,,\n").encode()
    with zipfile.ZipFile(os.path.join(out_dir, "%s-%s-%s.whl" % (name, d.version, tag)), "w") as z:
        for p, b in files.items():
            z.writestr(p, b)


def main():
    out_dir, args = sys.argv[1], sys.argv[2:]
    dists = installed()
    native = args[:1] == ["--closure-of"]
    if native:
        with open(args[1]) as fh:
            pins = [req_name(l) for l in fh if l.strip() and not l.lstrip().startswith("#")]
        roots = [p for p in pins if p]
        if len(args) > 2:
            exec(compile(args[2], "<imports>", "exec"), {"__name__": "__opendash_imports__"})
            owners = md.packages_distributions()
            for mod in list(sys.modules):
                roots += [norm(o) for o in owners.get(mod.split(".")[0], [])]
        names = closure(roots, dists)
    else:
        names = [norm(n) for n in args]
    for n in names:
        if n == "pip":
            continue
        if n not in dists:
            sys.exit("%s is not installed in %s" % (n, sys.executable))
        write_wheel(out_dir, dists[n], dists, native)
    print(" ".join(names))


if __name__ == "__main__":
    main()
