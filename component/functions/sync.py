"""OpenDash sync: puts the static site from one archive into the site bucket, uploading only what changed,
and invalidates in CloudFront what it overwrote or deleted.

Deployed by the DashSite component and invoked at deploy time by pulumi-aws's lambda.Invocation, replaced
whenever its input changes: a failed run is then a failed create, which Pulumi does not record, so the next
`pulumi up` runs it again (an update that failed would be recorded as done). Input:
  {"bucket": site bucket, "archiveBucket": staging bucket, "archiveKey": "static-<digest>.zip",
   "digest": "<digest>", "graceSeconds": N, "distributionId": "E...",
   "siteOrigin": "https://<the site's domain>" (when a page names the site)}
The archive (written by component/sitearchive) holds opendash-sync.json (every object's key, content type,
cache-control, class, size and MD5: the site's digest list) and each file under site/<key>. A page marked
"siteOrigin" (its meta tags name the site, whose domain exists only once the distribution does) is uploaded
with the placeholder origin it was rendered against replaced by siteOrigin (with_site_origin).

One sync, one at a time per site (a lock object in the staging bucket, created with If-None-Match):
- uploads the objects whose bytes (S3's ETag, the MD5 of a one-part upload) or headers differ, streamed from
  the archive, in parallel: fingerprinted (immutable) files first and HTML last, so a new page never names a
  file not yet there;
- deletes what the site no longer has: revalidate-class keys at once (their URL must stop answering),
  immutable ones only after graceSeconds, so a browser tab opened on the previous build can still load its
  scripts;
- invalidates in CloudFront every object it overwrote and every revalidate object it deleted. They are
  written to the state as pending before anything changes and cleared only once CloudFront took the
  invalidation, so a run that fails or is stopped half way still gets them invalidated by the next run;
- records in a state object in the staging bucket (state/<bucket>.json) the MD5 and headers of each object it
  wrote, since when a removed one is gone, and the pending invalidation;
- fails, with what is missing, rather than report success on a partial sync (a re-run skips what is done).
Standard library and boto3 (shipped by the Lambda Python runtime) only.
"""
import base64
import concurrent.futures
import hashlib
import io
import json
import os
import tempfile
import time
import uuid
import zipfile

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

import invalidate

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
REPORT_PATHS = 100  # invalidated paths listed in the result (it is kept in Pulumi's state)
LOCK_POLL_SECONDS = 2.0
OUT_OF_TIME = "not started: the sync function ran out of time"
LATE_HINT = (". A site that needs more than one run's time is beyond the static site limits the component checks "
             "(see \"Static site limits\" in the docs): the rest of this one goes in with the next run")
READ_CHUNK = 1 << 20

# Tests point the clients at a local endpoint and replace the clock.
ENDPOINT_URL = None
sleep = time.sleep

# The origin pages are rendered against when the site's is not known yet (manifest.OriginPlaceholder).
PLACEHOLDER_HOST = "opendash-site-origin.invalid"
PLACEHOLDER_ORIGIN = "https://" + PLACEHOLDER_HOST


def with_site_origin(data, origin):
    """A marked page's bytes as the site serves them: the placeholder origin replaced by the site's, and a bare
    placeholder host by its host (manifest.WithOrigin does the same in Go, for the preview and verify)."""
    host = origin.split("://", 1)[-1].split("/", 1)[0]
    return data.replace(PLACEHOLDER_ORIGIN.encode(), origin.encode()).replace(PLACEHOLDER_HOST.encode(), host.encode())


class SyncError(Exception):
    """The site is not fully synced; the message says what is missing and what to do."""


def handler(event, context=None):
    action = (event.get("tf") or {}).get("action", "create")
    if action == "delete":
        # The site bucket is deleted with the component (force destroy): nothing to undo object by object.
        return {"action": action}
    for field in ("bucket", "archiveBucket", "archiveKey", "digest", "distributionId"):
        if not event.get(field):
            raise ValueError("input has no %s: the DashSite component always sets it" % field)
    s3 = boto3.client("s3", endpoint_url=ENDPOINT_URL, config=Config(
        max_pool_connections=WORKERS, retries={"max_attempts": 10, "mode": "adaptive"}))
    cloudfront = boto3.client("cloudfront", endpoint_url=ENDPOINT_URL)
    result = Sync(s3, event, context, cloudfront=cloudfront).run()
    result["action"] = action
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


