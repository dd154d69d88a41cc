"""OpenDash server function: the request/response path (shipped as opendash_wsgi.py, beside the handler).

A function URL event (payload format 2.0) becomes a WSGI environ: the public host from CloudFront's
x-forwarded-host, the viewer's Authorization back from x-forwarded-authorization, the sign-in's identity
headers only when the component vouches for them, the browser's paths mapped onto the app's Flask routes. The
app's WSGI answer becomes the function URL response: cookies kept apart, text bodies gzipped for viewers
that accept it, Lambda's 6 MB cap checked. Standard library only.
"""
import base64
import binascii
import gzip
import io
import json
import os
import re
import sys
import traceback
from urllib.parse import unquote_to_bytes, urlsplit

# Lambda caps a buffered response at 6 MB; the JSON envelope needs a little room.
MAX_RESPONSE_BODY = 6 * 1024 * 1024 - 16 * 1024
# Smaller bodies gain too little from gzip to pay for it (a TCP packet holds ~1400 bytes).
MIN_GZIP_BYTES = 1024

_HOST_RE = re.compile(r"^[A-Za-z0-9.-]+(:[0-9]{1,5})?$|^\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?$")
_METHOD_RE = re.compile(r"^[A-Z]{1,16}$")
_HEADER_NAME_RE = re.compile(r"^[A-Za-z0-9-]+$")
_TEXT_TYPES = {"application/json", "application/javascript", "application/xml", "application/x-javascript",
               "application/x-www-form-urlencoded", "application/ecmascript"}

# Written beside the handler by open-dash when the app's requests_pathname_prefix differs from its
# routes_pathname_prefix: browsers request one, Flask listens on the other, and CloudFront plus the
# handler are the proxy that maps one onto the other.
PREFIX_FILE = "opendash-routes.json"

# X-OpenDash-User-Email, -Groups, -Subject: the signed-in user, set by the OIDC sign-in at the edge after it
# deleted any copy the viewer sent. The component sets this variable only with auth.oidc; otherwise nothing
# vouches for such headers, and the app never sees them.
IDENTITY_ENV = "OPENDASH_IDENTITY_HEADERS"


class BadEvent(Exception):
    """The event is not a function URL request we can serve (answered 400)."""


