"""Tests for invalidator.py against moto's CloudFront; run by component/functions_test.go (go test)."""
import contextlib
import io
import os
import sys
import unittest
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import invalidator  # noqa: E402


class Context:
    def __init__(self, request_id, seconds_left=60.0):
        self.aws_request_id = request_id
        self.seconds_left = seconds_left

    def get_remaining_time_in_millis(self):
        return int(self.seconds_left * 1000)


def distribution(client):
    config = {
        "CallerReference": "test",
        "Comment": "test",
        "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "s3", "DomainName": "b.s3.amazonaws.com",
                                              "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {"TargetOriginId": "s3", "ViewerProtocolPolicy": "redirect-to-https",
                                 "CachePolicyId": "658327ea-f89d-4fab-a63d-7e88639e58f6"},
    }
    return client.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def invalidated(client, dist):
    """Every path of every invalidation on dist, one list per invalidation, oldest first."""
    summaries = client.list_invalidations(DistributionId=dist)["InvalidationList"].get("Items", [])
    batches = []
    for summary in summaries:
        inv = client.get_invalidation(DistributionId=dist, Id=summary["Id"])["Invalidation"]
        batches.append(sorted(inv["InvalidationBatch"]["Paths"].get("Items", [])))
    return batches


class ChangedPathsTest(unittest.TestCase):
    def test_table(self):
        now = {"/index.html": "b", "/_dash-layout": "x", "/new.css": "n"}
        before = {"distributionId": "E1", "paths": {"/index.html": "a", "/_dash-layout": "x", "/gone.js": "g"}}
        cases = [
            ("create lists none: a new distribution has nothing cached", "create", None, []),
            ("update lists changed, new and removed", "update", before, ["/gone.js", "/index.html", "/new.css"]),
            ("update of an unchanged input lists none", "update", {"distributionId": "E1", "paths": now}, []),
            ("update onto another (new) distribution lists none", "update",
             {"distributionId": "E0", "paths": now}, []),
            ("delete lists none", "delete", before, []),
        ]
        for name, action, previous, want in cases:
            with self.subTest(name):
                self.assertEqual(invalidator.changed_paths(action, now, previous, "E1"), want)


@mock_aws
class HandlerTest(unittest.TestCase):
    def setUp(self):
        self.client = boto3.client("cloudfront", region_name="us-east-1")
        self.dist = distribution(self.client)

    def event(self, paths, action, previous=None):
        ev = {"distributionId": self.dist, "paths": paths, "tf": {"action": action}}
        if previous is not None:
            ev["tf"]["prev_input"] = previous
        return ev

    def test_create_invalidates_nothing(self):
        # The create runs right after the role's policy is made: calling CloudFront then races IAM.
        paths = {"/": "h1", "/index.html": "h1", "/_dash-layout": "h2"}
        with mock.patch.object(invalidator.boto3, "client", side_effect=AssertionError("no client on create")):
            result = invalidator.handler(self.event(paths, "create"), Context("r1"))
        self.assertEqual(result["invalidated"], [])
        self.assertEqual(invalidated(self.client, self.dist), [])

    def test_update_invalidates_only_changed_paths(self):
        before = {"distributionId": self.dist, "paths": {"/index.html": "h1", "/_dash-layout": "h2"}}
        now = {"/index.html": "h1", "/_dash-layout": "h3"}
        result = invalidator.handler(self.event(now, "update", before), Context("r2"))
        self.assertEqual(result["invalidated"], ["/_dash-layout"])
        self.assertEqual(invalidated(self.client, self.dist), [["/_dash-layout"]])

    def test_prev_input_as_json_string_and_camel_case_key(self):
        ev = {"distributionId": self.dist, "paths": {"/a": "2"},
              "tf": {"action": "update", "prevInput": '{"distributionId": "%s", "paths": {"/a": "1"}}' % self.dist}}
        self.assertEqual(invalidator.handler(ev, Context("r3"))["invalidated"], ["/a"])

    def test_unchanged_update_and_delete_create_no_invalidation(self):
        same = {"distributionId": self.dist, "paths": {"/index.html": "h1"}}
        self.assertEqual(invalidator.handler(self.event(same["paths"], "update", same), Context("r4"))["invalidated"], [])
        self.assertEqual(invalidator.handler(self.event(same["paths"], "delete", same), Context("r5"))["invalidated"], [])
        self.assertEqual(invalidated(self.client, self.dist), [])

    def test_many_paths_become_one_wildcard(self):
        paths = {"/f%d" % i: "h" for i in range(invalidator.MAX_PATHS + 1)}
        before = {"distributionId": self.dist, "paths": {}}
        result = invalidator.handler(self.event(paths, "update", before), Context("r6"))
        self.assertEqual(result["invalidated"], ["/*"])
        self.assertEqual(result["changed"], invalidator.MAX_PATHS + 1)
        self.assertEqual(invalidated(self.client, self.dist), [["/*"]])

    def test_repeated_change_gets_a_new_invalidation(self):
        a = {"distributionId": self.dist, "paths": {"/x": "A"}}
        b = {"distributionId": self.dist, "paths": {"/x": "B"}}
        invalidator.handler(self.event(b["paths"], "update", a), Context("r7"))
        invalidator.handler(self.event(a["paths"], "update", b), Context("r8"))
        invalidator.handler(self.event(b["paths"], "update", a), Context("r9"))
        self.assertEqual(len(invalidated(self.client, self.dist)), 3)

    def test_missing_distribution_id_is_an_error(self):
        with self.assertRaisesRegex(ValueError, "distributionId"):
            invalidator.handler({"paths": {"/a": "1"}, "tf": {"action": "create"}}, Context("r10"))


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
    def run_update(self, stub, seconds_left):
        slept = []
        event = {"distributionId": "E1", "paths": {"/index.html": "b"},
                 "tf": {"action": "update", "prev_input": {"distributionId": "E1", "paths": {"/index.html": "a"}}}}
        with mock.patch.object(invalidator.boto3, "client", return_value=stub), \
                mock.patch.object(invalidator, "sleep", side_effect=slept.append), \
                contextlib.redirect_stdout(io.StringIO()):
            try:
                return invalidator.handler(event, Context("r", seconds_left)), slept
            except ClientError as err:
                return err, slept

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
                stub = StubClient(failures)
                result, slept = self.run_update(stub, seconds)
                self.assertEqual(slept, want_delays)
                if want_attempts:
                    self.assertEqual(result["attempts"], want_attempts)
                    self.assertEqual(result["invalidated"], ["/index.html"])
                else:
                    self.assertIsInstance(result, ClientError)
                    self.assertEqual(stub.calls, 1)


if __name__ == "__main__":
    unittest.main()
