"""OpenDash's job store and invokers for background callbacks (shipped as opendash_jobstore.py).

Where the background callback manager (opendash_background.py) keeps job state, and how it starts a job:
- stores, get/put/delete of small blobs by name (get_with_time: with the time it was written), create (write
  only if absent: how a job is claimed and a concurrency slot taken) and list (names under a prefix, with
  their times): an S3 prefix on Lambda
  (S3Store), a local folder standing in for it in `open-dash preview` (FolderStore);
- invokers, which start {"type": "opendash-job", "job": ID}: Lambda's asynchronous Invoke (LambdaInvoker),
  or the preview's local endpoint (HTTPInvoker).
from_environment picks them from the settings the component or the preview gives the function.
Standard library only, plus boto3 for S3 and Lambda (in every Lambda Python image), imported on first use.
"""
import json
import os
import threading
import time
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

    def get_with_time(self, name):
        """(bytes, modification time) of name, or (None, None)."""
        try:
            with open(self._path(name), "rb") as fh:
                return fh.read(), os.fstat(fh.fileno()).st_mtime  # the file read: a replacement is another inode
        except FileNotFoundError:
            return None, None

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

    def create(self, name, data):
        """Writes name only if it does not exist yet; False when it does. A hard link is created or refused
        atomically, so of two processes creating one name exactly one succeeds."""
        path = self._path(name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        tmp = "%s.%s.tmp" % (path, uuid.uuid4().hex)
        with open(tmp, "wb") as fh:
            fh.write(data)
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        finally:
            os.remove(tmp)

    def list(self, prefix):
        """[(name, modification time)] of the names under prefix."""
        root = self._path(prefix.rstrip("/"))
        out = []
        for folder, _, files in os.walk(root):
            for f in files:
                if f.endswith(".tmp"):
                    continue
                path = os.path.join(folder, f)
                try:
                    modified = os.path.getmtime(path)
                except FileNotFoundError:
                    continue
                out.append(("/".join(os.path.relpath(path, self.folder).split(os.sep)), modified))
        return out

    def __repr__(self):
        return "folder %s" % self.folder


def sdk_knows_conditions(client):
    """Whether this botocore takes PutObject's IfNoneMatch (added with S3's conditional writes in 2024)."""
    return "IfNoneMatch" in client.meta.service_model.operation_model("PutObject").input_shape.members


_conditions = threading.local()  # headers for the next PutObject of this thread (SDKs before S3's conditions)


def _add_conditions(request, **_):
    for name, value in getattr(_conditions, "headers", {}).items():
        request.headers[name] = value


class S3Store:
    """An S3 prefix in a private bucket; the bucket's lifecycle rule expires what jobs leave behind.
    S3 reads are strongly consistent after writes, so a poll sees the latest progress."""

    def __init__(self, bucket, prefix="jobs/", client=None):
        self._client, self.bucket, self.prefix = client, bucket, prefix
        self._conditions_hooked = False

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

    def get_with_time(self, name):
        """(bytes, modification time) of name, or (None, None)."""
        try:
            obj = self.client.get_object(Bucket=self.bucket, Key=self.prefix + name)
        except self.client.exceptions.NoSuchKey:
            return None, None
        return obj["Body"].read(), obj["LastModified"].timestamp()

    def put(self, name, data):
        self.client.put_object(Bucket=self.bucket, Key=self.prefix + name, Body=data)

    def delete(self, name):
        self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)

    def create(self, name, data):
        """Writes name only if it does not exist yet (a conditional write, If-None-Match: *); False when it
        does. S3 answers 412 to the loser of two such writes, or 409 while they collide, to retry
        (https://docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html)."""
        for attempt in range(3):
            try:
                self._put_if_absent(self.prefix + name, data)
                return True
            except self.client.exceptions.ClientError as err:
                code = err.response.get("Error", {}).get("Code", "")
                if code == "PreconditionFailed":
                    return False
                if code != "ConditionalRequestConflict" or attempt == 2:
                    raise
            time.sleep(0.2 * (attempt + 1))

    def _put_if_absent(self, key, data):
        client = self.client
        if sdk_knows_conditions(client):
            return client.put_object(Bucket=self.bucket, Key=key, Body=data, IfNoneMatch="*")
        # An app may pin a boto3 older than S3's conditional writes (2024): send the header ourselves.
        if not self._conditions_hooked:
            client.meta.events.register("before-sign.s3.PutObject", _add_conditions)
            self._conditions_hooked = True
        _conditions.headers = {"If-None-Match": "*"}
        try:
            return client.put_object(Bucket=self.bucket, Key=key, Body=data)
        finally:
            _conditions.headers = {}

    def list(self, prefix):
        """[(name, modification time)] of the names under prefix (S3 lists are strongly consistent)."""
        out = []
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix + prefix)
        for page in pages:
            for obj in page.get("Contents", []):
                out.append((obj["Key"][len(self.prefix):], obj["LastModified"].timestamp()))
        return out

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
    """(store, invoker, timeout, concurrency) from the settings the component or the preview gives the
    function, or None when background jobs are not configured. concurrency is the most jobs that run at once
    (None: no cap)."""
    env = os.environ if environ is None else environ
    timeout = _number(env.get("OPENDASH_JOB_TIMEOUT"), DEFAULT_TIMEOUT)
    concurrency = _number(env.get("OPENDASH_JOBS_CONCURRENCY"), None)
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
    return store, invoker, timeout, int(concurrency) if concurrency else None


def _number(value, default):
    try:
        n = float(value)
    except (TypeError, ValueError):
        return default
    return n if n > 0 else default
