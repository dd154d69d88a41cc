"""Tests for aliaswait.py against moto's Lambda; run by component/functions_test.go (go test)."""
import io
import json
import os
import sys
import unittest
import zipfile
from unittest import mock

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")

import boto3  # noqa: E402
from botocore.exceptions import ClientError  # noqa: E402
from moto import mock_aws  # noqa: E402

import aliaswait  # noqa: E402


class Context:
    def __init__(self, seconds):
        self.seconds = seconds

    def get_remaining_time_in_millis(self):
        return int(self.seconds * 1000)


@mock_aws
class WaitTest(unittest.TestCase):
    def setUp(self):
        role = boto3.client("iam").create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
        self.client = boto3.client("lambda")
        code = io.BytesIO()
        with zipfile.ZipFile(code, "w") as zf:
            zf.writestr("index.py", "def handler(event, context):\n    return 1\n")
        self.client.create_function(FunctionName="server", Runtime="python3.13", Role=role, Handler="index.handler",
                                    Code={"ZipFile": code.getvalue()}, Publish=True)
        self.client.update_function_code(FunctionName="server", ZipFile=code.getvalue())
        self.client.publish_version(FunctionName="server", Description="v2")
        # Lambda moving the alias to version 2: version 1 keeps part of the traffic meanwhile.
        self.client.create_alias(FunctionName="server", Name="live", FunctionVersion="2",
                                 RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})

    def settle(self, _seconds):
        self.client.update_alias(FunctionName="server", Name="live", RoutingConfig={"AdditionalVersionWeights": {}})

    def test_waits_until_the_weights_are_gone(self):
        slept = []

        def sleep(seconds):
            slept.append(seconds)
            if len(slept) == 2:
                self.settle(seconds)

        with mock.patch.object(aliaswait, "sleep", sleep), mock.patch("sys.stdout", io.StringIO()):
            got = aliaswait.handler({"functionName": "server", "alias": "live", "version": "2"}, Context(300))
        self.assertEqual(got, {"alias": "live", "version": "2", "expected": "2", "polls": 3})
        self.assertEqual(slept, [aliaswait.POLL_SECONDS] * 2)

    def test_no_weights_returns_at_once(self):
        self.settle(0)
        with mock.patch.object(aliaswait, "sleep", side_effect=AssertionError("no wait")):
            got = aliaswait.wait(self.client, "server", "live", "2", lambda: 300)
        self.assertEqual(got["polls"], 1)

    def test_out_of_time_is_a_clear_failure(self):
        with mock.patch.object(aliaswait, "sleep", side_effect=AssertionError("no time to wait")):
            with self.assertRaisesRegex(aliaswait.AliasNotSettled, r'live of server still routes traffic to versions '
                                                                   r'\{"1": 0.5\} beside 2.*pulumi up'):
                aliaswait.wait(self.client, "server", "live", "2", lambda: aliaswait.POLL_SECONDS)

    def test_input_is_checked(self):
        with self.assertRaisesRegex(ValueError, "alias"):
            aliaswait.handler({"functionName": "server"}, Context(300))


class StubClient:
    def __init__(self, answers):
        self.answers = list(answers)

    def get_alias(self, **_):
        answer = self.answers.pop(0)
        if isinstance(answer, str):
            raise ClientError({"Error": {"Code": answer, "Message": answer}}, "GetAlias")
        return answer


class RetryTest(unittest.TestCase):
    def test_a_fresh_policy_is_waited_out_and_other_errors_raised(self):
        settled = {"FunctionVersion": "3", "RoutingConfig": {"AdditionalVersionWeights": {}}}
        with mock.patch.object(aliaswait, "sleep", lambda s: None):
            got = aliaswait.wait(StubClient(["AccessDeniedException", settled]), "f", "live", "3", lambda: 300)
            self.assertEqual(got["polls"], 2)
            with self.assertRaises(ClientError):
                aliaswait.wait(StubClient(["ResourceNotFoundException"]), "f", "live", "3", lambda: 300)


if __name__ == "__main__":
    unittest.main()
