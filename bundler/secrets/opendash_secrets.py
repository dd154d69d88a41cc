"""OpenDash secrets: reads the secrets a DashSite names into os.environ when the function starts.

Shipped beside the server function's handler as opendash_secrets.py; the handler calls load() at Lambda
INIT, before it imports the app, so `os.environ["DATABASE_URL"]` works in the app as it does locally with
`open-dash preview --env-file`. The component sets OPENDASH_SECRETS to a JSON object naming, for each
environment variable, an ARN and optionally one key of a JSON value, never a value:

    {"DATABASE_URL": {"arn": "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf",
                      "jsonKey": "url"},
     "API_KEY": {"arn": "arn:aws:ssm:eu-west-1:123456789012:parameter/app/api-key"}}

Each is read once per instance with the function's own role (boto3 is in every Lambda Python image), from
the secret's own region. A read that fails raises SecretError naming the variable, the ARN and the cause,
never a value; the handler logs it and retries on the next request, reading only what is still missing.
Short timeouts make a function in a VPC without a route to the service (no NAT gateway, no VPC endpoint)
fail in seconds with the endpoint to create, instead of hanging until the function's timeout.
"""
import json
import os
import re
import sys
import time

ENV = "OPENDASH_SECRETS"

# A missing VPC endpoint shows as a connection that never opens: give up after a few seconds, well within the
# 10 s Lambda allows for INIT (the app's import needs its share). The timeouts are per attempt (the service
# answers in milliseconds); TOTAL_ATTEMPTS counts the first one.
CONNECT_TIMEOUT = 2
READ_TIMEOUT = 3
TOTAL_ATTEMPTS = 2

_ARN = re.compile(r"^arn:(aws[a-z-]*):(secretsmanager|ssm):([a-z0-9-]+):(\d{12}):(.+)$")
_SERVICES = {"secretsmanager": "Secrets Manager", "ssm": "SSM Parameter Store"}

_read = set()     # variables already read on this instance: a warm instance never reads them again
_clients = {}     # (service, region) -> boto3 client


class SecretError(Exception):
    """A secret could not be read; the message names the variable, the ARN and the cause, never a value."""


def load(environ=None):
    """Reads every secret OPENDASH_SECRETS names and not yet read into environ (os.environ by default).

    Returns how many were read now. Raises SecretError at the first one that fails; those read before it stay.
    """
    environ = os.environ if environ is None else environ
    spec = environ.get(ENV, "")
    if not spec:
        return 0
    refs = _parse(spec)
    pending = [name for name in sorted(refs) if name not in _read]
    if not pending:
        return 0
    started = time.perf_counter()
    for name in pending:
        value = _value(name, refs[name])
        try:
            environ[name] = value
        except ValueError:  # a NUL byte: no environment variable can hold it
            raise SecretError("%s: the value read from %s holds a NUL character, which no environment variable "
                              "can hold" % (name, refs[name]["arn"])) from None
        _read.add(name)
    sys.stderr.write("open-dash: read %d secret(s) into the environment in %.2f s: %s\n"
                     % (len(pending), time.perf_counter() - started, ", ".join(pending)))
    return len(pending)


def _parse(spec):
    try:
        refs = json.loads(spec)
    except ValueError:
        raise SecretError("%s is not JSON; it is set by the DashSite component from its `secrets` argument"
                          % ENV) from None
    if not isinstance(refs, dict):
        raise SecretError("%s must be a JSON object of variable name to {\"arn\", \"jsonKey\"}" % ENV)
    for name, ref in refs.items():
        if not isinstance(ref, dict) or not isinstance(ref.get("arn"), str) or \
                not isinstance(ref.get("jsonKey", ""), str):
            raise SecretError("%s: %s needs {\"arn\": \"...\"} and optionally a string \"jsonKey\"" % (ENV, name))
    return refs


