"""Tests of opendash_secrets.py as the handler runs it at INIT, against moto's Secrets Manager, SSM and IAM.
Run by python_test.go (TestSecretsPy) with OPENDASH_INDEX_PY pointing at the handler serverfn.Write wrote and
its folder on PYTHONPATH. Every test checks that no secret value reaches the log."""
import contextlib
import io
import json
import os
import socket
import sys
import unittest

import boto3
from moto import mock_aws
from moto.core import set_initial_no_auth_action_count

from test_index import HandlerCase, event

REGION = "us-east-1"
OTHER_REGION = "eu-west-1"
NAMES = ("DATABASE_URL", "DB_PASSWORD", "DB_PORT", "API_KEY", "TOKEN", "BLOB")

# The app records what it saw while it was imported: secrets must be there before the import.
APP = '''
import os
from flask import Flask, jsonify

NAMES = %r
AT_IMPORT = {k: os.environ.get(k) for k in NAMES}


def create_app():
    server = Flask(__name__)

    @server.get("/env")
    def env():
        return jsonify(at_import=AT_IMPORT)

    return server
''' % (NAMES,)


class SecretsCase(HandlerCase):
    APP_SOURCE = APP
    VALUES = ()  # every secret value a test stores: none may reach the log

    def setUp(self):
        # HandlerCase.setUp imports the handler (Lambda's INIT): each test calls boot() once its secrets exist.
        for var, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                           ("AWS_DEFAULT_REGION", REGION), ("AWS_REGION", REGION)):
            os.environ[var] = value
        for var in ("AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_SECRETS_MANAGER"):
            os.environ.pop(var, None)
        sys.modules.pop("opendash_secrets", None)  # a fresh instance: nothing read yet, no clients
        self.values = list(self.VALUES)
        self.mock = None
        self.booted = False
        self.calls = []

    def use_moto(self):
        self.mock = mock_aws()
        self.mock.start()

    def boot(self, refs):
        """Sets OPENDASH_SECRETS as the component would and starts the instance (imports the handler)."""
        os.environ["OPENDASH_SECRETS"] = json.dumps(refs)
        boto3.setup_default_session()  # what the handler's clients are made from: count their calls
        boto3.DEFAULT_SESSION.events.register("before-call.*.*", self._count)
        HandlerCase.setUp(self)
        self.booted = True

    def _count(self, model, **_):
        self.calls.append(model.name)

    def tearDown(self):
        try:
            self.assertNoValueLogged()
        finally:
            if self.booted:
                HandlerCase.tearDown(self)
            if self.mock:
                self.mock.stop()
            for var in NAMES + ("OPENDASH_SECRETS",):
                os.environ.pop(var, None)
            sys.modules.pop("opendash_secrets", None)

    def log(self):
        return self.import_log.getvalue() + (self.stderr.getvalue() if self.booted else "")

    def assertNoValueLogged(self):
        log = self.log() if self.booted else ""
        for value in self.values:
            self.assertNotIn(value, log, "a secret value reached the log")

    def secret(self, name, value=None, binary=None, region=REGION):
        kwargs = {"SecretBinary": binary} if binary is not None else {"SecretString": value}
        self.values.append(value if value is not None else binary.decode("latin-1"))
        return boto3.client("secretsmanager", region_name=region).create_secret(Name=name, **kwargs)["ARN"]

    def parameter(self, name, value, kind="SecureString"):
        self.values.append(value)
        ssm = boto3.client("ssm", region_name=REGION)
        ssm.put_parameter(Name=name, Value=value, Type=kind)
        return ssm.get_parameter(Name=name)["Parameter"]["ARN"]

    def env_seen(self):
        resp = self.call(event(path="/env"))
        self.assertEqual(resp["statusCode"], 200, resp)
        return self.json_of(resp)["at_import"]


