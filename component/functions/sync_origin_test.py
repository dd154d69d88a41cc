"""Tests for sync.py's site-origin transform against moto's S3; run by component/siteorigin_test.go.

A page marked "siteOrigin" in the archive (Dash Pages' meta tags name the site, whose domain exists only once
the distribution does) reaches the bucket with the placeholder origin replaced by the input's siteOrigin, is
compared by the MD5 of those bytes, and is uploaded again when the origin changes. OPENDASH_ORIGIN_ARCHIVE
and OPENDASH_ORIGIN_WANT, when set, are an archive the Go side wrote and the bytes Go's manifest.WithOrigin
makes of its marked page: both sides must agree.
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
PAGE = (b'<meta property="og:image" content="https://opendash-site-origin.invalid/assets/a.png">'
        b'<meta property="twitter:url" content="https://opendash-site-origin.invalid/reports">')
FILES = {"reports": (PAGE, True), "assets/a.png": (b"\x89PNG", False)}


def archive(files, digest):
    entries, buf = [], io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for key in sorted(files):
            data, marked = files[key]
            entry = {"key": key, "contentType": "text/html" if marked else "image/png",
                     "cacheControl": "public,max-age=0,s-maxage=31536000,must-revalidate", "class": "revalidate",
                     "size": len(data), "sha256": hashlib.sha256(data).hexdigest(), "md5": hashlib.md5(data).hexdigest()}
            if marked:
                entry["siteOrigin"] = True
            entries.append(entry)
        zf.writestr(sync.INDEX_ENTRY, json.dumps({"format": sync.FORMAT, "digest": digest, "files": entries}))
        for key in sorted(files):
            zf.writestr(sync.FILES_PREFIX + key, files[key][0])
    return buf.getvalue()


@mock_aws
class SiteOriginTest(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("s3", region_name="us-east-1")
        self.client.create_bucket(Bucket=SITE)
        self.client.create_bucket(Bucket=STAGING)

    def run_sync(self, origin, body=None, digest="d1", now=0.0):
        key = "static-%s.zip" % digest
        self.client.put_object(Bucket=STAGING, Key=key, Body=body or archive(FILES, digest))
        event = {"bucket": SITE, "archiveBucket": STAGING, "archiveKey": key, "digest": digest}
        if origin is not None:
            event["siteOrigin"] = origin
        return sync.Sync(self.client, event, None, now=now).run()

    def body(self, key):
        return self.client.get_object(Bucket=SITE, Key=key)["Body"].read()

    def test_marked_pages_name_the_site(self):
        result = self.run_sync("https://d111111abcdef8.cloudfront.net")
        self.assertEqual(result["uploaded"], 2)
        self.assertEqual(self.body("reports"), PAGE.replace(b"https://opendash-site-origin.invalid",
                                                            b"https://d111111abcdef8.cloudfront.net"))
        self.assertEqual(self.body("assets/a.png"), b"\x89PNG", "an unmarked file is uploaded as it is")
        etag = self.client.head_object(Bucket=SITE, Key="reports")["ETag"].strip('"')
        self.assertEqual(etag, hashlib.md5(self.body("reports")).hexdigest())

    def test_same_origin_uploads_nothing_a_new_one_the_marked_pages(self):
        self.run_sync("https://d111111abcdef8.cloudfront.net")
        self.assertEqual(self.run_sync("https://d111111abcdef8.cloudfront.net", now=60)["uploaded"], 0)
        result = self.run_sync("https://dash.example.com", now=120)  # a custom domain added later
        self.assertEqual(result["uploaded"], 1)
        self.assertIn(b"https://dash.example.com/reports", self.body("reports"))
        # What CloudFront must forget (no distribution here, so it stays pending in the state): that page.
        state = json.loads(self.client.get_object(Bucket=STAGING, Key="state/%s.json" % SITE)["Body"].read())
        self.assertEqual(state["pending"], ["reports"])

    def test_no_origin_for_a_marked_page_is_a_clear_failure(self):
        with self.assertRaisesRegex(sync.SyncError, "reports names the site's origin, but the sync was given none"):
            self.run_sync(None)
        self.assertNotIn("Contents", self.client.list_objects_v2(Bucket=SITE))

    @unittest.skipUnless(os.environ.get("OPENDASH_ORIGIN_ARCHIVE"), "no Go-built archive given")
    def test_go_and_python_agree(self):
        with open(os.environ["OPENDASH_ORIGIN_ARCHIVE"], "rb") as fh:
            body = fh.read()
        with zipfile.ZipFile(io.BytesIO(body)) as zf:
            index = json.loads(zf.read(sync.INDEX_ENTRY))
        marked = [f["key"] for f in index["files"] if f.get("siteOrigin")]
        self.assertEqual(len(marked), 1, index)
        self.run_sync(os.environ["OPENDASH_ORIGIN"], body=body, digest=index["digest"])
        with open(os.environ["OPENDASH_ORIGIN_WANT"], "rb") as fh:
            self.assertEqual(self.body(marked[0]), fh.read())


if __name__ == "__main__":
    unittest.main()
