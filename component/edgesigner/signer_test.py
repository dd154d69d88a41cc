"""Tests for signer.py: every signature is checked against botocore's own SigV4Auth for service "lambda".

Run from this folder: python3 -B -m unittest -v signer_test (go test ./component/edgesigner/ does this).
"""

import base64
import copy
import hashlib
import json
import os
import sys
import unittest
from datetime import datetime, timezone
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import signer  # noqa: E402
from botocore.auth import SigV4Auth  # noqa: E402
from botocore.awsrequest import AWSRequest  # noqa: E402
from botocore.credentials import Credentials  # noqa: E402

FROZEN = datetime(2025, 3, 14, 15, 9, 26, tzinfo=timezone.utc)
DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.eu-west-1.on.aws"
VIEWER_HOST = "dash.example.com"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
TOKEN = "IQoJb3JpZ2luX2VjEXAMPLE//token+with/slashes=="
ALL_SIGNED = "host;x-amz-content-sha256;x-amz-date;x-amz-security-token"


def cf_event(method="GET", uri="/", querystring="", body=None, domain=DOMAIN, origin_path="",
             host=VIEWER_HOST, extra_headers=None):
    """A CloudFront origin-request event as Lambda@Edge receives it (include body on unless body is None)."""
    headers = {
        "host": [{"key": "Host", "value": host}],
        "user-agent": [{"key": "User-Agent", "value": "Mozilla/5.0"}],
        "x-forwarded-for": [{"key": "X-Forwarded-For", "value": "203.0.113.178"}],
        "via": [{"key": "Via", "value": "2.0 2afae0d44e2540f472c0635ab62c232b.cloudfront.net (CloudFront)"}],
        "accept-encoding": [{"key": "Accept-Encoding", "value": "gzip, br"}],
        "cloudfront-forwarded-proto": [{"key": "CloudFront-Forwarded-Proto", "value": "https"}],
    }
    headers.update(extra_headers or {})
    request = {
        "clientIp": "203.0.113.178",
        "method": method,
        "uri": uri,
        "querystring": querystring,
        "headers": headers,
        "origin": {"custom": {
            "customHeaders": {}, "domainName": domain, "keepaliveTimeout": 5, "path": origin_path,
            "port": 443, "protocol": "https", "readTimeout": 30, "sslProtocols": ["TLSv1.2"],
        }},
    }
    if body is not None:
        request["body"] = body
    return {"Records": [{"cf": {"config": {"distributionDomainName": "d111111abcdef8.cloudfront.net",
                                           "distributionId": "EDFDVBD6EXAMPLE", "eventType": "origin-request",
                                           "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_EXAMPLE=="},
                                "request": request}}]}


def b64_body(raw):
    return {"inputTruncated": False, "action": "read-only", "encoding": "base64",
            "data": base64.b64encode(raw).decode("ascii")}


def run_handler(event, token=TOKEN, env=None):
    if env is None:
        env = {"AWS_ACCESS_KEY_ID": ACCESS_KEY, "AWS_SECRET_ACCESS_KEY": SECRET_KEY}
        if token:
            env["AWS_SESSION_TOKEN"] = token
    with mock.patch.dict(os.environ, env, clear=True), mock.patch.object(signer, "utcnow", return_value=FROZEN):
        return signer.handler(event, None)


def botocore_headers(method, path, params, raw_body, domain=DOMAIN, region="eu-west-1", token=TOKEN):
    """Signs the same logical request with botocore. The path is the wire form; params are decoded pairs, so
    botocore (not signer.py) decides how they are canonically encoded."""
    auth = SigV4Auth(Credentials(ACCESS_KEY, SECRET_KEY, token), "lambda", region)
    request = AWSRequest(method=method, url=f"https://{domain}{path}", params=params, data=raw_body)
    # botocore hashes the body itself here; signing X-Amz-Content-Sha256 is what the function URL requires.
    request.headers["X-Amz-Content-SHA256"] = auth.payload(request)
    with mock.patch("botocore.auth.get_current_datetime", return_value=FROZEN.replace(tzinfo=None)):
        auth.add_auth(request)
    return request.headers


def header(request, name):
    values = request["headers"].get(name)
    return values[0]["value"] if values else None


# name, event keyword arguments, then the same request as botocore sees it: wire path, decoded params, raw body.
BINARY = bytes(range(256)) * 3
JSON_BODY = json.dumps({"output": "graph.figure", "inputs": [{"id": "slider", "value": 7}],
                        "changedPropIds": ["slider.value"], "text": "caf\u00e9 \u2713"}).encode("utf-8")
