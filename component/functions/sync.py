"""OpenDash sync: puts the static site from one archive into the site bucket, uploading only what changed.

Deployed by the DashSite component and invoked at deploy time by pulumi-aws's lambda.Invocation (lifecycle
scope CRUD, which adds {"tf": {"action": ...}}). Input:
  {"bucket": site bucket, "archiveBucket": staging bucket, "archiveKey": "static-<digest>.zip",
   "digest": "<digest>", "graceSeconds": N, "siteOrigin": "https://<the site's domain>" (with marked pages)}
The archive (written by component/sitearchive) holds opendash-sync.json (every object's key, content type,
cache-control, class and MD5) and each file under site/<key>. A file marked "siteOrigin" (a page whose meta
tags name the site, known only once the distribution exists) is uploaded with the placeholder origin it was
rendered against replaced by siteOrigin (with_site_origin), and compared by the MD5 of those bytes.

One sync:
- uploads the objects whose bytes (S3's ETag, the MD5 of a one-part upload) or headers differ, in parallel,
  fingerprinted (immutable) files first and HTML last, so a new page never names a file not yet there;
- deletes what the site no longer has: revalidate-class keys at once (their URL must stop answering; the
  invalidator flushes CloudFront), immutable ones only after graceSeconds, so a browser tab opened on the
  previous build can still load its scripts;
- records what it wrote in a state object in the staging bucket (state/<bucket>.json): the headers of each
  object, and since when a removed one is gone;
- fails, with what is missing, rather than report success on a partial sync (a re-run skips what is done).
Standard library and boto3 (shipped by the Lambda Python runtime) only.
"""
import base64
import concurrent.futures
import hashlib
import json
import os
import tempfile
import threading
import time
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

INDEX_ENTRY = "opendash-sync.json"
FILES_PREFIX = "site/"
FORMAT = 1
IMMUTABLE, REVALIDATE = "immutable", "revalidate"
WORKERS = 32  # parallel uploads; S3 takes thousands of PUTs per second per prefix
DELETE_BATCH = 1000  # DeleteObjects' limit
# Stop starting uploads when less than this is left of the invocation, to fail with a clear message.
SAFETY_MS = 30_000
# A fresh role policy can take seconds to apply: AccessDenied on the first call is retried this long.
IAM_WAIT_SECONDS = 60
REPORT_KEYS = 100  # changed revalidate keys listed in the result (it is kept in Pulumi's state)

# Tests point the client at a local endpoint.
ENDPOINT_URL = None

# The origin pages are rendered against when the site's is not known yet (manifest.OriginPlaceholder).
PLACEHOLDER_HOST = "opendash-site-origin.invalid"
PLACEHOLDER_ORIGIN = "https://" + PLACEHOLDER_HOST


def with_site_origin(data, origin):
    """A marked page's bytes as the site serves them: the placeholder origin replaced by the site's, and a bare
    placeholder host by its host (manifest.WithOrigin does the same in Go: the preview, verify, invalidations)."""
    host = origin.split("://", 1)[-1].split("/", 1)[0]
    return data.replace(PLACEHOLDER_ORIGIN.encode(), origin.encode()).replace(PLACEHOLDER_HOST.encode(), host.encode())


class SyncError(Exception):
    """The site is not fully synced; the message says what is missing and what to do."""


def handler(event, context=None):
    action = (event.get("tf") or {}).get("action", "create")
    if action == "delete":
        # The site bucket is deleted with the component (force destroy): nothing to undo object by object.
        return {"action": action}
    for field in ("bucket", "archiveBucket", "archiveKey", "digest"):
        if not event.get(field):
            raise ValueError("input has no %s: the DashSite component always sets it" % field)
    s3 = boto3.client("s3", endpoint_url=ENDPOINT_URL, config=Config(
        max_pool_connections=WORKERS, retries={"max_attempts": 10, "mode": "adaptive"}))
    result = Sync(s3, event, context).run()
    result["action"] = action
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


def remaining_ms(context):
    get = getattr(context, "get_remaining_time_in_millis", None)
    return get() if callable(get) else None


