package verify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestBrokenDeployments runs verify against a fake deployment of the test bundle, intact and then broken in
// one way per case: each break must fail exactly the checks it should, with a message that names the cause.
func TestBrokenDeployments(t *testing.T) {
	const pageKey = "assets/style.css"
	const scriptKey = "_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js"
	tests := []struct {
		name    string
		deps    string // "" keeps testDeps
		breakIt func(d *deployment)
		// want is, for every failing check, "kind url" and a piece of its problem and fix; nil expects a pass.
		want []failure
	}{
		{name: "intact", breakIt: func(*deployment) {}},
		{name: "intact, gzip", breakIt: func(d *deployment) { d.gzip = true }},
		{name: "file changed after bundling", breakIt: func(d *deployment) { d.bodies[pageKey] = "body{margin:1px}" },
			want: []failure{{"static /" + pageKey, "content differs from the bundle", "invalidate the path"}}},
		{name: "wrong content type", breakIt: func(d *deployment) {
			d.headers[scriptKey] = http.Header{"Content-Type": {"text/plain"}}
		}, want: []failure{{"static /" + scriptKey, `Content-Type is "text/plain", the bundle says "application/javascript; charset=utf-8"`, "content type"}}},
		{name: "wrong cache control", breakIt: func(d *deployment) {
			d.headers[scriptKey] = http.Header{"Cache-Control": {"no-cache"}}
		}, want: []failure{{"static /" + scriptKey, `Cache-Control is "no-cache"`, "Cache-Control metadata"}}},
		{name: "an encoding not asked for", breakIt: func(d *deployment) {
			d.headers[scriptKey] = http.Header{"Content-Encoding": {"br"}}
		}, want: []failure{{"static /" + scriptKey, `the body is encoded "br", which was not asked for`, "compression settings"}}},
		{name: "corrupt gzip", breakIt: func(d *deployment) {
			d.headers[pageKey] = http.Header{"Content-Encoding": {"gzip"}}
		}, want: []failure{{"static /" + pageKey, "not gzip", "compression settings"}}},
		{name: "missing file", breakIt: func(d *deployment) { delete(d.bodies, "analytics") },
			want: []failure{{"page /analytics", "missing: the site answers 403 AccessDenied", "run `pulumi up`"}}},
		{name: "missing behavior", breakIt: func(d *deployment) { d.behaviors = without(d.behaviors, "/assets/*") },
			want: []failure{{"static /" + pageKey, "answered with the index page", "lacks the behavior"}}},
		{name: "server cannot start", breakIt: func(d *deployment) {
			d.server = func(w http.ResponseWriter, _ *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, `{"error": "the app failed to start (create_app() in app.py raised); see the function's logs"}`)
			}
		}, want: []failure{
			{"routing /opendash-verify/no-such-page", "the app failed to start", "lacks a requirement"},
			{"routing /api/items/1", "the app failed to start", "lacks a requirement"},
			{"callback /_dash-update-component", "the app failed to start", "lacks a requirement"},
		}},
		{name: "signer not signing", breakIt: func(d *deployment) { d.server = forbidden }, want: []failure{
			{"routing /opendash-verify/no-such-page", "refused the request (403 Forbidden)", "lambda:InvokeFunctionUrl"},
			{"routing /api/items/1", "refused the request (403 Forbidden)", "lambda:InvokeFunctionUrl"},
			{"callback /_dash-update-component", "refused the request (403 Forbidden)", "lambda:InvokeFunctionUrl"},
		}},
		{name: "default behavior to S3", breakIt: func(d *deployment) {
			d.behaviors = append(without(d.behaviors, "*"), testBehaviors[len(testBehaviors)-1])
			d.behaviors[len(d.behaviors)-1].Origin = "s3"
		}, want: []failure{
			{"routing /opendash-verify/no-such-page", "answered by S3", "default behavior"},
			{"routing /api/items/1", "answered by S3", "default behavior"},
		}},
		{name: "static path accepts POST", breakIt: func(d *deployment) {
			for i, b := range d.behaviors {
				if b.PathPattern == "/index.html" {
					d.behaviors[i].AllowedMethods = []string{"GET", "HEAD", "POST"}
				}
			}
		}, want: []failure{{"routing /index.html", "instead of being refused", "only GET and HEAD"}}},
		{name: "callback fails", breakIt: func(d *deployment) {
			dash := d.server
			d.server = func(w http.ResponseWriter, r *http.Request) {
				if r.Method == http.MethodPost {
					http.Error(w, "Internal Server Error", http.StatusInternalServerError)
					return
				}
				dash(w, r)
			}
		}, want: []failure{{"callback /_dash-update-component", "callback graph.figure answered 500", "callback's error"}}},
		{name: "no callback the page calls by itself: skipped with a note, nothing sent to the app",
			deps: `[{"output":"out.children","inputs":[{"id":"nowhere","property":"value"}],"state":[]},` +
				`{"output":"graph.figure","inputs":[{"id":"city","property":"value"}],"prevent_initial_call":true},` +
				`{"output":"x.children","inputs":[{"id":"city","property":"value"}],"clientside_function":{"namespace":"n","function_name":"f"}}]`,
			breakIt: func(d *deployment) {
				serve := d.server
				d.server = func(w http.ResponseWriter, r *http.Request) {
					if r.Method == http.MethodPost {
						panic("verify sent a callback the page never makes: " + r.URL.Path)
					}
					serve(w, r)
				}
			}},
		{name: "function URL open", breakIt: func(d *deployment) {
			d.function = func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello") }
		}, want: []failure{
			{"closed /", "answers unsigned requests (200 instead of 403)", "AWS_IAM"},
			{"closed /_dash-update-component", "answers unsigned requests (200 instead of 403)", "AWS_IAM"},
		}},
		{name: "bucket public", breakIt: func(d *deployment) {
			d.bucket = func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "<html>index</html>") }
		}, want: []failure{{"closed /index.html", "serves the site's files to anyone", "block all public access"}}},
		{name: "http not redirected", breakIt: func(d *deployment) { d.plainHTTP = fakeDash("<html>index</html>") },
			want: []failure{{"closed /", "http answers 200 without redirecting to https", "redirect-to-https"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			deps := testDeps
			if tt.deps != "" {
				deps = tt.deps
			}
			dir, m := writeTestBundle(t, testLayout, deps)
			d := newDeployment(m, testLayout, deps)
			tt.breakIt(d)
			var log, progress bytes.Buffer
			o := d.serve(t, dir)
			o.Log, o.Progress = &log, &progress
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			final := fmt.Sprintf("\r\033[Kverify: %d/%d checks, %d failed\r\033[K", len(rep.Checks), len(rep.Checks), len(tt.want))
			if !strings.HasSuffix(progress.String(), final) {
				t.Errorf("progress ends %q, want the last count %q then a cleared line", progress.String()[max(0, progress.Len()-80):], final)
			}
			checkFailures(t, rep, tt.want)
			if rep.OK != (len(tt.want) == 0) {
				t.Errorf("report OK = %v with failures %v", rep.OK, tt.want)
			}
			if lines := strings.Count(log.String(), "\n"); lines != len(tt.want) {
				t.Errorf("log has %d lines, want one per failure:\n%s", lines, log.String())
			}
			want := map[string]int{KindStatic: 5, KindPage: 2, KindRouting: 3, KindCallback: 1, KindClosed: 4}
			for kind, n := range want {
				if got := rep.Counts[kind]; got.Passed+got.Failed+got.Skipped != n {
					t.Errorf("%s: %d checks, want %d", kind, got.Passed+got.Failed+got.Skipped, n)
				}
			}
		})
	}
}

