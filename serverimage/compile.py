"""Compile Python sources to bytecode for OpenDash's server image (run by the bundling Python).

Reads {"out": ROOT, "files": [[SOURCE, IMAGE_PATH], ...]} as JSON on stdin. Each source is compiled to
the bytecode file its image path will be looked up under (IMAGE_PATH's __pycache__), written below ROOT:
ROOT/var/task/__pycache__/app.cpython-311.pyc for IMAGE_PATH /var/task/app.py. The code objects name
IMAGE_PATH (so tracebacks in the image show image paths), and the files are unchecked-hash .pyc (PEP 552):
Python loads them without comparing source times, so importing from the read-only image writes nothing and
nothing depends on when or where the build ran. Prints {"compiled": N, "failed": [IMAGE_PATH, ...]}: a
source that does not compile is left as source, as compileall leaves it.
"""
import importlib.util
import json
import os
import py_compile
import sys


def main():
    job = json.load(sys.stdin)
    sys.pycache_prefix = None  # PYTHONPYCACHEPREFIX must not move the files away from __pycache__
    compiled, failed = 0, []
    for source, image_path in job["files"]:
        target = os.path.join(job["out"], importlib.util.cache_from_source(image_path, optimization="").lstrip("/"))
        try:
            py_compile.compile(source, cfile=target, dfile=image_path, doraise=True, optimize=0,
                               invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
            compiled += 1
        except (py_compile.PyCompileError, UnicodeDecodeError, ValueError):
            failed.append(image_path)
    json.dump({"compiled": compiled, "failed": failed}, sys.stdout)


if __name__ == "__main__":
    main()