class ReadSecretsTest(SecretsCase):
    def setUp(self):
        super().setUp()
        self.use_moto()

    def test_secrets_and_parameters_land_in_the_environment_before_the_app_is_imported(self):
        db = self.secret("db/url", "postgres://app:pw-Url-1@db.internal:5432/app", region=OTHER_REGION)
        rds = self.secret("rds/credentials", json.dumps({"username": "app", "password": "pw-Rds-2", "port": 5432}))
        key = self.parameter("/app/api-key", "key-Ssm-3")
        token = self.parameter("token", json.dumps({"value": "tok-Json-4", "other": "x-Other-5"}), kind="String")
        self.boot({"DATABASE_URL": {"arn": db}, "DB_PASSWORD": {"arn": rds, "jsonKey": "password"},
                   "DB_PORT": {"arn": rds, "jsonKey": "port"}, "API_KEY": {"arn": key},
                   "TOKEN": {"arn": token, "jsonKey": "value"}})
        seen = self.env_seen()
        self.assertEqual(seen, {"DATABASE_URL": "postgres://app:pw-Url-1@db.internal:5432/app",
                                "DB_PASSWORD": "pw-Rds-2", "DB_PORT": "5432", "API_KEY": "key-Ssm-3",
                                "TOKEN": "tok-Json-4", "BLOB": None})
        self.assertIn("read 5 secret(s) into the environment", self.import_log.getvalue())
        self.assertIn("API_KEY, DATABASE_URL, DB_PASSWORD, DB_PORT, TOKEN", self.import_log.getvalue())
        self.assertIn("app loaded", self.import_log.getvalue())

    def test_nothing_is_read_again_on_warm_requests(self):
        db = self.secret("db", "postgres://warm-Value-6")
        key = self.parameter("/k", "warm-Param-7")
        self.boot({"DATABASE_URL": {"arn": db}, "API_KEY": {"arn": key}})
        self.assertEqual(sorted(self.calls), ["GetParameter", "GetSecretValue"])
        for _ in range(3):
            self.env_seen()
        self.call({"type": "warmer", "warmerId": "w", "index": 0, "concurrency": 1, "delay": 0})
        self.assertEqual(sys.modules["opendash_secrets"].load(), 0)  # even called again: nothing to read
        self.assertEqual(sorted(self.calls), ["GetParameter", "GetSecretValue"])

    def test_binary_secret_as_text(self):
        blob = self.secret("blob", binary=b"bin-Text-8")
        self.boot({"BLOB": {"arn": blob}})
        self.assertEqual(self.env_seen()["BLOB"], "bin-Text-8")

    def test_a_missing_json_key_fails_init_then_a_request_retries_what_is_missing(self):
        db = self.secret("db", "postgres://kept-Value-9")
        rds = self.secret("rds", json.dumps({"username": "app", "pass": "typo-Value-10"}))
        self.boot({"DATABASE_URL": {"arn": db}, "DB_PASSWORD": {"arn": rds, "jsonKey": "password"}})
        log = self.import_log.getvalue()
        self.assertIn("loading the app (app:create_app()) failed", log)
        self.assertIn("DB_PASSWORD: the JSON object in %s has no key 'password' (its keys: pass, username)" % rds, log)
        resp = self.call(event(path="/env"))
        self.assertEqual(resp["statusCode"], 500)
        self.assertNotIn("Traceback", resp["body"])

        fixed = json.dumps({"username": "app", "password": "fixed-Value-11"})
        self.values.append("fixed-Value-11")
        boto3.client("secretsmanager", region_name=REGION).put_secret_value(SecretId=rds, SecretString=fixed)
        self.calls.clear()
        seen = self.env_seen()
        self.assertEqual((seen["DATABASE_URL"], seen["DB_PASSWORD"]), ("postgres://kept-Value-9", "fixed-Value-11"))
        self.assertEqual(self.calls, ["GetSecretValue"])  # DATABASE_URL was read at INIT: only the missing one

    def test_a_missing_secret_fails_init_with_its_arn_and_the_cause(self):
        arn = "arn:aws:secretsmanager:%s:123456789012:secret:gone-AbCdEf" % REGION
        self.boot({"DATABASE_URL": {"arn": arn}})
        log = self.import_log.getvalue()
        self.assertIn("DATABASE_URL: reading %s failed: ResourceNotFoundException" % arn, log)
        self.assertEqual(self.call(event(path="/env"))["statusCode"], 500)
        self.assertIn("failed again", self.stderr.getvalue())  # logged once in full, then briefly

    def test_a_value_that_is_not_json_is_not_shown(self):
        plain = self.secret("plain", "not-Json-Value-12")
        self.boot({"DB_PASSWORD": {"arn": plain, "jsonKey": "password"}})
        self.assertIn("DB_PASSWORD: jsonKey 'password' is set, but the value of %s is not a JSON object" % plain,
                      self.import_log.getvalue())

    def test_binary_that_is_not_text_is_refused(self):
        blob = self.secret("blob", binary=b"\xff\xfe-Bin-13")
        self.boot({"BLOB": {"arn": blob}})
        self.assertIn("BLOB: %s holds binary data that is not UTF-8 text" % blob, self.import_log.getvalue())

    def test_malformed_setting_and_foreign_arns(self):
        for spec, want in (
                ("{not json", "OPENDASH_SECRETS is not JSON"),
                (json.dumps({"X1": "arn"}), 'X1 needs {"arn": "..."}'),
                (json.dumps({"X1": {"arn": "arn:aws:s3:::bucket"}}),
                 "X1: 'arn:aws:s3:::bucket' is neither a Secrets Manager secret's ARN nor an SSM parameter's ARN")):
            with self.subTest(spec=spec):
                sys.modules.pop("opendash_secrets", None)
                os.environ["OPENDASH_SECRETS"] = spec
                secrets = __import__("opendash_secrets")
                with self.assertRaises(secrets.SecretError) as raised:
                    secrets.load()
                self.assertIn(want, str(raised.exception))

    def test_no_setting_reads_nothing(self):
        os.environ.pop("OPENDASH_SECRETS", None)
        secrets = __import__("opendash_secrets")
        self.assertEqual(secrets.load(), 0)
        self.assertEqual(secrets._clients, {})


