package e2e

import (
	"strings"
	"testing"
)

func TestParseRequestLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		want loggedRequest
		ok   bool
	}{
		{"GET /_dash-layout 200 s3 100µs (behavior /_dash-layout)", loggedRequest{Method: "GET", URI: "/_dash-layout", Status: 200, Origin: "s3"}, true},
		{"GET /assets/style.css?m=1795741552.8 304 s3 0s (behavior /assets/*)", loggedRequest{Method: "GET", URI: "/assets/style.css?m=1795741552.8", Status: 304, Origin: "s3"}, true},
		{"POST /_dash-update-component 200 server 439ms (behavior /_dash-update-component)", loggedRequest{Method: "POST", URI: "/_dash-update-component", Status: 200, Origin: "server"}, true},
		{"GET /report/42 200 server 1.2s (behavior *)", loggedRequest{Method: "GET", URI: "/report/42", Status: 200, Origin: "server"}, true},
		{"DELETE /x 403 cloudfront 0s (behavior /x)", loggedRequest{Method: "DELETE", URI: "/x", Status: 403, Origin: "cloudfront"}, true},
		{"[server stderr] GET /x 200 s3 1ms (behavior /x)", loggedRequest{}, false},
		{"open-dash preview: serving /tmp/b at http://127.0.0.1:1", loggedRequest{}, false},
		{"warning: the preview runs the server function on Python 3.11.2", loggedRequest{}, false},
	} {
		got, ok := parseRequestLine(tc.line)
		got.Line = ""
		if ok != tc.ok || got != tc.want {
			t.Errorf("parseRequestLine(%q) = %+v, %v; want %+v, %v", tc.line, got, ok, tc.want, tc.ok)
		}
	}
}

func TestPreviewLogSince(t *testing.T) {
	var l previewLog
	l.Write([]byte("GET / 200 s3 1ms (behavior /index.html)\nGET /a 20"))
	mark := l.mark()
	l.Write([]byte("0 s3 1ms (behavior *)\n[server stdout] hi\n"))
	got, next := l.requestsSince(mark)
	if len(got) != 1 || got[0].URI != "/a" || got[0].Status != 200 || next != 3 {
		t.Errorf("requestsSince = %+v, %d; want the one request completed after the mark, and mark 3", got, next)
	}
	if all, _ := l.requestsSince(0); len(all) != 2 {
		t.Errorf("requestsSince(0) = %+v, want 2 requests", all)
	}
}

func req(method, uri string, status int, origin string) loggedRequest {
	return loggedRequest{Method: method, URI: uri, Status: status, Origin: origin}
}

