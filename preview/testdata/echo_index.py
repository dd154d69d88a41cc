"""Fake server function for the preview's tests (stdlib only): what it does is chosen by the request path.

Anything not listed echoes the event it received, with the worker's pid, so tests can tell instances apart.
"""
import base64
import json
import os
import subprocess
import sys
import tempfile
import time
import urllib.request

# Printed at import: the preview must treat stdout as the app's, never as its protocol.
print('{"ready": {"python": "not the protocol"}}')


def handler(event, context):
    if event.get("type") == "opendash-job":  # an asynchronous self-invocation (background callback job)
        time.sleep(0.5)
        done = {"pid": os.getpid(), "tmp": tempfile.gettempdir(), "function": os.environ["AWS_LAMBDA_FUNCTION_NAME"],
                "greeting": os.environ.get("GREETING")}
        path = os.path.join(os.environ["OPENDASH_JOBS_DIR"], event["job"])
        with open(path + ".part", "w") as fh:  # whole or absent: the test polls for the file
            json.dump(done, fh)
        os.replace(path + ".part", path)
        return {"ok": True}
    path = event["rawPath"]
    query = event.get("queryStringParameters") or {}
    if path == "/write":  # into the function's own folder: read-only on Lambda
        try:
            with open(query["file"], "w") as fh:
                fh.write("x")
        except OSError as err:
            return {"statusCode": 500, "body": "write failed: %s" % err}
        return {"statusCode": 200, "body": "written"}
    if path == "/tmp":
        return {"statusCode": 200, "body": json.dumps({"pid": os.getpid(), "tmp": tempfile.gettempdir(),
                                                       "greeting": os.environ.get("GREETING")})}
    if path == "/start-job":
        body = json.dumps({"type": "opendash-job", "job": query["job"]}).encode()
        req = urllib.request.Request(os.environ["OPENDASH_JOBS_INVOKE_URL"], data=body, method="POST")
        with urllib.request.urlopen(req, timeout=5) as resp:
            return {"statusCode": 200, "body": str(resp.status)}
    query = event.get("queryStringParameters") or {}
    if path == "/raise":
        raise ValueError("boom from the fake app")
    if path == "/exit":
        sys.exit(3)
    if path == "/kill":
        os.kill(os.getpid(), 9)
    if path == "/print":
        print('{"result": {"statusCode": 418}}')  # looks like a reply; must reach the log, not the viewer
        print("hello from the app")
        sys.stderr.write("warning from the app\n")
    if path == "/sleep":
        time.sleep(float(query.get("s", "5")))
    if path == "/spawn":
        child = subprocess.Popen(["sleep", "300"])
        return {"statusCode": 200, "body": json.dumps({"worker": os.getpid(), "child": child.pid})}
    if path == "/big":
        return {"statusCode": 200, "headers": {"content-type": "text/plain"}, "body": "x" * int(query["n"])}
    if path == "/binary":
        return {"statusCode": 200, "headers": {"content-type": "application/octet-stream"},
                "body": base64.b64encode(bytes(range(256))).decode(), "isBase64Encoded": True}
    if path == "/cookies":
        return {"statusCode": 201, "headers": {"content-type": "text/plain", "x-multi": "a,b"},
                "cookies": ["a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"], "body": "ok"}
    if path == "/plain":
        return "Hello, world!"  # no statusCode: the function URL infers a 200 JSON response
    if path == "/nan":
        return {"statusCode": 200, "body": float("nan")}
    return {
        "statusCode": 200,
        "headers": {"content-type": "application/json"},
        "body": json.dumps({
            "pid": os.getpid(),
            "cwd": os.getcwd(),
            "taskRoot": os.environ.get("LAMBDA_TASK_ROOT"),
            "requestId": context.aws_request_id,
            "remainingMs": context.get_remaining_time_in_millis(),
            "event": event,
        }),
    }