class ForbiddenTest(SecretsCase):
    # moto checks IAM policies once the first 4 calls (the set-up below) are made.
    @set_initial_no_auth_action_count(4)
    def test_a_forbidden_secret_fails_init_with_the_fix(self):
        with mock_aws():
            arn = self.secret("db", "postgres://denied-Value-14")
            iam = boto3.client("iam", region_name=REGION)
            iam.create_user(UserName="fn")
            iam.put_user_policy(UserName="fn", PolicyName="other-secrets-only", PolicyDocument=json.dumps({
                "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "secretsmanager:GetSecretValue",
                                                        "Resource": arn.replace(":db-", ":other-")}]}))
            creds = iam.create_access_key(UserName="fn")["AccessKey"]
            os.environ["AWS_ACCESS_KEY_ID"], os.environ["AWS_SECRET_ACCESS_KEY"] = \
                creds["AccessKeyId"], creds["SecretAccessKey"]
            self.boot({"DATABASE_URL": {"arn": arn}})
            log = self.import_log.getvalue()
            self.assertIn("DATABASE_URL: reading %s failed:" % arn, log)
            self.assertIn("AccessDenied", log)
            self.assertIn("the function's role needs secretsmanager:GetSecretValue on it", log)
            self.assertEqual(self.call(event(path="/env"))["statusCode"], 500)


class UnreachableTest(SecretsCase):
    def test_an_endpoint_that_never_answers_fails_fast_naming_the_vpc_endpoint(self):
        # A function in a VPC without a route to Secrets Manager never gets an answer; this listener accepts
        # connections (the kernel does) and never answers them.
        listener = socket.socket()
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        self.addCleanup(listener.close)
        os.environ["AWS_ENDPOINT_URL_SECRETS_MANAGER"] = "http://127.0.0.1:%d" % listener.getsockname()[1]
        secrets = __import__("opendash_secrets")
        secrets.CONNECT_TIMEOUT = secrets.READ_TIMEOUT = 0.2
        arn = "arn:aws:secretsmanager:%s:123456789012:secret:db-AbCdEf" % REGION
        self.boot({"DATABASE_URL": {"arn": arn}})
        log = self.import_log.getvalue()
        self.assertIn("DATABASE_URL: reading %s failed: ReadTimeoutError" % arn, log)
        self.assertIn("interface VPC endpoint com.amazonaws.%s.secretsmanager" % REGION, log)
        self.assertEqual(self.call(event(path="/env"))["statusCode"], 500)

    def test_clients_give_up_quickly(self):
        client = __import__("opendash_secrets")._client("ssm", OTHER_REGION)
        self.assertEqual((client.meta.config.connect_timeout, client.meta.config.read_timeout), (2, 3))
        self.assertEqual(client.meta.config.retries, {"total_max_attempts": 2, "mode": "standard"})
        self.assertEqual(client.meta.region_name, OTHER_REGION)


if __name__ == "__main__":
    unittest.main()