// failure is an expected failed check: "kind url" (the path, for other hosts too), problem and fix fragments.
type failure struct{ check, problem, fix string }

func checkFailures(t *testing.T, rep *Report, want []failure) {
	t.Helper()
	got := rep.Failures()
	for _, w := range want {
		found := false
		for _, c := range got {
			if c.Kind+" "+pathOf(c.URL) == w.check && strings.Contains(c.Problem, w.problem) && strings.Contains(c.Fix, w.fix) {
				found = true
			}
		}
		if !found {
			t.Errorf("no failure %q with problem %q and fix %q; failures:\n%s", w.check, w.problem, w.fix, describe(got))
		}
	}
	if len(got) != len(want) {
		t.Errorf("%d failures, want %d:\n%s", len(got), len(want), describe(got))
	}
}

func pathOf(u string) string {
	if i := strings.Index(u, "://"); i >= 0 {
		rest := u[i+3:]
		if j := strings.Index(rest, "/"); j >= 0 {
			return rest[j:]
		}
		return "/"
	}
	return u
}

func describe(checks []Check) string {
	var b strings.Builder
	for _, c := range checks {
		fmt.Fprintf(&b, "  %s\n    fix: %s\n", FailureLine(c), c.Fix)
	}
	return b.String()
}

func without(behaviors []manifest.Behavior, pattern string) []manifest.Behavior {
	var out []manifest.Behavior
	for _, b := range behaviors {
		if b.PathPattern != pattern {
			out = append(out, b)
		}
	}
	return out
}