class Sync:
    def __init__(self, s3, event, context, now=None):
        self.s3, self.context = s3, context
        self.bucket = event["bucket"]
        self.archive_bucket, self.archive_key = event["archiveBucket"], event["archiveKey"]
        self.digest = event["digest"]
        self.grace = float(event.get("graceSeconds", 7 * 24 * 3600))
        self.origin = event.get("siteOrigin") or ""
        self.state_key = "state/%s.json" % self.bucket
        self.now = time.time() if now is None else now

    def run(self):
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "site.zip")
            self.patiently(lambda: self.s3.download_file(self.archive_bucket, self.archive_key, path))
            with zipfile.ZipFile(path) as zf:
                files = self.read_index(zf)
                return self.sync(zf, files)

    def patiently(self, call):
        """call(), retrying AccessDenied while a new role policy propagates."""
        deadline = time.monotonic() + IAM_WAIT_SECONDS
        delay = 1.0
        while True:
            try:
                return call()
            except ClientError as exc:
                code = exc.response.get("Error", {}).get("Code", "")
                if code not in ("AccessDenied", "403") or time.monotonic() + delay > deadline:
                    raise
            time.sleep(delay)
            delay = min(delay * 2, 10.0)

    def read_index(self, zf):
        where = "s3://%s/%s" % (self.archive_bucket, self.archive_key)
        try:
            index = json.loads(zf.read(INDEX_ENTRY))
        except (KeyError, ValueError) as exc:
            raise SyncError("%s is not an OpenDash site archive (%s); redeploy with `pulumi up`" % (where, exc))
        if index.get("format") != FORMAT:
            raise SyncError("%s has archive format %r, this sync function reads %d; deploy with the same OpenDash "
                            "version that built it" % (where, index.get("format"), FORMAT))
        if index.get("digest") != self.digest:
            raise SyncError("%s holds site %s, the deploy asked for %s; redeploy with `pulumi up`"
                            % (where, index.get("digest"), self.digest))
        return index["files"]

    # -- the sync ---------------------------------------------------------------------------------
    def sync(self, zf, files):
        state = self.load_state()
        present = self.list_bucket()
        files = [self.served(zf, f) for f in files]
        wanted = {f["key"]: f for f in files}
        uploads = [f for f in files if not self.unchanged(f, present.get(f["key"]), state.get(f["key"]))]
        self.upload_all(zf, uploads)

        deletes, kept = [], {}
        for key in sorted(set(present) | set(state)):
            if key in wanted:
                continue
            if key not in present:
                continue  # already gone (deleted by hand, or by an earlier sync): forgotten
            # An object no sync wrote (put there by hand) gets the same grace as an old build's file.
            before = state.get(key) or {"class": "unknown"}
            gone_since = before.get("removedAt", self.now)
            if before.get("class") == REVALIDATE or self.now - gone_since >= self.grace:
                deletes.append(key)
            else:
                kept[key] = dict(before, removedAt=gone_since)
        self.delete_all(deletes)

        new_state = {f["key"]: {"md5": f["md5"], "contentType": f["contentType"], "cacheControl": f["cacheControl"],
                                "class": f["class"]} for f in files}
        new_state.update(kept)
        self.save_state(new_state)
        changed = [f["key"] for f in uploads if f["class"] != IMMUTABLE]
        return {"digest": self.digest, "files": len(files), "uploaded": len(uploads),
                "unchanged": len(files) - len(uploads), "deleted": len(deletes), "kept": len(kept),
                "changedRevalidate": changed[:REPORT_KEYS], "changedRevalidateCount": len(changed)}

    def served(self, zf, f):
        """The index entry of f as the bucket must hold it: a marked page's MD5 is that of its bytes with the
        site's origin in (it changes with the origin even when the bundle does not)."""
        if not f.get("siteOrigin"):
            return f
        if not self.origin:
            raise SyncError("%s names the site's origin, but the sync was given none; deploy with the DashSite "
                            "component of this OpenDash version" % f["key"])
        data = self.content(zf, f)
        return dict(f, md5=hashlib.md5(data).hexdigest())

    def content(self, zf, f):
        """f's bytes for the bucket (the caller holds the zip's lock, or reads before uploads start)."""
        data = zf.read(FILES_PREFIX + f["key"])
        return with_site_origin(data, self.origin) if f.get("siteOrigin") else data

    @staticmethod
    def unchanged(f, etag, before):
        """The object is in the bucket with these bytes, and the last sync wrote it with these headers."""
        return (etag == f["md5"] and before is not None and "removedAt" not in before
                and before.get("contentType") == f["contentType"] and before.get("cacheControl") == f["cacheControl"])

    def list_bucket(self):
        """key -> ETag (unquoted) of every object in the site bucket."""
        present = {}
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket)
        for page in pages:
            for obj in page.get("Contents", []):
                present[obj["Key"]] = obj.get("ETag", "").strip('"')
        return present

    def load_state(self):
        try:
            body = self.s3.get_object(Bucket=self.archive_bucket, Key=self.state_key)["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return {}  # first sync: every object is uploaded, with its headers
            raise
        try:
            state = json.loads(body)
            return state["objects"] if state.get("format") == FORMAT else {}
        except (ValueError, KeyError, AttributeError):
            return {}  # unreadable: treated as a first sync, which re-uploads and rewrites it

    def save_state(self, objects):
        body = json.dumps({"format": FORMAT, "digest": self.digest, "syncedAt": self.now, "objects": objects},
                          sort_keys=True, separators=(",", ":")).encode()
        self.s3.put_object(Bucket=self.archive_bucket, Key=self.state_key, Body=body,
                           ContentType="application/json")

    def upload_all(self, zf, uploads):
        lock = threading.Lock()  # one reader of the zip file at a time; uploads overlap

        def upload(f):
            left = remaining_ms(self.context)
            if left is not None and left < SAFETY_MS:
                return f["key"], "not started: the sync function ran out of time"
            try:
                with lock:
                    data = self.content(zf, f)
                digest = hashlib.md5(data)
                if digest.hexdigest() != f["md5"]:
                    return f["key"], "the archive's bytes do not match its index (a corrupt upload)"
                self.s3.put_object(Bucket=self.bucket, Key=f["key"], Body=data, ContentType=f["contentType"],
                                   CacheControl=f["cacheControl"],
                                   ContentMD5=base64.b64encode(digest.digest()).decode("ascii"))
                return f["key"], None
            except Exception as exc:  # reported with every other failure below
                return f["key"], "%s: %s" % (type(exc).__name__, exc)

        # Fingerprinted files first, HTML last: a page reaches the bucket after the files it names.
        failures = []
        for phase in self.phases(uploads):
            with concurrent.futures.ThreadPoolExecutor(max_workers=WORKERS) as pool:
                failures += [(k, err) for k, err in pool.map(upload, phase) if err]
            if failures:
                break
        if failures:
            shown = "; ".join("%s: %s" % kv for kv in failures[:5])
            more = " (and %d more)" % (len(failures) - 5) if len(failures) > 5 else ""
            raise SyncError("sync of s3://%s incomplete: %d of %d changed objects not uploaded: %s%s. Run "
                            "`pulumi up` again: what is already uploaded is skipped; if it ran out of time, "
                            "raise the sync function's timeout or memory" % (self.bucket, len(failures),
                                                                          len(uploads), shown, more))

    @staticmethod
    def phases(uploads):
        """Consecutive groups of the sorted uploads: immutable, then other revalidate files, then HTML."""
        groups = {}
        for f in uploads:
            groups.setdefault((f["class"] != IMMUTABLE, f["contentType"].startswith("text/html")), []).append(f)
        return [groups[k] for k in sorted(groups)]

    def delete_all(self, keys):
        for i in range(0, len(keys), DELETE_BATCH):
            batch = keys[i:i + DELETE_BATCH]
            resp = self.s3.delete_objects(Bucket=self.bucket,
                                          Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True})
            errors = resp.get("Errors") or []
            if errors:
                shown = "; ".join("%s: %s" % (e.get("Key"), e.get("Message") or e.get("Code")) for e in errors[:5])
                raise SyncError("sync of s3://%s: %d removed objects could not be deleted: %s. Run `pulumi up` "
                                "again" % (self.bucket, len(errors), shown))
