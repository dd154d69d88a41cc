"""Tests for sync.py against moto's S3; run by component/functions_test.go (go test).

OPENDASH_SYNC_ARCHIVE, when set, names an archive the Go side built with component/sitearchive from the
test bundle, and OPENDASH_SYNC_SITE the bundle's assets folder: the Go writer and this reader must agree.
"""
import hashlib
import io
import json
import os
import sys
import unittest
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

import sync  # noqa: E402

SITE, STAGING = "site-bucket", "staging-bucket"
IMM, REV = "public,max-age=31536000,immutable", "public,max-age=0,s-maxage=31536000,must-revalidate"
HOUR = 3600.0


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
            zf.writestr(sync.FILES_PREFIX + key, files[key][0])
    return buf.getvalue()


BASE = {
    "index.html": (b"<html>v1</html>", "text/html; charset=utf-8", "revalidate"),
    "_dash-layout": (b'{"v":1}', "application/json", "revalidate"),
    "lib/app.v1m0aa.js": (b"app v1", "text/javascript; charset=utf-8", "immutable"),
    "assets/logo.png": (b"\x89PNG", "image/png", "revalidate"),
}


class Context:
    def __init__(self, left_ms=900_000):
        self.left_ms = left_ms

    def get_remaining_time_in_millis(self):
        return self.left_ms


class CountingS3:
    """The real (moto) client, counting uploads and failing the ones listed in fail."""

    def __init__(self, client, fail=()):
        self.client, self.fail, self.puts = client, set(fail), []

    def put_object(self, **kw):
        if kw["Bucket"] == SITE:
            if kw["Key"] in self.fail:
                raise RuntimeError("injected failure")
            self.puts.append(kw["Key"])
        return self.client.put_object(**kw)

    def __getattr__(self, name):
        return getattr(self.client, name)


