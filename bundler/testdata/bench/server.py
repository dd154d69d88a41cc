"""The server function's start-up and request costs, for BenchmarkServerSinglePage (bench_server_test.go).

usage: server.py cold SERVER_DIR
         Imports the bundled handler (opendash_handler.py, which loads the app at import as Lambda's INIT
         does) and answers one GET of the index page, then exits: the process's wall time, measured by the
         caller, is a cold start.
       server.py warm SERVER_DIR REPEAT
         In one process: import the handler, answer a warmer event, then time the first index request
         after it, REPEAT more index requests, and REPEAT calls of the app's one server callback both
         through the handler and through Flask's test client (alternating, so drift hits both alike).
         Prints JSON: firstAfterWarmer, warmIndex, handlerCallback and flaskCallback, in seconds (medians).

Both run the handler exactly as Lambda does: the function URL event in, the response dictionary out.
"""

import json
import os
import statistics
import sys
import time

# The single-page example's server callback: the dropdown's value drives the graph's figure.
CALLBACK = {
    "output": "graph.figure",
    "outputs": {"id": "graph", "property": "figure"},
    "inputs": [{"id": "city", "property": "value", "value": "Oslo"}],
    "changedPropIds": ["city.value"],
    "state": [],
}
CALLBACK_BODY = json.dumps(CALLBACK)


def event(method, path, body=""):
    """A function URL event (payload format 2.0) as CloudFront and the edge signer send it."""
    return {
        "version": "2.0",
        "rawPath": path,
        "rawQueryString": "",
        "headers": {"host": "abc.lambda-url.us-east-1.on.aws", "x-forwarded-host": "dash.example.com",
                    "content-type": "application/json", "accept-encoding": "gzip, br"},
        "requestContext": {"http": {"method": method, "path": path, "protocol": "HTTP/1.1",
                                    "sourceIp": "203.0.113.9"}},
        "body": body,
        "isBase64Encoded": False,
    }


def load_handler(server_dir):
    os.chdir(server_dir)  # Lambda's working directory is the task root
    sys.path.insert(0, server_dir)
    import opendash_handler

    return opendash_handler


def call(handler, ev):
    started = time.perf_counter()
    resp = handler.handler(ev)
    took = time.perf_counter() - started
    if resp.get("statusCode") != 200:
        sys.exit("%s %s answered %s: %s" % (ev["requestContext"]["http"]["method"], ev["rawPath"],
                                            resp.get("statusCode"), str(resp.get("body"))[:300]))
    return took


def cold(server_dir):
    handler = load_handler(server_dir)
    call(handler, event("GET", "/"))
    sys.stdout.flush()
    os._exit(0)  # as floor.py exits: interpreter teardown is not part of answering


def warm(server_dir, repeat):
    handler = load_handler(server_dir)
    answer = handler.handler({"type": "warmer", "delay": 0})
    if answer.get("type") != "warmer":
        sys.exit("warmer event answered %r" % answer)
    index = event("GET", "/")
    first = call(handler, index)
    warm_index = [call(handler, index) for _ in range(repeat)]

    client = handler.opendash_load.load_app().test_client()
    callback = event("POST", "/_dash-update-component", CALLBACK_BODY)
    through_handler, through_flask = [], []
    for _ in range(repeat):
        through_handler.append(call(handler, callback))
        started = time.perf_counter()
        resp = client.post("/_dash-update-component", data=CALLBACK_BODY,
                           headers={"Content-Type": "application/json", "Accept-Encoding": "gzip, br"})
        resp.get_data()
        through_flask.append(time.perf_counter() - started)
        if resp.status_code != 200:
            sys.exit("the callback answered %s through Flask's test client" % resp.status_code)
    json.dump({"firstAfterWarmer": first, "warmIndex": statistics.median(warm_index),
               "handlerCallback": statistics.median(through_handler),
               "flaskCallback": statistics.median(through_flask)}, sys.stdout)
    sys.stdout.flush()
    os._exit(0)


def main():
    mode, server_dir = sys.argv[1], os.path.abspath(sys.argv[2])
    if mode == "cold":
        cold(server_dir)
    elif mode == "warm":
        warm(server_dir, int(sys.argv[3]))
    else:
        sys.exit("unknown mode %r: use cold or warm" % mode)


if __name__ == "__main__":
    main()
