"""OpenDash invalidator: invalidates the CloudFront paths of static files whose content changed.

Deployed by the DashSite component and invoked at deploy time by pulumi-aws's lambda.Invocation with
lifecycle scope CRUD, which adds {"tf": {"action": "create"|"update"|"delete", "prev_input": {...}}} to
the input. The input itself is {"distributionId": "E...", "paths": {"/index.html": "<sha256>", ...}}: every
revalidate-class file (same URL, new content) with its digest. On update only the paths whose digest
changed, appeared or disappeared are invalidated. On create, on a move to a new distribution and on delete
none: a new distribution has nothing cached, and calling CloudFront right after the role's policy was created
would race IAM's propagation. A call refused with AccessDenied or throttling is retried with backoff while
the function has time left. Standard library and boto3 (shipped by the Lambda Python runtime) only.
"""
import hashlib
import json
import time

import boto3
from botocore.exceptions import ClientError

# Above this many changed paths one wildcard is cheaper (CloudFront bills per path, "/*" counts as one).
MAX_PATHS = 100

# Tests point the client at a local endpoint.
ENDPOINT_URL = None

# Errors worth waiting out: a fresh inline policy can take seconds to apply (AccessDenied), and CloudFront
# throttles bursts of invalidations.
RETRYABLE = {"AccessDenied", "AccessDeniedException", "Throttling", "ThrottlingException",
             "TooManyRequestsException", "TooManyInvalidationsInProgress"}
FIRST_DELAY, MAX_DELAY = 1.0, 8.0
# Time kept in hand for the last attempt and the log line before Lambda's timeout.
MARGIN_SECONDS = 5.0
# Tests replace the clock.
sleep = time.sleep


def changed_paths(action, paths, previous, distribution_id):
    """The sorted paths to invalidate for this lifecycle action."""
    if action != "update" or not isinstance(previous, dict) or previous.get("distributionId") != distribution_id:
        # Create (a new stack, a new distribution) or delete: nothing the deploy changed can be cached.
        return []
    before = previous.get("paths") or {}
    return sorted(p for p in set(paths) | set(before) if paths.get(p) != before.get(p))


def handler(event, context=None):
    lifecycle = event.get("tf") or {}
    action = lifecycle.get("action", "create")
    previous = lifecycle.get("prev_input", lifecycle.get("prevInput"))
    if isinstance(previous, str):
        previous = json.loads(previous) if previous else None
    distribution_id = event.get("distributionId")
    paths = event.get("paths") or {}
    if action != "delete" and not distribution_id:
        raise ValueError("input has no distributionId: the DashSite component always sets it")

    changed = changed_paths(action, paths, previous, distribution_id)
    result = {"action": action, "distributionId": distribution_id, "changed": len(changed), "invalidated": []}
    if not changed:
        print(json.dumps(result, sort_keys=True), flush=True)
        return result
    items = ["/*"] if len(changed) > MAX_PATHS else changed
    # Unique per invocation: a repeated change (A -> B -> A -> B) must still create a new invalidation.
    reference = getattr(context, "aws_request_id", None) or _digest(event)
    client = boto3.client("cloudfront", endpoint_url=ENDPOINT_URL)
    response, attempts = with_retries(context, lambda: client.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(items), "Items": items}, "CallerReference": reference},
    ))
    result.update(invalidationId=response["Invalidation"]["Id"], invalidated=items, attempts=attempts)
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


def with_retries(context, call):
    """Runs call, retrying RETRYABLE errors with doubling delays until the function's time runs short.

    Returns (the call's result, the number of attempts); the last error is raised when time is up.
    """
    delay, attempts = FIRST_DELAY, 0
    while True:
        attempts += 1
        try:
            return call(), attempts
        except ClientError as err:
            code = err.response.get("Error", {}).get("Code", "")
            if code not in RETRYABLE or _seconds_left(context) < delay + MARGIN_SECONDS:
                raise
            print(json.dumps({"retry": code, "attempt": attempts, "delaySeconds": delay}), flush=True)
            sleep(delay)
            delay = min(delay * 2, MAX_DELAY)


def _seconds_left(context):
    remaining = getattr(context, "get_remaining_time_in_millis", None)
    return remaining() / 1000.0 if remaining else 0.0


def _digest(event):
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode("utf-8")).hexdigest()
