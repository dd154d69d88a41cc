"""Lambda@Edge origin-request handler that signs requests for a Lambda function URL (AuthType AWS_IAM).

CloudFront runs this in front of the server function's URL, on an origin-request trigger with include body.
It points Host at the function URL (which routes by Host), keeps the viewer's host in X-Forwarded-Host, and
signs the whole request with SigV4 (service "lambda") using this function's own role credentials, which
Lambda puts in the process environment even though Lambda@Edge allows no configured variables.

Standard library only: Lambda@Edge has no layers, and a hand-written signer avoids importing botocore on
every cold start.
"""

import base64
import functools
import hashlib
import hmac
import os
import re
from datetime import datetime, timezone
from urllib.parse import quote, unquote_to_bytes

SERVICE = "lambda"

# <url-id>.lambda-url.<region>.on.aws is the only host shape a function URL has.
_FUNCTION_URL_HOST = re.compile(r"^[a-z0-9]+\.lambda-url\.([a-z0-9-]+)\.on\.aws$")

# Signed headers, with the casing we send them in. Only headers CloudFront leaves alone after this function
# runs: it appends to X-Forwarded-For, sets Via and Accept-Encoding, and adds X-Amz-Cf-Id, so signing any of
# those would break the signature. The body is covered through X-Amz-Content-Sha256.
_HEADER_KEYS = {
    "host": "Host",
    "x-amz-content-sha256": "X-Amz-Content-Sha256",
    "x-amz-date": "X-Amz-Date",
    "x-amz-security-token": "X-Amz-Security-Token",
}
# The 413 answer (embed.go's BodyTooLarge repeats it for the preview).
BODY_TOO_LARGE = ("Request body too large: the Lambda@Edge signer (originAuth \"edge\") reads at most 1 MB; "
                  "deploy with originAuth \"oac\" for bodies up to 6 MB.\n")
# Headers this function owns: copies sent by the viewer are dropped so they cannot ride along.
_OWNED_HEADERS = ("authorization", "x-amz-content-sha256", "x-amz-date", "x-amz-security-token")


def utcnow():
    """The signing clock; tests replace it."""
    return datetime.now(timezone.utc)


class SignerError(Exception):
    """A deployment mistake that makes signing impossible; the viewer gets a 502 and the log gets this."""


def handler(event, context=None):
    request = event["Records"][0]["cf"]["request"]
    body = request.get("body") or {}
    if body.get("inputTruncated"):
        # CloudFront hands Lambda@Edge at most 1 MB of body; a signature over part of it can never verify,
        # and forwarding a cut-off body would be worse.
        return _response("413", "Payload Too Large", BODY_TOO_LARGE)
    try:
        sign(request, os.environ, utcnow())
    except SignerError as err:
        print(f"edgesigner: {err}")
        return _response("502", "Bad Gateway", "Bad gateway: the edge signer cannot sign requests for this origin.\n")
    return request


def sign(request, env, now):
    """Rewrites Host and adds X-Amz-Date, X-Amz-Security-Token, X-Amz-Content-Sha256 and Authorization."""
    origin = (request.get("origin") or {}).get("custom")
    if not origin:
        raise SignerError("the origin is not a custom origin; attach this function only to the behaviors "
                          "whose origin is the server's Lambda function URL")
    domain = origin.get("domainName", "").lower().rstrip(".")
    region = region_of(domain)
    access_key, secret = env.get("AWS_ACCESS_KEY_ID"), env.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret:
        raise SignerError("AWS_ACCESS_KEY_ID or AWS_SECRET_ACCESS_KEY is missing from the environment; "
                          "the function needs an execution role")
    token = env.get("AWS_SESSION_TOKEN")

    headers = request.setdefault("headers", {})
    viewer_host = _first(headers, "host")
    # When the origin request policy forwards Host, the event carries the viewer's host; otherwise it already
    # holds the origin domain and X-Forwarded-Host (if any) was set earlier, e.g. by a viewer-request function.
    if viewer_host and viewer_host.lower() != domain:
        headers["x-forwarded-host"] = [{"key": "X-Forwarded-Host", "value": viewer_host}]
    for name in _OWNED_HEADERS:
        headers.pop(name, None)

    # Send the path and query in the one spelling that every reading agrees on (see wire_path, wire_query),
    # so the function URL canonicalises exactly what was signed.
    request["uri"] = wire_path(request["uri"])
    request["querystring"] = wire_query(request.get("querystring", ""))

    amz_date = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    payload_hash = hashlib.sha256(body_bytes(request.get("body"))).hexdigest()
    signed = {"host": domain, "x-amz-content-sha256": payload_hash, "x-amz-date": amz_date}
    if token:
        signed["x-amz-security-token"] = token
    names = sorted(signed)
    signed_headers = ";".join(names)
    canonical_request = "\n".join([
        request["method"].upper(),
        canonical_path(origin.get("path", "") + request["uri"]),
        canonical_query(request.get("querystring", "")),
        "".join(f"{name}:{signed[name]}\n" for name in names),
        signed_headers,
        payload_hash,
    ])
    scope = f"{amz_date[:8]}/{region}/{SERVICE}/aws4_request"
    string_to_sign = "\n".join([
        "AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical_request.encode("utf-8")).hexdigest(),
    ])
    key = _signing_key(secret, amz_date[:8], region)
    signature = hmac.new(key, string_to_sign.encode("utf-8"), hashlib.sha256).hexdigest()

    for name in names:
        headers[name] = [{"key": _HEADER_KEYS[name], "value": signed[name]}]
    headers["authorization"] = [{"key": "Authorization", "value": (
        f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
        f"SignedHeaders={signed_headers}, Signature={signature}")}]
    return request