SIGNING_CASES = [
    ("GET root, include body off", dict(uri="/"), "/", [], b""),
    ("GET with empty include-body", dict(uri="/_dash-layout", body=b64_body(b"")), "/_dash-layout", [], b""),
    ("GET query with repeats and encodings", dict(
        uri="/_favicon.ico",
        querystring=("v=4.3.0&b=2&a=1&a=0&q=hello%20world&sym=%2B%26%3D%2f&plus=a+b&utf=%C3%A9&tilde=~x"
                     "&star=*&paren=(x)&empty=&flag&Z=upper"),
        body=b64_body(b"")),
     "/_favicon.ico",
     [("v", "4.3.0"), ("b", "2"), ("a", "1"), ("a", "0"), ("q", "hello world"), ("sym", "+&=/"),
      ("plus", "a b"), ("utf", "\u00e9"), ("tilde", "~x"), ("star", "*"), ("paren", "(x)"), ("empty", ""),
      ("flag", ""), ("Z", "upper")],
     b""),
    ("GET asset with float query", dict(uri="/assets/style.css", querystring="m=1712345678.123456"),
     "/assets/style.css", [("m", "1712345678.123456")], b""),
    ("POST JSON callback", dict(
        method="POST", uri="/_dash-update-component", body=b64_body(JSON_BODY),
        extra_headers={"content-type": [{"key": "Content-Type", "value": "application/json"}]}),
     "/_dash-update-component", [], JSON_BODY),
    ("POST binary body", dict(method="POST", uri="/upload", body=b64_body(BINARY)), "/upload", [], BINARY),
    ("POST empty body", dict(method="POST", uri="/_dash-update-component", body=b64_body(b"")),
     "/_dash-update-component", [], b""),
    ("POST text-encoded body", dict(
        method="POST", uri="/form", body={"inputTruncated": False, "action": "read-only", "encoding": "text",
                                          "data": "name=Ada+Lovelace&city=Z\u00fcrich"}),
     "/form", [], "name=Ada+Lovelace&city=Z\u00fcrich".encode("utf-8")),
    ("PUT and lower-case method", dict(method="put", uri="/api/item/7", body=b64_body(b"{}")),
     "/api/item/7", [], b"{}"),
    ("DELETE with query", dict(method="DELETE", uri="/api/item/7", querystring="force=true",
                               body=b64_body(b"")), "/api/item/7", [("force", "true")], b""),
    ("percent-encoded path", dict(uri="/assets/caf%C3%A9%20menu%2Bx/%28a%29%3D.css"),
     "/assets/caf%C3%A9%20menu%2Bx/%28a%29%3D.css", [], b""),
    ("raw reserved characters in path", dict(uri="/pages/(group)/it's!*@:$,;=+.txt"),
     "/pages/%28group%29/it%27s%21%2A%40%3A%24%2C%3B%3D%2B.txt", [], b""),
    ("path with dot and empty segments", dict(uri="/a/./b//c/../d/"), "/a/./b//c/../d/", [], b""),
    ("fingerprinted component suite", dict(
        uri="/_dash-component-suites/dash/deps/react@18.v4_3_0m1712345678.3.1.min.js"),
     "/_dash-component-suites/dash/deps/react%4018.v4_3_0m1712345678.3.1.min.js", [], b""),
    ("origin path prefix", dict(uri="/_dash-layout", origin_path="/prod"), "/prod/_dash-layout", [], b""),
]


