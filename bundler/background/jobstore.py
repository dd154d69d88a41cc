"""OpenDash's job store and invokers for background callbacks (shipped as opendash_jobstore.py).

Where the background callback manager (opendash_background.py) keeps job state, and how it starts a job:
- stores, get/put/delete of small blobs by name: an S3 prefix on Lambda (S3Store), a local folder standing
  in for it in `open-dash preview` (FolderStore);
- invokers, which start {"type": "opendash-job", "job": ID}: Lambda's asynchronous Invoke (LambdaInvoker),
  or the preview's local endpoint (HTTPInvoker).
from_environment picks them from the settings the component or the preview gives the function.
Standard library only, plus boto3 for S3 and Lambda (in every Lambda Python image), imported on first use.
"""
import json
import os
import urllib.request
import uuid

DEFAULT_TIMEOUT = 900  # Lambda's maximum; the component sets the jobs function's real one

# ---------------------------------------------------------------- stores: get/put/delete of small blobs


class FolderStore:
    """A folder standing in for S3 (the preview): atomic writes, so a reader never sees half a value."""

    def __init__(self, folder):
        self.folder = folder
        os.makedirs(folder, exist_ok=True)

    def _path(self, name):
        return os.path.join(self.folder, *name.split("/"))

    def get(self, name):
        try:
            with open(self._path(name), "rb") as fh:
                return fh.read()
        except FileNotFoundError:
            return None

    def put(self, name, data):
        path = self._path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%s.tmp" % (path, uuid.uuid4().hex)
        with open(tmp, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)

    def delete(self, name):
        try:
            os.remove(self._path(name))
        except FileNotFoundError:
            pass

    def __repr__(self):
        return "folder %s" % self.folder


class S3Store:
    """An S3 prefix in a private bucket; the bucket's lifecycle rule expires what jobs leave behind.
    S3 reads are strongly consistent after writes, so a poll sees the latest progress."""

    def __init__(self, bucket, prefix="jobs/", client=None):
        self._client, self.bucket, self.prefix = client, bucket, prefix

    @property
    def client(self):
        if self._client is None:  # made on first use: boto3 is in every Lambda Python image, not everywhere
            import boto3

            self._client = boto3.client("s3")
        return self._client

    def get(self, name):
        try:
            return self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def put(self, name, data):
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name):
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def __repr__(self):
        return "s3://%s/%s" % (self.bucket, self.prefix)


# ---------------------------------------------------------------- invokers: start {"type": "opendash-job"}


class LambdaInvoker:
    """Invokes this very function asynchronously (InvocationType=Event): Lambda queues the event and runs
    it on an instance of its own, which may outlive the request that started it."""

    def __init__(self, function_name, client=None):
        self.client, self.function_name = client, function_name

    def invoke(self, event):
        if self.client is None:
            import boto3

            self.client = boto3.client("lambda")
        self.client.invoke(FunctionName=self.function_name, InvocationType="Event",
                           Payload=json.dumps(event).encode("utf-8"))


class HTTPInvoker:
    """The preview's stand-in for Lambda's async invoke: POSTs the event, the preview queues it for its job
    worker and answers 202 at once."""

    def __init__(self, url):
        self.url = url

    def invoke(self, event):
        req = urllib.request.Request(self.url, data=json.dumps(event).encode("utf-8"), method="POST",
                                     headers={"content-type": "application/json"})
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()


def from_environment(environ=None):
    """(store, invoker, timeout) from the settings the component or the preview gives the function, or None
    when background jobs are not configured."""
    env = os.environ if environ is None else environ
    timeout = _number(env.get("OPENDASH_JOB_TIMEOUT"), DEFAULT_TIMEOUT)
    if env.get("OPENDASH_JOBS_DIR"):
        store = FolderStore(env["OPENDASH_JOBS_DIR"])
    elif env.get("OPENDASH_JOBS_BUCKET"):
        store = S3Store(env["OPENDASH_JOBS_BUCKET"], env.get("OPENDASH_JOBS_PREFIX", "jobs/"))
    else:
        return None
    if env.get("OPENDASH_JOBS_INVOKE_URL"):
        invoker = HTTPInvoker(env["OPENDASH_JOBS_INVOKE_URL"])
    elif env.get("OPENDASH_JOBS_FUNCTION") or env.get("AWS_LAMBDA_FUNCTION_NAME"):
        # The component runs jobs in a function of their own (its timeout can pass CloudFront's 60 s).
        invoker = LambdaInvoker(env.get("OPENDASH_JOBS_FUNCTION") or env["AWS_LAMBDA_FUNCTION_NAME"])
    else:
        return None
    return store, invoker, timeout


def _number(value, default):
    try:
        n = float(value)
    except (TypeError, ValueError):
        return default
    return n if n > 0 else default
