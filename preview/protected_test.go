package preview

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/manifest"
)

// TestPreviewSelfProtectedApp bundles bundler/testdata/apps/protected (a before_request basic auth) with the
// stand-in Dash and serves it: the app itself answers every protected URL, 401 without credentials and 200
// with them, callbacks included; the component suites stay on S3 for anyone.
func TestPreviewSelfProtectedApp(t *testing.T) {
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed: %v", err)
	}
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	t.Setenv("PYTHONPATH", fake)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir())
	src := filepath.Join(t.TempDir(), "protected")
	if err := os.CopyFS(src, os.DirFS("../bundler/testdata/apps/protected")); err != nil {
		t.Fatal(err)
	}
	res, err := bundler.Bundle(context.Background(), bundler.Options{SourceDir: src, SkipInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	log := &syncBuffer{}
	s, err := Start(context.Background(), Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Log: log})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	const credentials = "Basic YWRtaW46czNjcmV0" // admin:s3cret, as the app expects
	// The app's one callback, as the renderer posts it (GETs carry it too, harmlessly).
	const callbackBody = `{"output":"out.children","inputs":[{"id":"in","property":"value","value":42}]}`
	tests := []struct {
		method, path, auth string
		wantStatus         int
		wantBody, wantLog  string // parts of the body, and of the request's log line (the origin)
	}{
		{"GET", "/", "", 401, "login required", "GET / 401 server"},
		{"GET", "/", credentials, 200, "<title>fake", "GET / 200 server"},
		{"GET", "/index.html", "", 401, "", "GET /index.html 401 server"},
		{"GET", "/_dash-layout", "", 401, "", "GET /_dash-layout 401 server"},
		{"GET", "/_dash-layout", credentials, 200, "TOP-SECRET-LAYOUT-7f3a", "GET /_dash-layout 200 server"},
		{"GET", "/assets/data.json", "", 401, "", "GET /assets/data.json 401 server"},
		{"GET", "/static/report.csv", credentials, 200, "TOP-SECRET-STATIC-40de", "GET /static/report.csv 200 server"},
		{"POST", "/_dash-update-component", "", 401, "", "POST /_dash-update-component 401 server"},
		{"POST", "/_dash-update-component", credentials, 200, "echo 42", "POST /_dash-update-component 200 server"},
		{"GET", "/_dash-component-suites/dash/dcc/async-graph.js", "", 200, "", "200 s3"},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path+map[bool]string{true: "+credentials"}[tt.auth != ""], func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, s.URL()+tt.path, strings.NewReader(callbackBody))
			req.Header.Set("Content-Type", "application/json")
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus || !strings.Contains(string(body), tt.wantBody) {
				t.Errorf("%s %s: %d %q, want %d with %q", tt.method, tt.path, resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus == 401 && resp.Header.Get("WWW-Authenticate") == "" {
				t.Errorf("%s %s: 401 without WWW-Authenticate: browsers would not ask for credentials", tt.method, tt.path)
			}
			eventually(t, "the log line "+tt.wantLog, func() bool { return strings.Contains(log.String(), tt.wantLog) })
		})
	}
}

// TestRootWithoutIndex: with no index.html in the bundle (the app protects its index page) the component sets
// no default root object, so "/" reaches the server function as "/", not as "/index.html".
func TestRootWithoutIndex(t *testing.T) {
	dir, _ := writeBundle(t, []byte("def handler(event, context):\n    return None\n"))
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	var kept []manifest.File
	for _, f := range m.Files {
		if f.Key != DefaultRootObject {
			kept = append(kept, f)
		}
	}
	m.Files = kept
	fake := &fakeFunction{}
	ts := httptest.NewServer(&Server{m: m, dir: dir, log: &logger{w: io.Discard}, fn: fake, timeout: time.Second})
	defer ts.Close()
	resp, err := http.Get(ts.URL + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if e, n := fake.last(); n != 1 || e.RawPath != "/" {
		t.Errorf("GET / reached the server function %d times, last as %q; want once as \"/\"", n, e.RawPath)
	}
}
