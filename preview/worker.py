"""OpenDash preview worker: one long-lived process that plays one Lambda instance for `open-dash preview`.

Started by the preview (Go) with cwd = the bundle's server-functions/default folder:

    python opendash_preview_worker.py <module.function> <events fd> <replies fd>

(the file is readonly.py then this one, written into the preview's temporary folder)

Protocol, UTF-8 JSON, one object per line, on two dedicated pipes (stdout and stderr belong to the app and
are copied into the preview's log; stdin is /dev/null):
  events fd  (in):  {"requestId": "...", "deadlineMs": <unix ms>, "event": {...}}
  replies fd (out): once {"ready": {"python": "3.11.7"}} or {"initError": {...}}, then per event
                    {"result": <what the handler returned>} or {"error": {...}}
Errors carry errorType, errorMessage and stackTrace, as Lambda reports them. An exception in the handler
fails that invocation only (like Lambda); sys.exit or a crash ends the process and the preview starts a new
one. End of the events pipe means shut down.
"""
import decimal
import importlib
import json
import os
import platform
import sys
import time
import traceback


class LambdaContext:
    """The subset of Lambda's Python context object that handlers use."""

    def __init__(self, request_id, deadline_ms):
        name = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "open-dash-preview")
        self.aws_request_id = request_id
        self.function_name = name
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = "arn:aws:lambda:us-east-1:000000000000:function:" + name
        self.memory_limit_in_mb = os.environ.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "2048")
        self.log_group_name = "/aws/lambda/" + name
        self.log_stream_name = "open-dash-preview"
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, self._deadline_ms - int(time.time() * 1000))


def _error(exc_type, exc, tb, error_type=None):
    return {
        "errorType": error_type or exc_type.__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_list(traceback.extract_tb(tb)),
    }


def _json_default(value):
    # Lambda's own serializer accepts Decimal (DynamoDB hands them out); anything else is a marshal error.
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError("Object of type %s is not JSON serializable" % type(value).__name__)


def _load(spec):
    module_name, _, function_name = spec.rpartition(".")
    if not module_name or not function_name:
        raise ValueError("handler %r is not of the form module.function" % spec)
    module = importlib.import_module(module_name)
    handler = getattr(module, function_name, None)
    if not callable(handler):
        raise AttributeError("module %r has no function %r" % (module_name, function_name))
    return handler


def main():
    spec, events_fd, replies_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    # Keep the protocol pipes away from anything the app spawns with subprocess.
    os.set_inheritable(events_fd, False)
    os.set_inheritable(replies_fd, False)
    events = os.fdopen(events_fd, "rb")
    replies = os.fdopen(replies_fd, "wb")

    def reply(message):
        # allow_nan=False: NaN is not JSON; Lambda fails such a response too.
        data = json.dumps(message, ensure_ascii=False, separators=(",", ":"), allow_nan=False,
                          default=_json_default)
        replies.write(data.encode("utf-8") + b"\n")
        replies.flush()

    # Lambda puts the task root first on sys.path; Python put this program's own folder there instead.
    task_root = os.getcwd()
    own = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [task_root] + [p for p in sys.path if p not in ("", task_root, own)]
    try:
        handler = _load(spec)
    except Exception:
        exc_type, exc, tb = sys.exc_info()
        traceback.print_exc()
        reply({"initError": _error(exc_type, exc, tb, "Runtime.ImportModuleError")})
        return 1
    reply({"ready": {"python": platform.python_version()}})

    for line in events:
        request = json.loads(line)
        context = LambdaContext(request["requestId"], request["deadlineMs"])
        try:
            result = handler(request["event"], context)
        except Exception:
            exc_type, exc, tb = sys.exc_info()
            traceback.print_exc()  # Lambda writes the traceback to the function's log too
            reply({"error": _error(exc_type, exc, tb)})
            continue
        try:
            reply({"result": result})
        except (TypeError, ValueError) as exc:
            reply({"error": {"errorType": "Runtime.MarshalError", "errorMessage": "Unable to marshal response: %s" % exc,
                             "stackTrace": []}})
    return 0


if __name__ == "__main__":
    sys.exit(main())
