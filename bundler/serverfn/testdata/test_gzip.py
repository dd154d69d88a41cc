"""Tests of the server handler's response compression (opendash_wsgi.py's response). Run by python_test.go
with OPENDASH_INDEX_PY pointing at the handler written by serverfn.Write; reuses test_index.py's harness."""
import base64
import gzip
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from test_index import HandlerCase, event  # noqa: E402

GZIP_APP = '''
from flask import Flask, make_response

BIG_JSON = ('{"data": [' + ", ".join('{"x": %d, "y": %d}' % (i, i * i) for i in range(2000)) + ']}').encode()
NOISE = bytes((i * 7919 + 13) % 256 for i in range(50000))


class FakeDash:
    def __init__(self, server):
        self.server = server


def create_app():
    server = Flask(__name__)

    @server.post("/_dash-update-component")
    def update():
        return make_response(BIG_JSON, 200, {"Content-Type": "application/json", "ETag": '"v1"'})

    @server.get("/small")
    def small():
        return make_response(b'{"ok": true}', 200, {"Content-Type": "application/json"})

    @server.get("/binary")
    def binary():
        return make_response(NOISE, 200, {"Content-Type": "application/octet-stream"})

    @server.get("/png")
    def png():
        return make_response(b"\\x89PNG" + b"\\x00" * 20000, 200, {"Content-Type": "image/png"})

    @server.get("/already")
    def already():
        return make_response(b"x" * 5000, 200, {"Content-Type": "text/plain", "Content-Encoding": "br"})

    return FakeDash(server)
'''


class GzipTest(HandlerCase):
    APP_SOURCE = GZIP_APP

    def test_table(self):
        big = None
        cases = [
            # name, method, path, accept-encoding, want gzip
            ("large JSON, gzip accepted", "POST", "/_dash-update-component", "gzip, deflate, br", True),
            ("gzip with a q-value", "POST", "/_dash-update-component", "br;q=1.0, gzip;q=0.5", True),
            ("wildcard", "POST", "/_dash-update-component", "*", True),
            ("gzip refused with q=0", "POST", "/_dash-update-component", "gzip;q=0, *;q=1", False),
            ("no Accept-Encoding", "POST", "/_dash-update-component", None, False),
            ("only br", "POST", "/_dash-update-component", "br", False),
            ("small body", "GET", "/small", "gzip", False),
            ("binary body", "GET", "/binary", "gzip", False),
            ("image", "GET", "/png", "gzip", False),
            ("already encoded by the app", "GET", "/already", "gzip", False),
        ]
        for name, method, path, accept, want in cases:
            with self.subTest(name):
                headers = {"accept-encoding": accept} if accept is not None else {}
                resp = self.call(event(method=method, path=path, headers=headers, body="{}" if method == "POST" else None))
                self.assertEqual(resp["statusCode"], 200)
                got = resp["headers"].get("content-encoding") == "gzip"
                self.assertEqual(got, want, resp["headers"])
                if got:
                    self.assertTrue(resp["isBase64Encoded"])
                    raw = gzip.decompress(base64.b64decode(resp["body"]))
                    self.assertEqual(json.loads(raw)["data"][1999], {"x": 1999, "y": 1999 * 1999})
                    self.assertLess(len(base64.b64decode(resp["body"])), len(raw) // 3)
                    self.assertIn("Accept-Encoding", resp["headers"]["vary"])
                    self.assertEqual(resp["headers"]["etag"], 'W/"v1"')  # no longer the identity bytes
                    self.assertNotIn("content-length", resp["headers"])
                    if big is not None:
                        self.assertEqual(resp["body"], big, "the same body must compress to the same bytes")
                    big = resp["body"]
                elif path == "/_dash-update-component":
                    self.assertFalse(resp["isBase64Encoded"])
                    self.assertEqual(json.loads(resp["body"])["data"][0], {"x": 0, "y": 0})
                    self.assertIn("Accept-Encoding", resp["headers"]["vary"])
                elif path == "/binary":
                    self.assertEqual(len(base64.b64decode(resp["body"])), 50000)

    def test_accepts_gzip(self):
        for header, want in (("gzip", True), ("GZIP", True), ("x-gzip", False), ("gzip;q=0.0", False),
                             ("gzip;q=bad", False), ("identity", False), ("", False), ("*;q=0", False),
                             ("deflate, gzip ; q=0.1", True)):
            with self.subTest(header=header):
                self.assertEqual(sys.modules["opendash_wsgi"]._accepts_gzip(header), want)


if __name__ == "__main__":
    unittest.main()