def read_prefix_rewrite(folder):
    """(requests prefix, routes prefix) from folder's PREFIX_FILE, or None (no file, or not two paths)."""
    try:
        with open(os.path.join(folder, PREFIX_FILE), encoding="utf-8") as fh:
            cfg = json.load(fh)
        rewrite = (cfg["requestsPathnamePrefix"], cfg["routesPathnamePrefix"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return rewrite if all(isinstance(p, str) and p.startswith("/") for p in rewrite) else None


def _field(obj, key, kind, default):
    value = obj.get(key, default)
    if value is None:
        value = default
    if not isinstance(value, kind):
        raise BadEvent("%s must be of type %s" % (key, kind.__name__))
    return value


def environ(event, prefix_rewrite=None):
    """The WSGI environ of a function URL event; prefix_rewrite is read_prefix_rewrite's. Raises BadEvent."""
    if not isinstance(event, dict):
        raise BadEvent("the event is not a JSON object")
    ctx = _field(event, "requestContext", dict, {})
    http = _field(ctx, "http", dict, {})
    method = _field(http, "method", str, "")
    if not _METHOD_RE.match(method):
        raise BadEvent("requestContext.http.method is missing or invalid")
    raw_path = _field(event, "rawPath", str, "")
    if not raw_path.startswith("/"):
        raise BadEvent("rawPath is missing or does not start with /")
    query = _field(event, "rawQueryString", str, "")
    headers = _field(event, "headers", dict, {})
    cookies = _field(event, "cookies", list, [])
    body = _field(event, "body", str, "")
    is_b64 = event.get("isBase64Encoded", False)
    if not isinstance(is_b64, bool):
        raise BadEvent("isBase64Encoded must be a boolean")
    lower = {}
    for name, value in headers.items():
        if not isinstance(name, str) or not isinstance(value, str):
            raise BadEvent("headers must map strings to strings")
        lower[name.lower()] = value
    if not all(isinstance(c, str) for c in cookies):
        raise BadEvent("cookies must be a list of strings")
    try:
        data = base64.b64decode(body, validate=True) if is_b64 else body.encode("utf-8")
        # WSGI wants PATH_INFO percent-decoded, as bytes carried in a latin-1 str (PEP 3333).
        path_info = unquote_to_bytes(raw_path).decode("latin-1")
        if prefix_rewrite and path_info.startswith(prefix_rewrite[0]):
            path_info = prefix_rewrite[1] + path_info[len(prefix_rewrite[0]):]
        query = _latin1(query)
        raw_uri = _latin1(raw_path) + ("?" + query if query else "")
    except (binascii.Error, ValueError):
        raise BadEvent("the body, rawPath or rawQueryString cannot be decoded")

    host = _public_host(lower, ctx)
    # Behind CloudFront and a function URL this is always https; `open-dash preview` serves plain http.
    scheme = lower.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    if scheme not in ("http", "https"):
        scheme = "https"
    server_name, port = _split_host(host, "443" if scheme == "https" else "80")
    out = {
        "REQUEST_METHOD": method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path_info,
        "QUERY_STRING": query,
        "RAW_URI": raw_uri,
        "REQUEST_URI": raw_uri,
        "SERVER_NAME": server_name,
        "SERVER_PORT": port,
        "SERVER_PROTOCOL": _str(http.get("protocol"), "HTTP/1.1"),
        "REMOTE_ADDR": _str(http.get("sourceIp"), "127.0.0.1"),
        "CONTENT_TYPE": lower.pop("content-type", ""),
        "CONTENT_LENGTH": str(len(data)) if data else "",
        "HTTP_HOST": host,
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": scheme,
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    cookie_parts = list(cookies)
    if lower.get("cookie"):
        cookie_parts.append(lower["cookie"])
    # Authorization at a function URL is AWS's signature (the edge signer's or CloudFront's OAC), never the
    # viewer's: CloudFront's viewer-request function moved the viewer's to x-forwarded-authorization, and the
    # app (dash-auth's BasicAuth, a before_request check) gets that one back as its Authorization.
    viewer_auth = lower.pop("x-forwarded-authorization", None)
    lower.pop("authorization", None)
    if viewer_auth:
        lower["authorization"] = viewer_auth
    _drop_untrusted_identity(lower)
    for name, value in lower.items():
        if name in ("host", "content-length", "cookie") or not _HEADER_NAME_RE.match(name):
            continue  # names with "_" would alias real headers once dashes become underscores
        out["HTTP_" + name.upper().replace("-", "_")] = value
    if cookie_parts:
        out["HTTP_COOKIE"] = "; ".join(cookie_parts)
    return out


def _drop_untrusted_identity(headers):
    if os.environ.get(IDENTITY_ENV) != "oidc":
        for name in [n for n in headers if n.startswith("x-opendash-")]:
            del headers[name]


def _latin1(text):
    """A raw (still percent-encoded) URL part as WSGI carries it: its UTF-8 bytes in a latin-1 str."""
    return text.encode("utf-8").decode("latin-1")


def _str(value, default):
    return value if isinstance(value, str) and value else default


def _public_host(headers, ctx):
    """The host users see: CloudFront's x-forwarded-host, else DOMAIN_NAME, else the function URL's own."""
    domain = os.environ.get("DOMAIN_NAME", "")
    if "://" in domain:
        domain = urlsplit(domain).netloc
    for candidate in (headers.get("x-forwarded-host", "").split(",")[0], domain,
                      headers.get("host", ""), _str(ctx.get("domainName"), "")):
        candidate = candidate.strip()
        if candidate and _HOST_RE.match(candidate):
            return candidate
    return "localhost"


def _split_host(host, default_port):
    if host.startswith("["):
        name, _, rest = host[1:].partition("]")
        return name, rest[1:] if rest.startswith(":") else default_port
    name, _, port = host.partition(":")
    return name, port or default_port


def serve(app, env):
    """Runs one request through the WSGI app: its answer as the function URL response, 500 if it raises."""
    started = {}
    chunks = []

    def start_response(status, headers, exc_info=None):
        if exc_info and started.get("sent"):
            raise exc_info[1].with_traceback(exc_info[2])
        started["status"], started["headers"] = status, headers
        return chunks.append

    try:
        result = app(env, start_response)
        try:
            for chunk in result:
                if chunk:
                    started["sent"] = True
                    chunks.append(chunk)
        finally:
            if hasattr(result, "close"):
                result.close()
        if "status" not in started:
            raise RuntimeError("the WSGI app returned without calling start_response")
    except Exception:
        sys.stderr.write("open-dash: %s %s failed\n" % (env["REQUEST_METHOD"], env["PATH_INFO"]))
        traceback.print_exc()
        return error(500, "Internal Server Error")
    return response(started["status"], started["headers"], b"".join(chunks), env.get("HTTP_ACCEPT_ENCODING", ""))


def response(status, headers, body, accept_encoding=""):
    """The function URL response of a WSGI status line, header list and body."""
    out_headers, cookies = {}, []
    for name, value in headers:
        name = name.lower()
        if name == "set-cookie":
            cookies.append(value)  # never folded: commas are legal inside a cookie's Expires
        elif name in out_headers:
            out_headers[name] += ", " + value
        else:
            out_headers[name] = value
    code = int(status.split(" ", 1)[0])
    body = _maybe_gzip(code, out_headers, body, accept_encoding)
    text = None
    if _is_text(out_headers.get("content-type", "")) and "content-encoding" not in out_headers:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    encoded = text if text is not None else base64.b64encode(body).decode("ascii")
    if len(encoded) > MAX_RESPONSE_BODY:
        sys.stderr.write("open-dash: response of %d bytes exceeds Lambda's 6 MB limit\n" % len(body))
        return error(500, "response too large for AWS Lambda (%d bytes)" % len(body))
    resp = {"statusCode": code, "headers": out_headers, "body": encoded, "isBase64Encoded": text is None}
    if cookies:
        resp["cookies"] = cookies
    return resp


def _maybe_gzip(code, headers, body, accept_encoding):
    """Gzips a text body when the viewer accepts gzip and it pays; updates headers in place.

    The server behaviors use CloudFront's CachingDisabled policy, and CloudFront compresses only what it
    caches, so large figure JSON would otherwise travel raw. With both Accept-Encoding flags of the cache
    policy off, CloudFront forwards the viewer's Accept-Encoding like any header the origin request policy
    (AllViewerExceptHostHeader) names (https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_ParametersInCacheKeyAndForwardedToOrigin.html).
    """
    vary = headers.get("vary", "")
    if code in (204, 304) or "content-encoding" in headers or not _is_text(headers.get("content-type", "")):
        return body
    if "accept-encoding" not in vary.lower():  # the answer depends on it whether compressed or not
        headers["vary"] = vary + ", Accept-Encoding" if vary else "Accept-Encoding"
    if len(body) < MIN_GZIP_BYTES or not _accepts_gzip(accept_encoding):
        return body
    packed = gzip.compress(body, compresslevel=6, mtime=0)  # mtime 0: the same body gives the same bytes
    if len(packed) >= len(body):
        return body
    headers["content-encoding"] = "gzip"
    headers.pop("content-length", None)  # Lambda sets the length of what it sends
    etag = headers.get("etag")
    if etag and not etag.startswith("W/"):
        headers["etag"] = "W/" + etag  # the bytes differ from the identity representation's
    return packed


def _accepts_gzip(accept_encoding):
    """Whether Accept-Encoding allows gzip: named (or "*") with a q-value above zero."""
    allowed = {}
    for item in accept_encoding.lower().split(","):
        name, _, params = item.strip().partition(";")
        q = 1.0
        for param in params.split(";"):
            key, _, value = param.strip().partition("=")
            if key == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if name:
            allowed[name.strip()] = q
    if "gzip" in allowed:
        return allowed["gzip"] > 0
    return allowed.get("*", 0) > 0


def _is_text(content_type):
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime.startswith("image/"):
        return False
    return (mime.startswith("text/") or mime in _TEXT_TYPES or mime.endswith("+json")
            or mime.endswith("+xml"))


def error(status, message):
    """A JSON error response: {"error": message}."""
    return {"statusCode": status, "headers": {"content-type": "application/json"},
            "body": json.dumps({"error": message}), "isBase64Encoded": False}
