package verify

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// TestBasicAuthSite: a site behind auth.basic answers 401 to everything without credentials; with BasicAuth
// every check passes, and the credentials reach the site only: never the function URL, the bucket or http.
func TestBasicAuthSite(t *testing.T) {
	const user, password = "alice", "pw:with colon"
	dir, m := writeTestBundle(t, testLayout, testDeps)
	d := newDeployment(m, testLayout, testDeps)
	var leaked atomic.Int32
	leak := func(next http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "" {
				leaked.Add(1)
			}
			next(w, r)
		}
	}
	d.function, d.bucket, d.plainHTTP = leak(d.function), leak(d.bucket), leak(d.plainHTTP)
	o := d.serve(t, dir)
	site := o.Client.Transport
	o.Client.Transport = roundTripper(func(r *http.Request) (*http.Response, error) {
		if u, p, ok := r.BasicAuth(); r.URL.Host == strings.TrimPrefix(o.URL, "https://") && (!ok || u != user || p != password) {
			// as the component's viewer-request function answers (edgeauth/viewer_request.js)
			h := http.Header{"Www-Authenticate": {`Basic realm="site"`}}
			return &http.Response{StatusCode: http.StatusUnauthorized, Header: h, Body: http.NoBody, Request: r}, nil
		}
		return site.RoundTrip(r)
	})

	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatal("verify passed a site that answers 401 to every request without credentials")
	}
	for _, c := range rep.Failures() {
		if !strings.Contains(c.Problem, "asks for credentials") || !strings.Contains(c.Fix, "--basic-auth") {
			t.Errorf("%s: problem %q, fix %q; want the credentials named, and --basic-auth", FailureLine(c), c.Problem, c.Fix)
		}
	}
	o.BasicAuth = user + ":" + password
	if rep, err = Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("failures with credentials:\n%s", describe(rep.Failures()))
	}
	if n := leaked.Load(); n != 0 {
		t.Errorf("credentials sent %d times to the function URL, the bucket or plain http", n)
	}
	o.BasicAuth = "no-colon"
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "USER:PASSWORD") {
		t.Errorf("BasicAuth without a colon: %v, want an error naming USER:PASSWORD", err)
	}
}

type roundTripper func(*http.Request) (*http.Response, error)

func (f roundTripper) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }
