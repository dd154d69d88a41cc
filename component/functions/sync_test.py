"""Tests for sync.py against moto's S3 and CloudFront; run by component/functions_test.go (go test).

OPENDASH_SYNC_ARCHIVE, when set, names an archive the Go side built with component/sitearchive from the
test bundle, and OPENDASH_SYNC_SITE the bundle's assets folder: the Go writer and this reader must agree.
"""
import hashlib
import io
import json
import os
import sys
import time
import unittest
import zipfile
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import sync  # noqa: E402
from invalidate_test import distribution, invalidated  # noqa: E402

SITE, STAGING = "site-bucket", "staging-bucket"
IMM, REV = "public,max-age=31536000,immutable", "public,max-age=0,s-maxage=31536000,must-revalidate"
HOUR = 3600.0
LOCK = "lock/%s.json" % SITE


def archive(files, digest="d1"):
    """A site archive as component/sitearchive writes it; files: key -> (bytes, content type, class)."""
    entries = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for key in sorted(files):
            data, ctype, cls = files[key]
            entries.append({"key": key, "contentType": ctype, "cacheControl": IMM if cls == "immutable" else REV,
                            "class": cls, "size": len(data), "sha256": hashlib.sha256(data).hexdigest(),
                            "md5": hashlib.md5(data).hexdigest()})
        zf.writestr(sync.INDEX_ENTRY, json.dumps({"format": sync.FORMAT, "digest": digest, "files": entries}))
        for key in sorted(files):
            zf.writestr(zipfile.ZipInfo(sync.FILES_PREFIX + key), files[key][0], zipfile.ZIP_DEFLATED)
    return buf.getvalue()


BASE = {
    "index.html": (b"<html>v1</html>", "text/html; charset=utf-8", "revalidate"),
    "_dash-layout": (b'{"v":1}', "application/json", "revalidate"),
    "lib/app.v1m0aa.js": (b"app v1", "text/javascript; charset=utf-8", "immutable"),
    "assets/logo.png": (b"\x89PNG", "image/png", "revalidate"),
}


class Context:
    def __init__(self, left_ms=300_000, request_id=None):
        self.left_ms, self.aws_request_id = left_ms, request_id

    def get_remaining_time_in_millis(self):
        return self.left_ms


class Killed(BaseException):
    """Stands in for Lambda stopping the function: nothing after it runs, no except Exception sees it."""


class CountingS3:
    """The real (moto) client, counting uploads and failing (or killing the run at) the ones listed."""

    def __init__(self, client, fail=(), kill=()):
        self.client, self.fail, self.kill, self.puts = client, set(fail), set(kill), []

    def put_object(self, **kw):
        if kw["Bucket"] == SITE:
            if kw["Key"] in self.fail:
                raise RuntimeError("injected failure")
            if kw["Key"] in self.kill:
                raise Killed()
            self.puts.append(kw["Key"])
        return self.client.put_object(**kw)

    def __getattr__(self, name):
        return getattr(self.client, name)


class FailingCloudFront:
    """Refuses the first create_invalidation with an error the sync does not wait out, then passes through."""

    def __init__(self, client):
        self.client, self.failed = client, False

    def create_invalidation(self, **kw):
        if not self.failed:
            self.failed = True
            raise ClientError({"Error": {"Code": "InternalError", "Message": "try later"}}, "CreateInvalidation")
        return self.client.create_invalidation(**kw)


