"""Measures a large site's sync against moto's S3 and CloudFront on loopback (run by `make bench-sync`).

The site: N small files (2 kB each, half fingerprinted, half revalidated) and one large file, packed as
component/sitearchive packs them. The sync runs in a child process of its own, so its peak memory is its
own: a first sync (every object uploaded), a sync of the same site (nothing to do) and one with a changed
page and a changed large file (two uploads, one invalidation). moto runs as a separate server process on a
free loopback port. Prints one JSON object per run: wall seconds, the sync process's CPU seconds (its own
work, whatever else the machine runs) and its peak memory.

  python3 sync_bench.py [--files 20000] [--big-mb 100] [--sync path/to/sync.py]
"""
import argparse
import hashlib
import importlib.util
import json
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
SITE, STAGING = "bench-site", "bench-staging"
IMM, REV = "public,max-age=31536000,immutable", "public,max-age=0,s-maxage=31536000,must-revalidate"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_archive(path, n, big_mb, version):
    """Writes the site's archive; returns (digest, total bytes). version changes index.html and the large file."""
    entries, total = [], 0
    files = []
    for i in range(n):
        immutable = i % 2 == 0
        key = "lib/f%05d.v1m%04x.js" % (i, i) if immutable else "assets/f%05d.css" % i
        data = (("/* file %d */\n" % i) + "x" * 2000).encode()
        files.append((key, data, "text/javascript" if immutable else "text/css", "immutable" if immutable else "revalidate"))
    files.append(("index.html", b"<html>version %d</html>" % version, "text/html; charset=utf-8", "revalidate"))
    files.sort()
    big_key = "data/big.bin"
    block = hashlib.sha256(b"%d" % version).digest() * 32768  # 1 MiB, different per version
    big_md5, big_sha = hashlib.md5(), hashlib.sha256()
    for _ in range(big_mb):
        big_md5.update(block)
        big_sha.update(block)
    for key, data, ctype, cls in files:
        entries.append({"key": key, "contentType": ctype, "cacheControl": IMM if cls == "immutable" else REV,
                        "class": cls, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                        "md5": hashlib.md5(data).hexdigest()})
        total += len(data)
    entries.append({"key": big_key, "contentType": "application/octet-stream", "cacheControl": REV,
                    "class": "revalidate", "size": big_mb << 20, "sha256": big_sha.hexdigest(), "md5": big_md5.hexdigest()})
    total += big_mb << 20
    entries.sort(key=lambda e: e["key"])
    digest = "bench%d" % version
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("opendash-sync.json", json.dumps({"format": 1, "digest": digest, "files": entries}),
                    zipfile.ZIP_DEFLATED)
        for key, data, _, _ in files:
            zf.writestr("site/" + key, data, zipfile.ZIP_DEFLATED)
        with zf.open(zipfile.ZipInfo("site/" + big_key), "w", force_zip64=True) as out:  # stored, written in blocks
            for _ in range(big_mb):
                out.write(block)
    return digest, total


def run_sync(args):
    """Child: runs one sync and prints its time, result and peak memory."""
    spec = importlib.util.spec_from_file_location("sync", args.sync)
    sys.path.insert(0, os.path.dirname(os.path.abspath(args.sync)))
    sync = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sync)
    sync.ENDPOINT_URL = args.endpoint
    import boto3
    from botocore.config import Config

    s3 = boto3.client("s3", endpoint_url=args.endpoint, config=Config(
        max_pool_connections=sync.WORKERS, retries={"max_attempts": 10, "mode": "adaptive"}))
    cloudfront = boto3.client("cloudfront", endpoint_url=args.endpoint)

    class Context:
        deadline = time.monotonic() + 900

        def get_remaining_time_in_millis(self):
            return int((self.deadline - time.monotonic()) * 1000)

    event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": args.key, "digest": args.digest,
             "graceSeconds": 604800, "distributionId": args.distribution}
    start = time.monotonic()
    try:
        kw = {"cloudfront": cloudfront} if "cloudfront" in sync.Sync.__init__.__code__.co_varnames else {}
        result = sync.Sync(s3, event, Context(), **kw).run()
    except Exception as exc:  # reported, so that a run that fails still prints its time
        result = {"error": "%s: %s" % (type(exc).__name__, exc)}
    seconds = time.monotonic() - start
    usage = resource.getrusage(resource.RUSAGE_SELF)
    print(json.dumps({"seconds": round(seconds, 1), "cpuSeconds": round(usage.ru_utime + usage.ru_stime, 1),
                      "peakMB": round(usage.ru_maxrss / 1024.0), "result": {
        k: v for k, v in result.items() if k in ("uploaded", "unchanged", "deleted", "invalidatedCount", "error")}}))


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--files", type=int, default=20000)
    p.add_argument("--big-mb", type=int, default=100)
    p.add_argument("--sync", default=os.path.join(HERE, "sync.py"))
    p.add_argument("--run-sync", action="store_true")
    p.add_argument("--endpoint")
    p.add_argument("--key")
    p.add_argument("--digest")
    p.add_argument("--distribution")
    args = p.parse_args()
    os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    if args.run_sync:
        return run_sync(args)

    import boto3

    port = free_port()
    endpoint = "http://127.0.0.1:%d" % port
    server = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(endpoint + "/moto-api/", timeout=1)
                break
            except OSError:
                time.sleep(0.2)
        s3 = boto3.client("s3", endpoint_url=endpoint)
        s3.create_bucket(Bucket=SITE)
        s3.create_bucket(Bucket=STAGING)
        cf = boto3.client("cloudfront", endpoint_url=endpoint)
        dist = cf.create_distribution(DistributionConfig={
            "CallerReference": "bench", "Comment": "bench", "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com",
                                                  "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
            "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                     "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"}})["Distribution"]["Id"]
        with tempfile.TemporaryDirectory() as tmp:
            for label, version in (("first sync", 1), ("same site again", 1), ("a page and the large file changed", 2)):
                path = os.path.join(tmp, "site-%d.zip" % version)
                if not os.path.exists(path):
                    digest, total = write_archive(path, args.files, args.big_mb, version)
                    s3.upload_file(path, STAGING, "static-%d.zip" % version)
                out = subprocess.run([sys.executable, os.path.abspath(__file__), "--run-sync", "--sync", args.sync,
                                      "--endpoint", endpoint, "--key", "static-%d.zip" % version, "--digest", digest,
                                      "--distribution", dist], capture_output=True, text=True)
                line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else "{}"
                run = json.loads(line)
                run.update(run=label, files=args.files + 2, bytes=total, archiveBytes=os.path.getsize(path))
                if out.returncode:
                    run["stderr"] = out.stderr[-2000:]
                print(json.dumps(run), flush=True)
    finally:
        server.terminate()
        try:
            server.wait(30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
