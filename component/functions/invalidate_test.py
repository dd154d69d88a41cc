"""Tests for invalidate.py (paths, retries, one invalidation against moto's CloudFront); run by
component/functions_test.go (go test)."""
import contextlib
import io
import os
import sys
import unittest
import uuid
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import invalidate  # noqa: E402


def distribution(client):
    """A distribution in moto's CloudFront; returns its id."""
    config = {
        "CallerReference": uuid.uuid4().hex,
        "Comment": "test",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    }
    return client.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def invalidated(client, dist):
    """Every path of every invalidation on dist, one sorted list per invalidation."""
    summaries = client.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
    batches = []
    for summary in summaries:
        inv = client.get_invalidation(DistributionId=dist, Id=summary["Id"])["Invalidation"]
        batches.append(sorted(inv["InvalidationBatch"]["Paths"].get("Items", [])))
    return batches


class PathTest(unittest.TestCase):
    def test_path_for(self):
        cases = [
            ("index.html", "/index.html", True),
            ("logo (1).png", "/logo%20(1).png", True),  # "(" and ")" are safe: never encoded
            ("a b/c'd!$&+,;=@:.js", "/a%20b/c'd!$&+,;=@:.js", True),  # sub-delims stay raw
            ('q"<>#%{}|\\^[]`.css', "/q%22%3C%3E%23%25%7B%7D%7C%5C%5E%5B%5D%60.css", True),
            ("caf\u00e9/\u65e5.txt", "/caf%C3%A9/%E6%97%A5.txt", True),  # non-ASCII as UTF-8 bytes
            ("tab\there", "/tab%09here", True),
            ("docs/v~1.html", "/docs/*", False),  # CloudFront rejects a raw "~"
            ("a b/c*.js", "/a%20b/*", False),  # "*" would be a wildcard
            ("~root.txt", "/*", False),
            ("what?.txt", "/*", False),  # "?" would start a query string
        ]
        for key, want, exact in cases:
            with self.subTest(key):
                self.assertEqual(invalidate.path_for(key), (want, exact))

    def test_paths_for(self):
        self.assertEqual(invalidate.paths_for({"index.html", "_dash-layout", "docs/a~1", "docs/b~2"}),
                         ["/", "/_dash-layout", "/docs/*", "/index.html"])
        self.assertEqual(invalidate.paths_for({"analytics"}), ["/analytics"], "only index.html is also /")


@mock_aws
class InvalidateTest(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("cloudfront", region_name="us-east-1")
        self.dist = distribution(self.client)

    def test_one_invalidation_of_the_paths(self):
        done = invalidate.invalidate(self.client, self.dist, {"index.html", "a b.css"}, "r1", lambda: 60)
        self.assertEqual(done["paths"], ["/", "/a%20b.css", "/index.html"])
        self.assertEqual(invalidated(self.client, self.dist), [["/", "/a%20b.css", "/index.html"]])

    def test_many_paths_become_one_wildcard(self):
        keys = {"f%d" % i for i in range(invalidate.MAX_PATHS + 1)}
        self.assertEqual(invalidate.invalidate(self.client, self.dist, keys, "r2", lambda: 60)["paths"], ["/*"])
        self.assertEqual(invalidated(self.client, self.dist), [["/*"]])


def client_error(code):
    return ClientError({"Error": {"Code": code, "Message": code}}, "CreateInvalidation")


class StubClient:
    """A CloudFront client whose create_invalidation fails with the given error codes, then succeeds."""

    def __init__(self, failures):
        self.failures = list(failures)
        self.calls = 0

    def create_invalidation(self, **kwargs):
        self.calls += 1
        if self.failures:
            raise client_error(self.failures.pop(0))
        return {"Invalidation": {"Id": "I%d" % self.calls}}


class RetryTest(unittest.TestCase):
    def test_table(self):
        cases = [
            # name, failures, seconds left, want attempts (0: raises), want delays
            ("IAM not yet propagated", ["AccessDenied", "AccessDenied"], 60, 3, [1.0, 2.0]),
            ("throttled", ["Throttling", "TooManyInvalidationsInProgress"], 60, 3, [1.0, 2.0]),
            ("delays double up to the cap", ["AccessDenied"] * 6, 60, 7, [1.0, 2.0, 4.0, 8.0, 8.0, 8.0]),
            ("other errors are not retried", ["NoSuchDistribution"], 60, 0, []),
            ("no time left: the error is raised", ["AccessDenied"], 5.5, 0, []),
        ]
        for name, failures, seconds, want_attempts, want_delays in cases:
            with self.subTest(name):
                stub, slept = StubClient(failures), []
                with mock.patch.object(invalidate, "sleep", side_effect=slept.append), \
                        contextlib.redirect_stdout(io.StringIO()):
                    try:
                        result = invalidate.invalidate(stub, "E1", {"index.html"}, "r", lambda: seconds)
                    except ClientError as err:
                        result = err
                self.assertEqual(slept, want_delays)
                if want_attempts:
                    self.assertEqual(result["attempts"], want_attempts)
                    self.assertEqual(result["paths"], ["/", "/index.html"])
                else:
                    self.assertIsInstance(result, ClientError)
                    self.assertEqual(stub.calls, 1)


if __name__ == "__main__":
    unittest.main()