func TestCheckRequests(t *testing.T) {
	staticLoad := []loggedRequest{
		req("GET", "/analytics", 200, "s3"),
		req("GET", "/_dash-component-suites/dash/dcc/async-graph.js", 200, "s3"),
		req("GET", "/_dash-layout", 200, "s3"),
		req("POST", "/_dash-update-component", 200, "server"),
		req("POST", "/_dash-update-component", 200, "server"),
	}
	for _, tc := range []struct {
		name              string
		reqs              []loggedRequest
		docURI, docOrigin string
		gets, posts       int
		problems          []string // substrings, one per expected problem
	}{
		{"static page", staticLoad, "/analytics", "s3", 3, 2, nil},
		{"server-rendered page", []loggedRequest{req("GET", "/report/42", 200, "server"), req("GET", "/_dash-layout", 200, "s3")}, "/report/42", "server", 2, 0, nil},
		{"deep link from the server", []loggedRequest{req("GET", "/analytics", 200, "server")}, "/analytics", "s3", 1, 0,
			[]string{"GET /analytics answered by server, want s3"}},
		{"layout from the server", []loggedRequest{req("GET", "/", 200, "s3"), req("GET", "/_dash-layout", 200, "server")}, "/", "s3", 2, 0,
			[]string{"GET /_dash-layout answered by server, want s3"}},
		{"chunk missing from the bundle", []loggedRequest{req("GET", "/", 200, "s3"), req("GET", "/_dash-component-suites/dash/dcc/async-upload.js", 403, "s3")}, "/", "s3", 2, 0,
			[]string{"async-upload.js answered 403 by s3"}},
		{"callback error", []loggedRequest{req("GET", "/", 200, "s3"), req("POST", "/_dash-update-component", 500, "server")}, "/", "s3", 1, 1,
			[]string{"POST /_dash-update-component answered 500 by server"}},
		{"other POST", []loggedRequest{req("GET", "/", 200, "s3"), req("POST", "/_dash-layout", 403, "cloudfront")}, "/", "s3", 1, 1,
			[]string{"answered 403", "POST /_dash-layout answered by cloudfront"}},
		{"document twice", []loggedRequest{req("GET", "/", 200, "s3"), req("GET", "/", 200, "s3")}, "/", "s3", 2, 0,
			[]string{"requested 2 times"}},
		{"document missing", []loggedRequest{req("GET", "/_dash-layout", 200, "s3")}, "/", "s3", 1, 0,
			[]string{"requested 0 times"}},
		{"after the load: every GET from s3", []loggedRequest{req("GET", "/report/42", 200, "server")}, "", "", 1, 0,
			[]string{"GET /report/42 answered by server, want s3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := checkRequests(tc.reqs, tc.docURI, tc.docOrigin)
			if got.gets != tc.gets || got.posts != tc.posts {
				t.Errorf("gets, posts = %d, %d; want %d, %d", got.gets, got.posts, tc.gets, tc.posts)
			}
			if len(got.problems) != len(tc.problems) {
				t.Fatalf("problems = %q, want %d matching %q", got.problems, len(tc.problems), tc.problems)
			}
			for i, want := range tc.problems {
				if !strings.Contains(got.problems[i], want) {
					t.Errorf("problem %d = %q, want it to mention %q", i, got.problems[i], want)
				}
			}
		})
	}
}

func TestSameRequests(t *testing.T) {
	a := []string{"GET /", "GET /_dash-layout", "POST /_dash-update-component", "POST /_dash-update-component"}
	if d := sameRequests(a, []string{"POST /_dash-update-component", "GET /_dash-layout", "GET /", "POST /_dash-update-component"}); d != "" {
		t.Errorf("same requests in another order: %s", d)
	}
	d := sameRequests(a, []string{"GET /", "GET /_dash-layout", "POST /_dash-update-component", "GET /_favicon.ico"})
	for _, want := range []string{"the browser sent POST /_dash-update-component 1 more", "the preview logged GET /_favicon.ico 1 more"} {
		if !strings.Contains(d, want) {
			t.Errorf("sameRequests = %q, want it to say %q", d, want)
		}
	}
}

// TestFailuresIgnoreOnlyAbandonedAnswers: a successful answer the page dropped (a cancelled background job's
// poll) is not a failure; an error status, or an abort before any answer, is.
func TestFailuresIgnoreOnlyAbandonedAnswers(t *testing.T) {
	n := newNetRecorder("http://127.0.0.1:1")
	n.reqs = []*netRequest{
		{Method: "POST", URL: "/poll", Status: 204, Failed: "net::ERR_ABORTED", Done: true},
		{Method: "POST", URL: "/cancel", Status: 200, Failed: "net::ERR_ABORTED", Done: true},
		{Method: "POST", URL: "/no-answer", Failed: "net::ERR_ABORTED", Done: true},
		{Method: "GET", URL: "/error", Status: 500, Failed: "net::ERR_ABORTED", Done: true},
		{Method: "GET", URL: "/refused", Failed: "net::ERR_CONNECTION_REFUSED", Done: true},
		{Method: "GET", URL: "/ok", Status: 200, Done: true},
	}
	got := n.failures()
	if len(got) != 3 || !strings.Contains(got[0], "/no-answer") || !strings.Contains(got[1], "/error") ||
		!strings.Contains(got[2], "/refused") {
		t.Errorf("failures = %q, want /no-answer, /error and /refused only", got)
	}
}