@mock_aws
class SyncTest(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("s3", region_name="us-east-1")
        self.client.create_bucket(Bucket=SITE)
        self.client.create_bucket(Bucket=STAGING)
        self.cloudfront = boto3.client("cloudfront", region_name="us-east-1")
        self.dist = distribution(self.cloudfront)

    def reset(self):
        """Empty buckets and a new distribution, for one case of a table."""
        for bucket in (SITE, STAGING):
            for obj in self.client.list_objects_v2(Bucket=bucket).get("Contents", []):
                self.client.delete_object(Bucket=bucket, Key=obj["Key"])
        self.dist = distribution(self.cloudfront)

    def event(self, key, digest, grace=24 * HOUR):
        return {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": key, "digest": digest,
                "graceSeconds": grace, "distributionId": self.dist}

    def run_sync(self, files, now=0.0, digest="d1", grace=24 * HOUR, fail=(), kill=(), context=None, cloudfront=None):
        key = "static-%s.zip" % digest
        self.client.put_object(Bucket=STAGING, Key=key, Body=archive(files, digest))
        s3 = CountingS3(self.client, fail, kill)
        result = sync.Sync(s3, self.event(key, digest, grace), context or Context(), now=now,
                           cloudfront=cloudfront or self.cloudfront).run()
        return result, sorted(s3.puts)

    def objects(self):
        out = {}
        for obj in self.client.list_objects_v2(Bucket=SITE).get("Contents", []):
            head = self.client.head_object(Bucket=SITE, Key=obj["Key"])
            body = self.client.get_object(Bucket=SITE, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = (body, head["ContentType"], head.get("CacheControl"))
        return out

    def invalidations(self):
        return invalidated(self.cloudfront, self.dist)

    def test_first_sync_uploads_everything_with_its_headers(self):
        result, puts = self.run_sync(BASE)
        self.assertEqual(puts, sorted(BASE))
        want = {k: (data, ctype, IMM if cls == "immutable" else REV) for k, (data, ctype, cls) in BASE.items()}
        self.assertEqual(self.objects(), want)
        self.assertEqual((result["uploaded"], result["unchanged"], result["deleted"]), (4, 0, 0))
        self.assertEqual(self.invalidations(), [], "a new site has nothing cached: CloudFront is not called")

    def test_unchanged_files_are_not_uploaded_again(self):
        self.run_sync(BASE)
        result, puts = self.run_sync(BASE, now=HOUR)
        self.assertEqual(puts, [])
        self.assertEqual((result["uploaded"], result["unchanged"], result["invalidatedCount"]), (0, 4, 0))
        self.assertEqual(self.invalidations(), [])

    def test_changes_upload_and_invalidate_only_what_changed(self):
        cases = [
            ("content", "index.html", (b"<html>v2</html>", "text/html; charset=utf-8", "revalidate"),
             ["/", "/index.html"]),
            ("content type only", "_dash-layout", (b'{"v":1}', "text/plain", "revalidate"), ["/_dash-layout"]),
            ("class, hence cache-control, only", "assets/logo.png", (b"\x89PNG", "image/png", "immutable"),
             ["/assets/logo.png"]),
        ]
        for name, key, value, paths in cases:
            with self.subTest(name):
                self.reset()
                self.run_sync(BASE)
                changed = dict(BASE, **{key: value})
                result, puts = self.run_sync(changed, now=HOUR, digest="d2")
                self.assertEqual(puts, [key])
                got = self.objects()[key]
                self.assertEqual(got, (value[0], value[1], IMM if value[2] == "immutable" else REV))
                self.assertEqual((result["invalidated"], self.invalidations()), (paths, [paths]))

    def test_a_change_through_the_handler_as_a_replacement_runs_it(self):
        # A replaced lambda.Invocation runs the function as a create: the sync invalidates all the same.
        self.run_sync(BASE)
        v2 = dict(BASE, **{"_dash-layout": (b'{"v":2}', "application/json", "revalidate")})
        self.client.put_object(Bucket=STAGING, Key="static-d2.zip", Body=archive(v2, "d2"))
        event = dict(self.event("static-d2.zip", "d2"), tf={"action": "create"})
        result = sync.handler(event, Context(request_id="req-2"))
        self.assertEqual((result["action"], result["uploaded"], result["invalidated"]), ("create", 1, ["/_dash-layout"]))
        self.assertEqual(self.invalidations(), [["/_dash-layout"]])

    def test_object_changed_by_hand_is_restored_and_invalidated(self):
        self.run_sync(BASE)
        self.client.put_object(Bucket=SITE, Key="lib/app.v1m0aa.js", Body=b"defaced", ContentType="text/javascript")
        result, puts = self.run_sync(BASE, now=HOUR)
        self.assertEqual(puts, ["lib/app.v1m0aa.js"])
        self.assertEqual(self.objects()["lib/app.v1m0aa.js"][0], BASE["lib/app.v1m0aa.js"][0])
        self.assertEqual(result["invalidated"], ["/lib/app.v1m0aa.js"], "a cached defaced copy is flushed too")

    def test_removed_files(self):
        # app.v2 replaces app.v1 (immutable: kept for the grace period); _dash-layout goes (revalidate: at once).
        self.run_sync(BASE)
        v2 = {k: v for k, v in BASE.items() if k not in ("lib/app.v1m0aa.js", "_dash-layout")}
        v2["lib/app.v2m0bb.js"] = (b"app v2", "text/javascript; charset=utf-8", "immutable")
        result, _ = self.run_sync(v2, now=HOUR, digest="d2")
        self.assertEqual((result["deleted"], result["kept"], result["invalidated"]), (1, 1, ["/_dash-layout"]))
        self.assertEqual(sorted(self.objects()), ["assets/logo.png", "index.html", "lib/app.v1m0aa.js",
                                                  "lib/app.v2m0bb.js"])
        # Another deploy inside the grace period keeps it; the grace counts from its removal, not from now.
        v3 = dict(v2, **{"index.html": (b"<html>v3</html>", "text/html; charset=utf-8", "revalidate")})
        self.run_sync(v3, now=20 * HOUR, digest="d3")
        self.assertIn("lib/app.v1m0aa.js", self.objects())
        result, _ = self.run_sync(v3, now=HOUR + 24 * HOUR, digest="d3")
        self.assertEqual((result["deleted"], result["invalidated"]), (1, []), "an old build's script is not flushed")
        self.assertNotIn("lib/app.v1m0aa.js", self.objects())

    def test_a_file_back_within_the_grace_period_is_a_normal_file_again(self):
        self.run_sync(BASE)
        without = {k: v for k, v in BASE.items() if k != "lib/app.v1m0aa.js"}
        self.run_sync(without, now=HOUR, digest="d2")
        self.run_sync(BASE, now=2 * HOUR, digest="d1")
        result, _ = self.run_sync(without, now=30 * HOUR, digest="d2")
        self.assertEqual(result["kept"], 1, "the grace restarts when the file leaves the site again")

    def test_stray_objects_get_the_grace_period(self):
        self.client.put_object(Bucket=SITE, Key="uploaded-by-hand.txt", Body=b"x")
        result, _ = self.run_sync(BASE)
        self.assertEqual(result["kept"], 1)
        self.run_sync(BASE, now=HOUR)
        self.assertIn("uploaded-by-hand.txt", self.objects())
        result, _ = self.run_sync(BASE, now=25 * HOUR)
        self.assertEqual(result["deleted"], 1)
        self.assertNotIn("uploaded-by-hand.txt", self.objects())

    def test_a_failed_upload_fails_the_sync_and_a_rerun_completes_and_invalidates_it(self):
        self.run_sync(BASE)
        v2 = {k: (v[0] + b" v2", v[1], v[2]) for k, v in BASE.items()}
        with self.assertRaisesRegex(sync.SyncError, r"incomplete: 1 of 4 changed objects not uploaded: "
                                                    r"index.html: RuntimeError: injected failure.*pulumi up"):
            self.run_sync(v2, now=HOUR, digest="d2", fail=["index.html"])
        # HTML goes last: the other changed files are in, the page that names them is the old one.
        self.assertEqual(self.objects()["index.html"][0], BASE["index.html"][0])
        self.assertEqual(self.invalidations(), [], "nothing is invalidated before the site is complete")
        # The re-run (the replacement's create, on the next `pulumi up`) uploads only the page, and flushes
        # everything the failed run changed as well.
        result, puts = self.run_sync(v2, now=2 * HOUR, digest="d2")
        self.assertEqual(puts, ["index.html"])
        self.assertEqual({k: v[0] for k, v in self.objects().items()}, {k: v[0] for k, v in v2.items()})
        want = ["/", "/_dash-layout", "/assets/logo.png", "/index.html", "/lib/app.v1m0aa.js"]
        self.assertEqual((result["invalidated"], self.invalidations()), (want, [want]))
        _, puts = self.run_sync(v2, now=3 * HOUR, digest="d2")
        self.assertEqual((puts, len(self.invalidations())), ([], 1), "once flushed, nothing is pending")

    def test_a_run_stopped_half_way_still_gets_its_changes_invalidated(self):
        self.run_sync(BASE)
        v2 = dict(BASE, **{"_dash-layout": (b'{"v":2}', "application/json", "revalidate"),
                           "index.html": (b"<html>v2</html>", "text/html; charset=utf-8", "revalidate")})
        with self.assertRaises(Killed):
            self.run_sync(v2, now=HOUR, digest="d2", kill=["index.html"])
        self.client.delete_object(Bucket=STAGING, Key=LOCK)  # a stopped run leaves its lock (taken over later)
        result, puts = self.run_sync(v2, now=2 * HOUR, digest="d2")
        self.assertEqual(puts, ["index.html"])
        self.assertEqual(result["invalidated"], ["/", "/_dash-layout", "/index.html"])

    def test_a_failed_invalidation_fails_the_sync_and_the_rerun_flushes_without_uploading(self):
        self.run_sync(BASE)
        v2 = dict(BASE, **{"_dash-layout": (b'{"v":2}', "application/json", "revalidate")})
        with self.assertRaisesRegex(ClientError, "InternalError"):
            self.run_sync(v2, now=HOUR, digest="d2", cloudfront=FailingCloudFront(self.cloudfront))
        result, puts = self.run_sync(v2, now=2 * HOUR, digest="d2")
        self.assertEqual((puts, result["invalidated"]), ([], ["/_dash-layout"]))

    def test_fingerprinted_files_go_before_pages(self):
        order = []

        class Recorder(CountingS3):
            def put_object(self, **kw):
                if kw["Bucket"] == SITE:
                    order.append(kw["Key"])
                return self.client.put_object(**kw)

        self.client.put_object(Bucket=STAGING, Key="a.zip", Body=archive(BASE))
        sync.Sync(Recorder(self.client), self.event("a.zip", "d1"), Context(), now=0, cloudfront=self.cloudfront).run()
        self.assertEqual(order[0], "lib/app.v1m0aa.js")
        self.assertEqual(order[-1], "index.html")

    def test_out_of_time_is_a_clear_failure(self):
        with self.assertRaisesRegex(sync.SyncError, "ran out of time.*site limits"):
            self.run_sync(BASE, context=Context(left_ms=sync.SAFETY_MS - 1))
        self.assertEqual(self.objects(), {})

    def test_archive_must_be_the_one_asked_for(self):
        self.client.put_object(Bucket=STAGING, Key="static-d1.zip", Body=archive(BASE, "d1"))
        event = self.event("static-d1.zip", "d9")
        with self.assertRaisesRegex(sync.SyncError, "holds site d1, the deploy asked for d9"):
            sync.Sync(self.client, event, Context(), now=0).run()
        self.client.put_object(Bucket=STAGING, Key="junk.zip", Body=b"not a zip")
        event.update(archiveKey="junk.zip")
        with self.assertRaises(Exception):
            sync.Sync(self.client, event, Context(), now=0).run()
        self.assertNotIn("Contents", self.client.list_objects_v2(Bucket=STAGING, Prefix="lock/"),
                         "a failed run releases its lock")

    def test_handler(self):
        self.client.put_object(Bucket=STAGING, Key="static-d1.zip", Body=archive(BASE, "d1"))
        event = dict(self.event("static-d1.zip", "d1"), tf={"action": "create"})
        result = sync.handler(event, Context())
        self.assertEqual((result["action"], result["uploaded"]), ("create", 4))
        self.assertEqual(sync.handler({"tf": {"action": "delete"}}, Context()), {"action": "delete"})
        self.assertEqual(len(self.objects()), 4, "delete leaves the objects to the bucket's own deletion")
        for field in ("archiveKey", "distributionId"):
            with self.assertRaisesRegex(ValueError, field):
                sync.handler({k: v for k, v in event.items() if k != field}, Context())

    def test_many_files_in_parallel(self):
        files = {"f/%04d.js" % i: (b"%d" % i, "text/javascript", "immutable") for i in range(600)}
        result, puts = self.run_sync(files)
        self.assertEqual((result["uploaded"], len(puts)), (600, 600))
        result, puts = self.run_sync(files, now=HOUR)
        self.assertEqual((result["unchanged"], puts), (600, []))

    def test_large_file_is_streamed_whole(self):
        big = os.urandom(1 << 20) * 6  # 6 MB, deflated in the archive; read in chunks, never whole
        files = dict(BASE, **{"data/big.bin": (big, "application/octet-stream", "revalidate")})
        reads = []
        real_read = sync.EntryBody.read

        def read(body, n=-1):
            reads.append(n)
            return real_read(body, n)

        with mock.patch.object(sync.EntryBody, "read", read):
            self.run_sync(files)
        self.assertEqual(hashlib.sha256(self.objects()["data/big.bin"][0]).digest(), hashlib.sha256(big).digest())
        self.assertTrue(reads and all(0 < n <= 1 << 20 for n in reads), "whole-file reads: %s" % sorted(set(reads))[:5])

    @unittest.skipUnless(os.environ.get("OPENDASH_SYNC_ARCHIVE"), "no Go-built archive given")
    def test_archive_written_by_go(self):
        path = os.environ["OPENDASH_SYNC_ARCHIVE"]
        with open(path, "rb") as fh:
            self.client.put_object(Bucket=STAGING, Key="go.zip", Body=fh.read())
        with zipfile.ZipFile(path) as zf:
            index = json.loads(zf.read(sync.INDEX_ENTRY))
        sync.Sync(self.client, self.event("go.zip", index["digest"]), Context(), now=0).run()
        got = self.objects()
        with open(os.path.join(os.environ["OPENDASH_SYNC_SITE"], "..", "open-dash.output.json")) as fh:
            manifest = json.load(fh)
        self.assertEqual(sorted(got), [f["key"] for f in manifest["files"]])
        for f in manifest["files"]:
            with open(os.path.join(os.environ["OPENDASH_SYNC_SITE"], f["path"]), "rb") as fh:
                self.assertEqual(got[f["key"]], (fh.read(), f["contentType"], f["cacheControl"]), f["key"])


class EntryBodyTest(unittest.TestCase):
    def test_reads_seeks_and_rewinds(self):
        data = bytes(range(256)) * 100
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("site/x", data)
        with zipfile.ZipFile(buf) as zf:
            body = sync.EntryBody(zf, "site/x", len(data))
            self.assertEqual((len(body), body.read(10), body.tell()), (len(data), data[:10], 10))
            self.assertEqual(body.seek(0, 2), len(data))
            self.assertEqual(body.read(5), b"")
            self.assertEqual(body.seek(100), 100)
            self.assertEqual(body.read(3), data[100:103])
            self.assertEqual(body.seek(-3, 1), 100)
            self.assertEqual(body.read(), data[100:])
            body.close()


@mock_aws
class LockTest(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("s3", region_name="us-east-1")
        self.client.create_bucket(Bucket=STAGING)

    def hold(self, until):
        self.client.put_object(Bucket=STAGING, Key=LOCK, Body=json.dumps({"holder": "other", "until": until}))

    def lock(self, seconds=300.0):
        return sync.Lock(self.client, STAGING, LOCK, lambda: seconds)

    def test_a_second_run_waits_for_the_first(self):
        for conditions_known in (True, False):  # False: a runtime SDK without IfNoneMatch sends the header
            with self.subTest(conditions_known=conditions_known):
                self.hold(time.time() + 600)
                slept = []

                def first_run_ends(seconds):
                    slept.append(seconds)
                    self.client.delete_object(Bucket=STAGING, Key=LOCK)

                with mock.patch.object(sync, "sleep", first_run_ends), \
                        mock.patch.object(sync, "knows_conditions", lambda s3: conditions_known):
                    lock = self.lock()
                    lock.acquire()
                self.assertEqual(slept, [sync.LOCK_POLL_SECONDS])
                self.assertEqual(json.loads(self.client.get_object(Bucket=STAGING, Key=LOCK)["Body"].read())["holder"],
                                 lock.token)
                lock.release()

    def test_a_stale_lock_is_taken_over(self):
        self.hold(time.time() - 1)
        with mock.patch.object(sync, "sleep", side_effect=AssertionError("no wait for a stale lock")):
            lock = self.lock()
            lock.acquire()
        self.assertEqual(json.loads(self.client.get_object(Bucket=STAGING, Key=LOCK)["Body"].read())["holder"],
                         lock.token)

    def test_only_one_of_two_takes_over_a_stale_lock(self):
        self.hold(time.time() - 1)
        stale_etag = self.client.head_object(Bucket=STAGING, Key=LOCK)["ETag"]
        self.lock().acquire()  # the first one replaces it
        with self.assertRaises(ClientError) as err:  # the second, with the ETag it read, is refused
            sync.put_if(self.client, Bucket=STAGING, Key=LOCK, Body=b"{}", if_match=stale_etag)
        self.assertEqual(err.exception.response["Error"]["Code"], "PreconditionFailed")

    def test_a_lock_held_past_this_runs_time_is_a_clear_failure(self):
        self.hold(time.time() + 600)
        with mock.patch.object(sync, "sleep", side_effect=AssertionError("no time to wait")):
            with self.assertRaisesRegex(sync.SyncError, "another sync of this site is still running.*pulumi up"):
                self.lock(seconds=sync.SAFETY_MS / 1000.0).acquire()


if __name__ == "__main__":
    unittest.main()