class SignatureMatchesBotocore(unittest.TestCase):
    def check(self, event_kwargs, path, params, raw_body, token, domain=DOMAIN, region="eu-west-1"):
        event = cf_event(domain=domain, **event_kwargs)
        result = run_handler(event, token=token)
        self.assertIs(result, event["Records"][0]["cf"]["request"], "handler must return the request")
        want = botocore_headers(event_kwargs.get("method", "GET").upper(), path, params, raw_body,
                                domain=domain, region=region, token=token)
        self.assertEqual(header(result, "x-amz-date"), want["X-Amz-Date"])
        self.assertEqual(header(result, "x-amz-content-sha256"), want["X-Amz-Content-SHA256"])
        self.assertEqual(header(result, "x-amz-content-sha256"), hashlib.sha256(raw_body).hexdigest())
        self.assertEqual(header(result, "authorization"), want["Authorization"])
        self.assertEqual(header(result, "x-amz-security-token"), want.get("X-Amz-Security-Token"))
        return result

    def test_cases_with_and_without_session_token(self):
        for name, kwargs, path, params, raw_body in SIGNING_CASES:
            for token in (TOKEN, None):
                with self.subTest(case=name, token=bool(token)):
                    result = self.check(kwargs, path, params, raw_body, token)
                    want_signed = ALL_SIGNED if token else "host;x-amz-content-sha256;x-amz-date"
                    self.assertIn(f"SignedHeaders={want_signed},", header(result, "authorization"))

    def test_plus_and_parenthesis_are_sent_as_signed(self):
        # How a function URL canonicalises a raw "+" or "(" is not documented: the signer sends neither, so
        # what goes out has one reading, and botocore signs that very request (path and params as sent).
        cases = [
            # name, uri, query, sent uri, sent query, botocore params
            ("plus in a query is a space", "/search", "q=a+b", "/search", "q=a%20b", [("q", "a b")]),
            ("encoded plus stays a plus", "/search", "q=a%2Bb", "/search", "q=a%2Bb", [("q", "a+b")]),
            ("order kept, only the signature sorts", "/s", "z=1&a=(x)&flag", "/s", "z=1&a=%28x%29&flag",
             [("z", "1"), ("a", "(x)"), ("flag", "")]),
            ("parenthesis in the path", "/pages/(group)/x", "", "/pages/%28group%29/x", "", []),
            ("escapes kept, upper-cased", "/a%2fb%c3%a9", "", "/a%2Fb%C3%A9", "", []),
            ("stray percent encoded", "/100%", "p=5%", "/100%25", "p=5%25", [("p", "5%")]),
        ]
        for name, uri, query, sent_uri, sent_query, params in cases:
            with self.subTest(name):
                result = self.check(dict(uri=uri, querystring=query), sent_uri, params, b"", TOKEN)
                self.assertEqual(result["uri"], sent_uri)
                self.assertEqual(result["querystring"], sent_query)
        self.assertEqual(signer.canonical_query("q=a+b"), "q=a%20b")
        self.assertEqual(signer.canonical_query("q=a%2Bb"), "q=a%2Bb")
        self.assertEqual(signer.canonical_path("/pages/%28group%29"), "/pages/%2528group%2529")

    def test_regions(self):
        for region in ("us-east-1", "eu-west-1", "ap-southeast-2", "us-gov-west-1", "il-central-1",
                       "ca-central-1"):
            with self.subTest(region=region):
                domain = f"k3xq9ztr0b2m7w4c5n6v8l1p0s2d4f6g.lambda-url.{region}.on.aws"
                result = self.check(dict(method="POST", uri="/_dash-update-component",
                                         body=b64_body(JSON_BODY)),
                                    "/_dash-update-component", [], JSON_BODY, TOKEN, domain=domain,
                                    region=region)
                self.assertIn(f"/{region}/lambda/aws4_request,", header(result, "authorization"))

    def test_a_changed_body_no_longer_matches(self):
        # Guards the comparison itself: botocore over a different body must disagree with the handler.
        event = cf_event(method="POST", uri="/x", body=b64_body(b'{"a":1}'))
        result = run_handler(event)
        other = botocore_headers("POST", "/x", [], b'{"a":2}')
        self.assertNotEqual(header(result, "authorization"), other["Authorization"])

    def test_request_otherwise_intact(self):
        event = cf_event(method="POST", uri="/_dash-update-component", querystring="b=2&a=1",
                         body=b64_body(JSON_BODY),
                         extra_headers={"content-type": [{"key": "Content-Type", "value": "application/json"}]})
        before = copy.deepcopy(event["Records"][0]["cf"]["request"])
        after = run_handler(event)
        added = {"host", "x-forwarded-host", "authorization", "x-amz-date", "x-amz-content-sha256",
                 "x-amz-security-token"}
        for key in before:
            if key != "headers":
                self.assertEqual(after[key], before[key], key)
        self.assertEqual({k: v for k, v in after["headers"].items() if k not in added},
                         {k: v for k, v in before["headers"].items() if k not in added})
        self.assertEqual(set(after["headers"]) - set(before["headers"]),
                         added - {"host"})

    def test_header_shape(self):
        result = run_handler(cf_event(uri="/"))
        for name, key in (("host", "Host"), ("x-forwarded-host", "X-Forwarded-Host"),
                          ("authorization", "Authorization"), ("x-amz-date", "X-Amz-Date"),
                          ("x-amz-content-sha256", "X-Amz-Content-Sha256"),
                          ("x-amz-security-token", "X-Amz-Security-Token")):
            with self.subTest(header=name):
                values = result["headers"][name]
                self.assertEqual(len(values), 1)
                self.assertEqual(values[0]["key"], key)
                self.assertIsInstance(values[0]["value"], str)

    def test_viewer_supplied_auth_headers_are_replaced(self):
        spoofed = {name: [{"key": name, "value": "from-viewer"}]
                   for name in ("authorization", "x-amz-date", "x-amz-content-sha256", "x-amz-security-token")}
        result = run_handler(cf_event(uri="/", extra_headers=spoofed), token=None)
        self.assertNotIn("x-amz-security-token", result["headers"])
        for name in ("authorization", "x-amz-date", "x-amz-content-sha256"):
            self.assertNotEqual(header(result, name), "from-viewer", name)
        want = botocore_headers("GET", "/", [], b"", token=None)
        self.assertEqual(header(result, "authorization"), want["Authorization"])