def seconds_left(context):
    get = getattr(context, "get_remaining_time_in_millis", None)
    return get() / 1000.0 if callable(get) else 900.0


def error_code(exc):
    return exc.response.get("Error", {}).get("Code", "") if isinstance(exc, ClientError) else ""


def knows_conditions(s3):
    """Whether this botocore takes PutObject's IfNoneMatch and IfMatch (added with S3's conditional writes
    in 2024; a Lambda runtime's SDK may predate them)."""
    members = s3.meta.service_model.operation_model("PutObject").input_shape.members
    return "IfNoneMatch" in members and "IfMatch" in members


def put_if(s3, if_none_match=None, if_match=None, **kw):
    """put_object that S3 refuses with 412 PreconditionFailed when the condition does not hold: If-None-Match
    "*" (the key must not exist) or If-Match an ETag. An SDK that predates the parameters sends the headers.
    Called by one thread at a time (the lock, around the parallel uploads)."""
    cond = {k: v for k, v in (("IfNoneMatch", if_none_match), ("IfMatch", if_match)) if v}
    if knows_conditions(s3):
        return s3.put_object(**kw, **cond)
    headers = {"If-None-Match" if k == "IfNoneMatch" else "If-Match": v for k, v in cond.items()}

    def add(request, **_):
        for name, value in headers.items():
            request.headers[name] = value

    s3.meta.events.register_first("before-sign.s3.PutObject", add)
    try:
        return s3.put_object(**kw)
    finally:
        s3.meta.events.unregister("before-sign.s3.PutObject", add)


class Lock:
    """One sync of a site at a time. lambda.Invocation waits for one synchronous invoke, and an SDK that
    retries it (after a dropped connection, say) starts a second sync beside the first. The lock is an
    object created with If-None-Match: * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)
    holding its holder's deadline; one past it (its holder was stopped) is taken over with If-Match, so two
    runs that find it stale cannot both take it. A second run waits for the first, then finds its work done."""

    def __init__(self, s3, bucket, key, time_left):
        self.s3, self.bucket, self.key, self.time_left = s3, bucket, key, time_left
        self.token = uuid.uuid4().hex

    def _body(self):
        return json.dumps({"holder": self.token, "until": time.time() + self.time_left()}).encode()

    def acquire(self):
        while True:
            try:
                put_if(self.s3, Bucket=self.bucket, Key=self.key, Body=self._body(), if_none_match="*")
                return
            except ClientError as exc:
                if error_code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict"):
                    raise
            held = self._held()
            if held is not None and held[1].get("until", 0) < time.time():
                try:
                    put_if(self.s3, Bucket=self.bucket, Key=self.key, Body=self._body(), if_match=held[0])
                    return
                except ClientError as exc:
                    if error_code(exc) not in ("PreconditionFailed", "ConditionalRequestConflict", "NoSuchKey"):
                        raise
            if held is not None and self.time_left() < LOCK_POLL_SECONDS + SAFETY_MS / 1000.0:
                raise SyncError("another sync of this site is still running (its lock s3://%s/%s is held until %s); "
                                "run `pulumi up` again once it ended" % (self.bucket, self.key, time.strftime(
                                    "%H:%M:%S UTC", time.gmtime(held[1].get("until", 0)))))
            sleep(LOCK_POLL_SECONDS)

    def _held(self):
        """(ETag, body) of the lock, or None once it is gone."""
        try:
            obj = self.s3.get_object(Bucket=self.bucket, Key=self.key)
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return None
            raise
        try:
            return obj["ETag"], json.loads(obj["Body"].read())
        except ValueError:
            return obj["ETag"], {}

    def release(self):
        """Deletes the lock. A lock left behind (the delete failed) only delays the next sync until this run's
        deadline, so a failure here is reported, never raised over the run's own outcome."""
        try:
            self.s3.delete_object(Bucket=self.bucket, Key=self.key)
        except Exception as exc:  # noqa: BLE001 - see above
            print(json.dumps({"lockNotReleased": "%s: %s" % (type(exc).__name__, exc)}), flush=True)


