"""CloudFront invalidation for the OpenDash sync (shipped beside sync.py in the sync function).

The sync knows which objects it overwrote or deleted; this module turns their S3 keys into CloudFront
invalidation paths and creates one invalidation, retrying what is worth waiting out. Standard library and
boto3 (shipped by the Lambda Python runtime) only.
"""
import json
import time

from botocore.exceptions import ClientError

# The distribution's default root object: CloudFront caches it under "/" as well.
ROOT_OBJECT = "index.html"
# Above this many paths one wildcard is cheaper (CloudFront bills per path, "/*" counts as one).
MAX_PATHS = 100
# RFC 1738's "unsafe" characters, which CloudFront wants percent-encoded (with controls and non-ASCII).
UNSAFE = set(' "<>#%{}|\\^[]`')
# Errors worth waiting out: a fresh inline policy can take seconds to apply (AccessDenied), and CloudFront
# throttles bursts of invalidations.
RETRYABLE = {"AccessDenied", "AccessDeniedException", "Throttling", "ThrottlingException",
             "TooManyRequestsException", "TooManyInvalidationsInProgress"}
FIRST_DELAY, MAX_DELAY = 1.0, 8.0
# Time kept in hand for the last attempt and the sync's report before Lambda's timeout.
MARGIN_SECONDS = 5.0
# Tests replace the clock.
sleep = time.sleep


def escape(key):
    """Percent-encodes the bytes CloudFront requires encoded: controls, space, non-ASCII and RFC 1738's
    unsafe set. Nothing else: an encoded safe character ("(" as %28) matches no cached URL, so the old file
    silently stays cached
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html)."""
    out = []
    for byte in key.encode("utf-8"):
        c = chr(byte)
        out.append("%%%02X" % byte if byte < 0x21 or byte >= 0x7F or c in UNSAFE else c)
    return "".join(out)


def path_for(key):
    """(the invalidation path of an S3 key, whether it names exactly that key). "~" is rejected by CloudFront
    (InvalidArgument), "*" is a wildcard and "?" starts a query string: such a key is covered by its folder's
    wildcard, at the price of the folder's other files."""
    if any(c in key for c in "~*?"):
        folder = key[:key.rfind("/") + 1]
        return "/" + escape(folder) + "*", False
    return "/" + escape(key), True


def paths_for(keys):
    """The sorted invalidation paths that cover keys ("/" too for the root object)."""
    paths = {path_for(k)[0] for k in keys}
    if ROOT_OBJECT in keys:
        paths.add("/")
    return sorted(paths)


def invalidate(client, distribution_id, keys, reference, seconds_left):
    """Invalidates keys on the distribution; returns what was asked for. seconds_left() is the invocation's
    time left: retries stop when it runs short, raising the last error."""
    paths = paths_for(keys)
    items = ["/*"] if len(paths) > MAX_PATHS else paths
    delay, attempts = FIRST_DELAY, 0
    while True:
        attempts += 1
        try:
            response = client.create_invalidation(DistributionId=distribution_id, InvalidationBatch={
                "Paths": {"Quantity": len(items), "Items": items}, "CallerReference": reference})
            break
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code not in RETRYABLE or seconds_left() < delay + MARGIN_SECONDS:
                raise
            print(json.dumps({"retry": code, "attempt": attempts, "delaySeconds": delay}), flush=True)
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)
    return {"invalidationId": response["Invalidation"]["Id"], "paths": items, "attempts": attempts}