@mock_aws
class SyncTest(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("s3", region_name="us-east-1")
        self.client.create_bucket(Bucket=SITE)
        self.client.create_bucket(Bucket=STAGING)

    def run_sync(self, files, now=0.0, digest="d1", grace=24 * HOUR, fail=(), context=None):
        key = "static-%s.zip" % digest
        self.client.put_object(Bucket=STAGING, Key=key, Body=archive(files, digest))
        s3 = CountingS3(self.client, fail)
        event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": key, "digest": digest,
                 "graceSeconds": grace}
        result = sync.Sync(s3, event, context or Context(), now=now).run()
        return result, sorted(s3.puts)

    def objects(self):
        out = {}
        for obj in self.client.list_objects_v2(Bucket=SITE).get("Contents", []):
            head = self.client.head_object(Bucket=SITE, Key=obj["Key"])
            body = self.client.get_object(Bucket=SITE, Key=obj["Key"])["Body"].read()
            out[obj["Key"]] = (body, head["ContentType"], head.get("CacheControl"))
        return out

    def test_first_sync_uploads_everything_with_its_headers(self):
        result, puts = self.run_sync(BASE)
        self.assertEqual(puts, sorted(BASE))
        want = {k: (data, ctype, IMM if cls == "immutable" else REV) for k, (data, ctype, cls) in BASE.items()}
        self.assertEqual(self.objects(), want)
        self.assertEqual((result["uploaded"], result["unchanged"], result["deleted"]), (4, 0, 0))
        self.assertEqual(result["changedRevalidate"], ["_dash-layout", "assets/logo.png", "index.html"])

    def test_unchanged_files_are_not_uploaded_again(self):
        self.run_sync(BASE)
        result, puts = self.run_sync(BASE, now=HOUR)
        self.assertEqual(puts, [])
        self.assertEqual((result["uploaded"], result["unchanged"], result["changedRevalidateCount"]), (0, 4, 0))

    def test_changes_upload_only_what_changed(self):
        cases = [
            ("content", "index.html", (b"<html>v2</html>", "text/html; charset=utf-8", "revalidate")),
            ("content type only", "_dash-layout", (b'{"v":1}', "text/plain", "revalidate")),
            ("class, hence cache-control, only", "assets/logo.png", (b"\x89PNG", "image/png", "immutable")),
        ]
        for name, key, value in cases:
            with self.subTest(name):
                self.setUp()
                self.run_sync(BASE)
                changed = dict(BASE, **{key: value})
                result, puts = self.run_sync(changed, now=HOUR, digest="d2")
                self.assertEqual(puts, [key])
                got = self.objects()[key]
                self.assertEqual(got, (value[0], value[1], IMM if value[2] == "immutable" else REV))

    def test_object_changed_by_hand_is_restored(self):
        self.run_sync(BASE)
        self.client.put_object(Bucket=SITE, Key="index.html", Body=b"defaced", ContentType="text/html")
        _, puts = self.run_sync(BASE, now=HOUR)
        self.assertEqual(puts, ["index.html"])
        self.assertEqual(self.objects()["index.html"][0], BASE["index.html"][0])

    def test_removed_files(self):
        # app.v2 replaces app.v1 (immutable: kept for the grace period); _dash-layout goes (revalidate: at once).
        self.run_sync(BASE)
        v2 = {k: v for k, v in BASE.items() if k not in ("lib/app.v1m0aa.js", "_dash-layout")}
        v2["lib/app.v2m0bb.js"] = (b"app v2", "text/javascript; charset=utf-8", "immutable")
        result, _ = self.run_sync(v2, now=HOUR, digest="d2")
        self.assertEqual((result["deleted"], result["kept"]), (1, 1))
        self.assertEqual(sorted(self.objects()), ["assets/logo.png", "index.html", "lib/app.v1m0aa.js",
                                                  "lib/app.v2m0bb.js"])
        # Another deploy inside the grace period keeps it; the grace counts from its removal, not from now.
        v3 = dict(v2, **{"index.html": (b"<html>v3</html>", "text/html; charset=utf-8", "revalidate")})
        self.run_sync(v3, now=20 * HOUR, digest="d3")
        self.assertIn("lib/app.v1m0aa.js", self.objects())
        result, _ = self.run_sync(v3, now=HOUR + 24 * HOUR, digest="d3")
        self.assertEqual(result["deleted"], 1)
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

    def test_a_failed_upload_fails_the_sync_and_a_rerun_completes_it(self):
        self.run_sync(BASE)
        v2 = {k: (v[0] + b" v2", v[1], v[2]) for k, v in BASE.items()}
        with self.assertRaisesRegex(sync.SyncError, r"incomplete: 1 of 4 changed objects not uploaded: "
                                                    r"index.html: RuntimeError: injected failure.*pulumi up"):
            self.run_sync(v2, now=HOUR, digest="d2", fail=["index.html"])
        # HTML goes last: the other changed files are in, the page that names them is the old one.
        self.assertEqual(self.objects()["index.html"][0], BASE["index.html"][0])
        _, puts = self.run_sync(v2, now=2 * HOUR, digest="d2")
        self.assertEqual(puts, ["index.html"])
        self.assertEqual({k: v[0] for k, v in self.objects().items()}, {k: v[0] for k, v in v2.items()})

    def test_fingerprinted_files_go_before_pages(self):
        order = []
        files = dict(BASE)

        class Recorder(CountingS3):
            def put_object(self, **kw):
                if kw["Bucket"] == SITE:
                    order.append(kw["Key"])
                return self.client.put_object(**kw)

        self.client.put_object(Bucket=STAGING, Key="a.zip", Body=archive(files))
        event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": "a.zip", "digest": "d1"}
        sync.Sync(Recorder(self.client), event, Context(), now=0).run()
        self.assertEqual(order[0], "lib/app.v1m0aa.js")
        self.assertEqual(order[-1], "index.html")

    def test_out_of_time_is_a_clear_failure(self):
        with self.assertRaisesRegex(sync.SyncError, "ran out of time.*timeout"):
            self.run_sync(BASE, context=Context(left_ms=sync.SAFETY_MS - 1))
        self.assertEqual(self.objects(), {})

    def test_archive_must_be_the_one_asked_for(self):
        self.client.put_object(Bucket=STAGING, Key="static-d1.zip", Body=archive(BASE, "d1"))
        event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": "static-d1.zip", "digest": "d9"}
        with self.assertRaisesRegex(sync.SyncError, "holds site d1, the deploy asked for d9"):
            sync.Sync(self.client, event, Context(), now=0).run()
        self.client.put_object(Bucket=STAGING, Key="junk.zip", Body=b"not a zip")
        event.update(archiveKey="junk.zip")
        with self.assertRaises(Exception):
            sync.Sync(self.client, event, Context(), now=0).run()

    def test_handler(self):
        self.client.put_object(Bucket=STAGING, Key="static-d1.zip", Body=archive(BASE, "d1"))
        event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": "static-d1.zip", "digest": "d1",
                 "tf": {"action": "create"}}
        result = sync.handler(event, Context())
        self.assertEqual((result["action"], result["uploaded"]), ("create", 4))
        self.assertEqual(sync.handler({"tf": {"action": "delete"}}, Context()), {"action": "delete"})
        self.assertEqual(len(self.objects()), 4, "delete leaves the objects to the bucket's own deletion")
        with self.assertRaisesRegex(ValueError, "archiveKey"):
            sync.handler({"bucket": SITE, "archiveBucket": STAGING, "digest": "d1"}, Context())

    def test_many_files_in_parallel(self):
        files = {"f/%04d.js" % i: (b"%d" % i, "text/javascript", "immutable") for i in range(600)}
        result, puts = self.run_sync(files)
        self.assertEqual((result["uploaded"], len(puts)), (600, 600))
        result, puts = self.run_sync(files, now=HOUR)
        self.assertEqual((result["unchanged"], puts), (600, []))

    @unittest.skipUnless(os.environ.get("OPENDASH_SYNC_ARCHIVE"), "no Go-built archive given")
    def test_archive_written_by_go(self):
        path = os.environ["OPENDASH_SYNC_ARCHIVE"]
        with open(path, "rb") as fh:
            self.client.put_object(Bucket=STAGING, Key="go.zip", Body=fh.read())
        with zipfile.ZipFile(path) as zf:
            index = json.loads(zf.read(sync.INDEX_ENTRY))
        event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": "go.zip", "digest": index["digest"]}
        sync.Sync(self.client, event, Context(), now=0).run()
        got = self.objects()
        with open(os.path.join(os.environ["OPENDASH_SYNC_SITE"], "..", "open-dash.output.json")) as fh:
            manifest = json.load(fh)
        self.assertEqual(sorted(got), [f["key"] for f in manifest["files"]])
        for f in manifest["files"]:
            with open(os.path.join(os.environ["OPENDASH_SYNC_SITE"], f["path"]), "rb") as fh:
                self.assertEqual(got[f["key"]], (fh.read(), f["contentType"], f["cacheControl"]), f["key"])


if __name__ == "__main__":
    unittest.main()