class EntryBody:
    """A zip entry as an upload body, read in chunks rather than held in memory. botocore measures it with
    len() and rewinds it (seek) to checksum or retry; rewinding reopens the entry."""

    def __init__(self, zf, name, size):
        self.zf, self.name, self.size = zf, name, size
        self.fh, self.pos = zf.open(name), 0

    def __len__(self):
        return self.size

    def read(self, n=-1):
        data = self.fh.read(-1 if n is None or n < 0 else n)
        self.pos += len(data)
        return data

    def tell(self):
        return self.pos

    def seekable(self):
        return True

    def seek(self, offset, whence=0):
        target = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        if target < self.pos:
            self.fh.close()
            self.fh, self.pos = self.zf.open(self.name), 0
        while self.pos < target and self.read(min(READ_CHUNK, target - self.pos)):
            pass
        return self.pos

    def close(self):
        self.fh.close()


class Sync:
    def __init__(self, s3, event, context, now=None, cloudfront=None):
        self.s3, self.context, self.cloudfront = s3, context, cloudfront
        self.bucket = event["bucket"]
        self.archive_bucket, self.archive_key = event["archiveBucket"], event["archiveKey"]
        self.digest = event["digest"]
        self.distribution_id = event.get("distributionId")
        self.grace = float(event.get("graceSeconds", 7 * 24 * 3600))
        self.origin = event.get("siteOrigin") or ""
        self.state_key = "state/%s.json" % self.bucket
        self.now = time.time() if now is None else now

    def time_left(self):
        return seconds_left(self.context)

    def run(self):
        lock = Lock(self.s3, self.archive_bucket, "lock/%s.json" % self.bucket, self.time_left)
        self.patiently(lock.acquire)
        try:
            with tempfile.TemporaryDirectory() as tmp:
                path = os.path.join(tmp, "site.zip")
                self.s3.download_file(self.archive_bucket, self.archive_key, path)
                with zipfile.ZipFile(path) as zf:
                    return self.sync(zf, self.read_index(zf))
        finally:
            lock.release()

    def patiently(self, call):
        """call(), retrying AccessDenied while a new role policy propagates."""
        deadline = time.monotonic() + IAM_WAIT_SECONDS
        delay = 1.0
        while True:
            try:
                return call()
            except ClientError as exc:
                if error_code(exc) not in ("AccessDenied", "403") or time.monotonic() + delay > deadline:
                    raise
            sleep(delay)
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

    def source(self, zf, f):
        """(MD5 hex of the bytes uploaded for f, a function returning them as an upload body). The one place
        for a per-file rewrite of the bytes before upload: the unchanged check, the state and so the
        invalidation all follow the MD5 given here."""
        if f.get("siteOrigin"):  # a page naming the site: its bytes with the site's origin in (a page is small)
            if not self.origin:
                raise SyncError("%s names the site's origin, but the sync was given none; deploy with the DashSite "
                                "component of this OpenDash version" % f["key"])
            data = with_site_origin(zf.read(FILES_PREFIX + f["key"]), self.origin)
            return hashlib.md5(data).hexdigest(), lambda: io.BytesIO(data)
        return f["md5"], lambda: EntryBody(zf, FILES_PREFIX + f["key"], f["size"])

    # -- the sync ---------------------------------------------------------------------------------
    def sync(self, zf, files):
        objects, pending = self.load_state()
        present = self.list_bucket()
        sources = {f["key"]: self.source(zf, f) for f in files}
        uploads = [f for f in files
                   if not self.unchanged(f, sources[f["key"]][0], present.get(f["key"]), objects.get(f["key"]))]

        wanted = {f["key"] for f in files}
        deletes, kept = [], {}
        for key in sorted(set(present) - wanted):
            # An object no sync wrote (put there by hand) gets the same grace as an old build's file.
            before = objects.get(key) or {"class": "unknown"}
            gone_since = before.get("removedAt", self.now)
            if before.get("class") == REVALIDATE or self.now - gone_since >= self.grace:
                deletes.append(key)
            else:
                kept[key] = dict(before, removedAt=gone_since)

        # What CloudFront may hold an old copy of: each object overwritten, each page-like object deleted.
        stale = set(pending) | {f["key"] for f in uploads if f["key"] in present}
        stale |= {k for k in deletes if (objects.get(k) or {}).get("class") == REVALIDATE}
        if stale != set(pending):
            self.save_state(objects, stale)  # before anything changes: a run stopped half way leaves it pending

        self.upload_all(uploads, sources)
        self.delete_all(deletes)
        new_objects = {f["key"]: {"md5": sources[f["key"]][0], "contentType": f["contentType"],
                                  "cacheControl": f["cacheControl"], "class": f["class"]} for f in files}
        new_objects.update(kept)
        self.save_state(new_objects, stale)
        result = {"digest": self.digest, "files": len(files), "uploaded": len(uploads),
                  "unchanged": len(files) - len(uploads), "deleted": len(deletes), "kept": len(kept),
                  "invalidated": [], "invalidatedCount": 0}
        if stale and self.distribution_id and self.cloudfront is not None:
            done = invalidate.invalidate(self.cloudfront, self.distribution_id, stale, self.reference(),
                                         self.time_left)
            self.save_state(new_objects, ())
            result.update(invalidationId=done["invalidationId"], invalidated=done["paths"][:REPORT_PATHS],
                          invalidatedCount=len(done["paths"]))
        return result

    def reference(self):
        """CloudFront's CallerReference: unique per run, so the same change made twice is invalidated twice."""
        return getattr(self.context, "aws_request_id", None) or "%s-%s" % (self.digest, uuid.uuid4().hex)

    @staticmethod
    def unchanged(f, md5, etag, before):
        """The object is in the bucket with these bytes, and the last sync wrote it with these headers."""
        return (etag == md5 and before is not None and "removedAt" not in before
                and before.get("contentType") == f["contentType"] and before.get("cacheControl") == f["cacheControl"])

    def list_bucket(self):
        """key -> ETag (unquoted) of every object in the site bucket."""
        present = {}
        for page in self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket):
            for obj in page.get("Contents", []):
                present[obj["Key"]] = obj.get("ETag", "").strip('"')
        return present

    def load_state(self):
        """(key -> what the last sync wrote, keys still to invalidate)."""
        try:
            body = self.s3.get_object(Bucket=self.archive_bucket, Key=self.state_key)["Body"].read()
        except ClientError as exc:
            if error_code(exc) in ("NoSuchKey", "404"):
                return {}, []  # first sync: every object is uploaded, with its headers
            raise
        try:
            state = json.loads(body)
            if state.get("format") != FORMAT:
                return {}, []
            return dict(state["objects"]), list(state.get("pending") or [])
        except (ValueError, KeyError, AttributeError, TypeError):
            return {}, []  # unreadable: treated as a first sync, which re-uploads and rewrites it

    def save_state(self, objects, pending):
        body = json.dumps({"format": FORMAT, "digest": self.digest, "syncedAt": self.now, "objects": objects,
                           "pending": sorted(pending)}, sort_keys=True, separators=(",", ":")).encode()
        self.s3.put_object(Bucket=self.archive_bucket, Key=self.state_key, Body=body,
                           ContentType="application/json")

    def upload_all(self, uploads, sources):
        def upload(f):
            if self.time_left() * 1000 < SAFETY_MS:
                return f["key"], OUT_OF_TIME
            md5, open_body = sources[f["key"]]
            try:
                body = open_body()
                try:
                    self.s3.put_object(Bucket=self.bucket, Key=f["key"], Body=body, ContentType=f["contentType"],
                                       CacheControl=f["cacheControl"],
                                       ContentMD5=base64.b64encode(bytes.fromhex(md5)).decode("ascii"))
                finally:
                    body.close()
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
            late = any(err == OUT_OF_TIME for _, err in failures)
            raise SyncError("sync of s3://%s incomplete: %d of %d changed objects not uploaded: %s%s. Run "
                            "`pulumi up` again: what is already uploaded is skipped, and CloudFront is told to "
                            "forget what this run changed%s" % (self.bucket, len(failures), len(uploads), shown, more,
                                                                 LATE_HINT if late else ""))

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
