"""Tests for invalidator.py against moto's CloudFront; run by component/functions_test.go (go test)."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from moto import mock_aws  # noqa: E402

import invalidator  # noqa: E402


class Context:
    def __init__(self, request_id):
        self.aws_request_id = request_id


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
            ("create lists everything", "create", None, ["/_dash-layout", "/index.html", "/new.css"]),
            ("update lists changed, new and removed", "update", before, ["/gone.js", "/index.html", "/new.css"]),
            ("update of an unchanged input lists none", "update", {"distributionId": "E1", "paths": now}, []),
            ("update onto another distribution lists everything", "update",
             {"distributionId": "E0", "paths": now}, ["/_dash-layout", "/index.html", "/new.css"]),
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

    def test_create_invalidates_all_listed_paths(self):
        paths = {"/": "h1", "/index.html": "h1", "/_dash-layout": "h2"}
        result = invalidator.handler(self.event(paths, "create"), Context("r1"))
        self.assertEqual(result["invalidated"], ["/", "/_dash-layout", "/index.html"])
        self.assertEqual(invalidated(self.client, self.dist), [["/", "/_dash-layout", "/index.html"]])

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
        result = invalidator.handler(self.event(paths, "create"), Context("r6"))
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


if __name__ == "__main__":
    unittest.main()
