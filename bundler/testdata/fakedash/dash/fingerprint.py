import re

_fingerprint = re.compile(r"^v[\w-]+m[0-9a-fA-F]+$")


def check_fingerprint(path):
    """Strip a `.v<version>m<mtime>` segment after the first dot of the file name, as Dash does."""
    folder, _, name = path.rpartition("/")
    parts = name.split(".")
    if len(parts) > 2 and _fingerprint.match(parts[1]):
        name = ".".join([parts[0]] + parts[2:])
        return (folder + "/" + name if folder else name), True
    return path, False
