"""OpenDash invalidator: invalidates the CloudFront paths of static files whose content changed.

Deployed by the DashSite component and invoked at deploy time by pulumi-aws's lambda.Invocation with
lifecycle scope CRUD, which adds {"tf": {"action": "create"|"update"|"delete", "prev_input": {...}}} to
the input. The input itself is {"distributionId": "E...", "paths": {"/index.html": "<sha256>", ...}}: every
revalidate-class file (same URL, new content) with its digest. On update only the paths whose digest
changed, appeared or disappeared are invalidated; on create all of them (nothing tells what the cache
holds); on delete none. Standard library and boto3 (shipped by the Lambda Python runtime) only.
"""
import hashlib
import json

import boto3

# Above this many changed paths one wildcard is cheaper (CloudFront bills per path, "/*" counts as one).
MAX_PATHS = 100

# Tests point the client at a local endpoint.
ENDPOINT_URL = None


def changed_paths(action, paths, previous, distribution_id):
    """The sorted paths to invalidate for this lifecycle action."""
    if action == "delete":
        return []
    if action != "update" or not isinstance(previous, dict) or previous.get("distributionId") != distribution_id:
        # A new invocation, or a new distribution: its cache state is unknown, so everything listed.
        return sorted(paths)
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
    response = client.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={"Paths": {"Quantity": len(items), "Items": items}, "CallerReference": reference},
    )
    result.update(invalidationId=response["Invalidation"]["Id"], invalidated=items)
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


def _digest(event):
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode("utf-8")).hexdigest()