def _value(name, ref):
    arn, key = ref["arn"], ref.get("jsonKey") or ""
    m = _ARN.match(arn)
    if not m:
        raise SecretError("%s: %r is neither a Secrets Manager secret's ARN nor an SSM parameter's ARN" % (name, arn))
    service, region = m.group(2), m.group(3)
    client = _client(service, region)
    try:
        if service == "secretsmanager":
            text = _secret_text(client.get_secret_value(SecretId=arn), name, arn)
        else:
            text = client.get_parameter(Name=arn, WithDecryption=True)["Parameter"]["Value"]
    except Exception as e:  # botocore's errors, caught by name: botocore is imported only on Lambda
        raise SecretError("%s: reading %s failed: %s" % (name, arn, _cause(e, client, service, region))) from None
    return _pick(text, key, name, arn) if key else text


def _secret_text(resp, name, arn):
    if "SecretString" in resp:
        return resp["SecretString"]
    try:
        return resp["SecretBinary"].decode("utf-8")
    except (KeyError, AttributeError, UnicodeDecodeError):
        raise SecretError("%s: %s holds binary data that is not UTF-8 text, which an environment variable "
                          "cannot hold; store it as a string (base64, say)" % (name, arn)) from None


def _pick(text, key, name, arn):
    """One key of a JSON object: strings as they are, other values as JSON (5432, true, {...})."""
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise SecretError("%s: jsonKey %r is set, but the value of %s is not a JSON object" % (name, key, arn))
    if key not in doc:
        raise SecretError("%s: the JSON object in %s has no key %r (its keys: %s)"
                          % (name, arn, key, ", ".join(sorted(doc)) or "none"))
    value = doc[key]
    if value is None:
        raise SecretError("%s: key %r of the JSON object in %s is null" % (name, key, arn))
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _client(service, region):
    client = _clients.get((service, region))
    if client is None:
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise SecretError("boto3 is not importable, so the secrets in %s cannot be read (the Lambda base "
                              "image has it; elsewhere give the variables directly, as `open-dash preview "
                              "--env-file` does)" % ENV) from None
        config = Config(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT,
                        retries={"total_max_attempts": TOTAL_ATTEMPTS, "mode": "standard"})
        client = boto3.client(service, region_name=region, config=config)
        _clients[(service, region)] = client
    return client


def _cause(e, client, service, region):
    """What went wrong, and the fix when it is one of ours to know."""
    kind = type(e).__name__
    error = getattr(e, "response", {}).get("Error", {}) if isinstance(getattr(e, "response", None), dict) else {}
    if error:
        code, message = error.get("Code", kind), error.get("Message", "")
        cause = "%s: %s" % (code, message) if message else code
        if "AccessDenied" in code or code in ("403", "UnrecognizedClientException"):
            cause += ("; the function's role needs %s on it (DashSite grants it for every secret in `secrets`), "
                      "kms:Decrypt on a customer managed key (kmsKeyArn), and a secret in another account also "
                      "needs its resource policy to allow the role" % _ACTIONS[service])
        return cause
    if kind in ("ConnectTimeoutError", "EndpointConnectionError", "ReadTimeoutError", "ConnectionClosedError"):
        return ("%s: no answer from %s at %s (%d attempts, each giving up after %s s to connect and %s s to "
                "answer); a function in a VPC reaches it only through a NAT gateway or the interface VPC endpoint "
                "com.amazonaws.%s.%s (private DNS on, in the function's subnets, its security group open to "
                "HTTPS from the function's)" % (kind, _SERVICES[service], client.meta.endpoint_url, TOTAL_ATTEMPTS,
                                                CONNECT_TIMEOUT, READ_TIMEOUT, region, service))
    if kind in ("NoCredentialsError", "PartialCredentialsError"):
        return "%s: no AWS credentials (on Lambda they come from the function's role)" % kind
    return "%s: %s" % (kind, e)


_ACTIONS = {"secretsmanager": "secretsmanager:GetSecretValue", "ssm": "ssm:GetParameter"}
