"""OpenDash alias wait: returns once the server's alias routes all its traffic to one version.

When the DashSite component moves the alias that carries provisioned concurrency to a new version, Lambda
adds routing weights to it while the new version's instances are provisioned, and refuses
PutProvisionedConcurrencyConfig meanwhile ("Alias with weights can not be used with Provisioned
Concurrency"). pulumi-aws v6 does not wait for that (terraform-provider-aws#48116 does, in the provider line
of pulumi-aws v7), so the component runs this function, through lambda.Invocation, between the alias and the
provisioned concurrency config. Input: {"functionName": ..., "alias": "live", "version": "<the new version>"}.
Standard library and boto3 (shipped by the Lambda Python runtime) only.
"""
import json
import time

import boto3
from botocore.exceptions import ClientError

POLL_SECONDS = 5.0
# Time kept to report before Lambda's timeout.
MARGIN_SECONDS = 10.0
# A fresh role policy can take seconds to apply.
RETRYABLE = {"AccessDenied", "AccessDeniedException", "TooManyRequestsException"}

# Tests point the client at a local endpoint and replace the clock.
ENDPOINT_URL = None
sleep = time.sleep


class AliasNotSettled(Exception):
    """The alias still had routing weights when the function ran out of time."""


def handler(event, context=None):
    for field in ("functionName", "alias"):
        if not event.get(field):
            raise ValueError("input has no %s: the DashSite component always sets it" % field)
    left = getattr(context, "get_remaining_time_in_millis", None)
    result = wait(boto3.client("lambda", endpoint_url=ENDPOINT_URL), event["functionName"], event["alias"],
                  event.get("version"), (lambda: left() / 1000.0) if callable(left) else (lambda: 300.0))
    print(json.dumps(result, sort_keys=True), flush=True)
    return result


def wait(client, function, alias, version, seconds_left):
    """Polls the alias until it has no additional version weights; returns what it found."""
    polls, weights, seen = 0, None, None
    while True:
        polls += 1
        try:
            found = client.get_alias(FunctionName=function, Name=alias)
            weights = (found.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
            seen = found.get("FunctionVersion")
            if not weights:
                return {"alias": alias, "version": seen, "expected": version, "polls": polls}
        except ClientError as err:
            if err.response.get("Error", {}).get("Code", "") not in RETRYABLE:
                raise
        if seconds_left() < POLL_SECONDS + MARGIN_SECONDS:
            raise AliasNotSettled(
                "the alias %s of %s still routes traffic to versions %s beside %s after %d checks: Lambda is still "
                "provisioning the new version's instances. Run `pulumi up` again to wait longer (this step runs "
                "again until it succeeds)" % (alias, function, json.dumps(weights), seen, polls))
        sleep(POLL_SECONDS)