class HostHeaders(unittest.TestCase):
    def test_viewer_host_moves_to_x_forwarded_host(self):
        result = run_handler(cf_event(uri="/"))
        self.assertEqual(header(result, "x-forwarded-host"), VIEWER_HOST)
        self.assertEqual(header(result, "host"), DOMAIN)

    def test_viewer_cannot_choose_x_forwarded_host(self):
        extra = {"x-forwarded-host": [{"key": "X-Forwarded-Host", "value": "evil.example"}]}
        result = run_handler(cf_event(uri="/", extra_headers=extra))
        self.assertEqual(header(result, "x-forwarded-host"), VIEWER_HOST)

    def test_host_already_origin_keeps_existing_forwarded_host(self):
        # Origin request policy without Host: the event already carries the origin domain.
        extra = {"x-forwarded-host": [{"key": "X-Forwarded-Host", "value": VIEWER_HOST}]}
        result = run_handler(cf_event(uri="/", host=DOMAIN, extra_headers=extra))
        self.assertEqual(header(result, "x-forwarded-host"), VIEWER_HOST)
        self.assertEqual(header(result, "host"), DOMAIN)
        result = run_handler(cf_event(uri="/", host=DOMAIN.upper()))
        self.assertNotIn("x-forwarded-host", result["headers"])
        self.assertEqual(header(result, "host"), DOMAIN)


class ErrorResponses(unittest.TestCase):
    def assert_generated(self, result, status):
        self.assertEqual(result["status"], status)
        self.assertTrue(result["statusDescription"])
        self.assertEqual(result["headers"]["content-type"][0]["value"], "text/plain; charset=utf-8")
        self.assertEqual(result["headers"]["cache-control"][0]["value"], "no-store")
        self.assertTrue(result["body"].strip())
        self.assertNotIn("uri", result)
        self.assertNotIn(SECRET_KEY, json.dumps(result))

    def test_truncated_body_is_413(self):
        body = b64_body(b"x" * 1024)
        body["inputTruncated"] = True
        self.assert_generated(run_handler(cf_event(method="POST", uri="/upload", body=body)), "413")

    def test_non_function_url_origins_are_502(self):
        for domain in ("example.com", "abc.execute-api.us-east-1.amazonaws.com", "abc.lambda-url.on.aws",
                       "bucket.s3.us-east-1.amazonaws.com", "abc.lambda-url.eu-west-1.on.aws.evil.example",
                       "evil.example/abc.lambda-url.eu-west-1.on.aws", ""):
            with self.subTest(domain=domain), mock.patch("builtins.print") as log:
                self.assert_generated(run_handler(cf_event(uri="/", domain=domain)), "502")
                self.assertIn("not a Lambda function URL", log.call_args[0][0])

    def test_s3_origin_is_502(self):
        event = cf_event(uri="/")
        event["Records"][0]["cf"]["request"]["origin"] = {"s3": {"domainName": "bucket.s3.amazonaws.com"}}
        with mock.patch("builtins.print"):
            self.assert_generated(run_handler(event), "502")

    def test_missing_credentials_is_502(self):
        with mock.patch("builtins.print") as log:
            self.assert_generated(run_handler(cf_event(uri="/"), env={}), "502")
        self.assertIn("AWS_ACCESS_KEY_ID", log.call_args[0][0])


class RegionParsing(unittest.TestCase):
    def test_regions(self):
        for domain, region in (
            ("abc123.lambda-url.eu-west-1.on.aws", "eu-west-1"),
            ("abc123.lambda-url.us-east-1.on.aws", "us-east-1"),
            ("abc123.lambda-url.ap-northeast-3.on.aws", "ap-northeast-3"),
            ("abc123.lambda-url.us-gov-west-1.on.aws", "us-gov-west-1"),
            ("abc123.lambda-url.me-central-1.on.aws", "me-central-1"),
        ):
            with self.subTest(domain=domain):
                self.assertEqual(signer.region_of(domain), region)

    def test_domain_is_normalised_before_parsing(self):
        event = cf_event(uri="/", domain="ABC123.Lambda-Url.US-WEST-2.on.aws.")
        result = run_handler(event)
        self.assertEqual(header(result, "host"), "abc123.lambda-url.us-west-2.on.aws")
        self.assertIn("/us-west-2/lambda/aws4_request,", header(result, "authorization"))

    def test_rejects_other_hosts(self):
        for domain in ("example.com", "abc.lambda-url.eu-west-1.on.aws.evil.example", "lambda-url.eu-west-1.on.aws"):
            with self.subTest(domain=domain):
                with self.assertRaises(signer.SignerError):
                    signer.region_of(domain)


if __name__ == "__main__":
    unittest.main()