def region_of(domain):
    match = _FUNCTION_URL_HOST.match(domain)
    if not match:
        raise SignerError(f"origin domain {domain!r} is not a Lambda function URL "
                          "(<id>.lambda-url.<region>.on.aws); point the origin at the function URL's host")
    return match.group(1)


def body_bytes(body):
    """The raw request body; an absent body (include body off) counts as empty."""
    if not body or not body.get("data"):
        return b""
    if body.get("encoding") == "base64":
        return base64.b64decode(body["data"])
    return body["data"].encode("utf-8")


# RFC 3986 unreserved characters: the only ones SigV4 leaves unencoded.
_UNRESERVED = frozenset(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.~")
_HEX = frozenset(b"0123456789abcdefABCDEF")


def wire_path(uri):
    """The viewer's path with every byte but unreserved ones, "/" and existing %XX escapes percent-encoded.

    AWS SDKs never send a raw "(" or "'": they encode the path before signing it, so the service reads the
    wire path as encoded once. How a function URL would read a raw reserved character is not documented, so
    it is never sent one. The app decodes "%28" and "(" alike.
    """
    raw, out, i = uri.encode("utf-8"), [], 0
    while i < len(raw):
        c = raw[i]
        if c == 0x25 and i + 2 < len(raw) and raw[i + 1] in _HEX and raw[i + 2] in _HEX:
            out.append(b"%" + raw[i + 1:i + 3].upper())
            i += 3
            continue
        out.append(bytes([c]) if c in _UNRESERVED or c == 0x2F else b"%%%02X" % c)
        i += 1
    return b"".join(out).decode("ascii")


def wire_query(querystring):
    """The query with each name and value decoded and strictly re-encoded, in the viewer's order.

    Uncertain ground: how a function URL canonicalises a raw "+" is not documented, and signers disagree
    (the AWS SDKs for Go and Java decode it as a space, the JavaScript SDK keeps a plus, botocore signs the
    raw text as it is). Sending a raw "+" would bet on one of them. Instead "+" is read the way the app reads
    it (form encoding: a space) and sent as "%20", a literal plus arrives as "%2B" and stays one, and the
    query on the wire has no character whose meaning is in doubt. A part without "=" keeps that shape.
    """
    parts = []
    for part in querystring.split("&"):
        if part:
            name, eq, value = part.partition("=")
            parts.append(_encode_query_part(name) + eq + _encode_query_part(value))
    return "&".join(parts)


def canonical_path(path):
    """SigV4 canonical URI for services other than S3, as botocore computes it.

    The path is the one on the wire (already percent-encoded). Empty and "." segments are dropped, ".." pops
    one, then the whole path is percent-encoded again: AWS expects non-S3 paths encoded twice, so "%20" on the
    wire signs as "%2520" and a raw "(" signs as "%28".
    """
    segments = []
    for segment in path.split("/"):
        if segment == "..":
            if segments:
                segments.pop()
        elif segment and segment != ".":
            segments.append(segment)
    normalized = "/" + "/".join(segments)
    if segments and path.endswith("/"):
        normalized += "/"
    return quote(normalized, safe="/~")


def canonical_query(querystring):
    """SigV4 canonical query: each name and value decoded, strictly re-encoded, pairs sorted.

    "+" decodes to a space (see wire_query: the query is sent that way too); "%2B" stays a plus. Bytes that
    are not UTF-8 survive because decoding works on bytes.
    """
    pairs = []
    for part in querystring.split("&"):
        if part:
            name, _, value = part.partition("=")
            pairs.append((_encode_query_part(name), _encode_query_part(value)))
    pairs.sort()
    return "&".join(f"{name}={value}" for name, value in pairs)


def _encode_query_part(text):
    return quote(unquote_to_bytes(text.replace("+", " ")), safe="-_.~")


@functools.lru_cache(maxsize=8)
def _signing_key(secret, date, region):
    key = ("AWS4" + secret).encode("utf-8")
    for part in (date, region, SERVICE, "aws4_request"):
        key = hmac.new(key, part.encode("utf-8"), hashlib.sha256).digest()
    return key


def _first(headers, name):
    values = headers.get(name)
    return values[0].get("value", "") if values else ""


def _response(status, description, text):
    return {
        "status": status,
        "statusDescription": description,
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "text/plain; charset=utf-8"}],
            "cache-control": [{"key": "Cache-Control", "value": "no-store"}],
        },
        "bodyEncoding": "text",
        "body": text,
    }