// TestUnreachable: a site nobody answers is one error naming the URL, not a failure per file.
func TestUnreachable(t *testing.T) {
	dir, _ := writeTestBundle(t, testLayout, testDeps)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + ln.Addr().String()
	ln.Close() // nothing listens there any more
	retryWait = 0
	t.Cleanup(func() { retryWait = defaultRetryWait })
	var log bytes.Buffer
	rep, err := Run(context.Background(), Options{URL: url, Dir: dir, Log: &log})
	var unreachable *UnreachableError
	if !errors.As(err, &unreachable) || rep != nil {
		t.Fatalf("Run = %v, %v; want an UnreachableError", rep, err)
	}
	if !strings.Contains(err.Error(), "cannot reach "+url+"/") || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("error %q does not name the URL and the cause", err)
	}
	if log.Len() != 0 {
		t.Errorf("no check should have run:\n%s", log.String())
	}
}

// TestRetriesTransientErrors: a connection dropped before the answer is retried; an answer is never retried.
func TestRetriesTransientErrors(t *testing.T) {
	retryWait = 0
	t.Cleanup(func() { retryWait = defaultRetryWait })
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.Method+" "+r.URL.Path]++
		n := seen[r.Method+" "+r.URL.Path]
		mu.Unlock()
		switch r.URL.Path {
		case "/flaky":
			if n == 1 {
				conn, _, _ := w.(http.Hijacker).Hijack()
				conn.Close() // the connection breaks before an answer
				return
			}
			fmt.Fprint(w, "ok")
		default:
			http.Error(w, "down", http.StatusServiceUnavailable)
		}
	}))
	defer srv.Close()
	f := &fetcher{client: newClient(nil, DefaultTimeout, 1)}
	for _, tt := range []struct {
		path     string
		status   int
		requests int
	}{{"/flaky", 200, 2}, {"/down", 503, 1}} {
		a, err := f.fetch(context.Background(), http.MethodGet, srv.URL+tt.path, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", tt.path, err)
		}
		if a.status != tt.status || seen["GET "+tt.path] != tt.requests {
			t.Errorf("%s: status %d after %d requests, want %d after %d", tt.path, a.status, seen["GET "+tt.path], tt.status, tt.requests)
		}
	}
}

// TestSiteLostMidRun: a site that stops answering after the first request ends the run with one error, not a
// failure per remaining file.
func TestSiteLostMidRun(t *testing.T) {
	retryWait = 0
	t.Cleanup(func() { retryWait = defaultRetryWait })
	dir, m := writeTestBundle(t, testLayout, testDeps)
	d := newDeployment(m, testLayout, testDeps)
	var mu sync.Mutex
	served := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		served++
		n := served
		mu.Unlock()
		if n > 1 {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
			return
		}
		d.ServeHTTP(w, r)
	}))
	defer srv.Close()
	var log bytes.Buffer
	rep, err := Run(context.Background(), Options{URL: srv.URL, Dir: dir, Log: &log})
	var unreachable *UnreachableError
	if !errors.As(err, &unreachable) || rep != nil {
		t.Fatalf("Run = %v, %v; want an UnreachableError", rep, err)
	}
	if log.Len() != 0 {
		t.Errorf("failures logged for an unreachable site:\n%s", log.String())
	}
}
