package preview

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
)

// fakeFunction stands in for the Python worker: it records events and returns a fixed result or error.
type fakeFunction struct {
	mu     sync.Mutex
	events []Event
	result json.RawMessage
	err    error
}

func (f *fakeFunction) invoke(_ context.Context, _ string, event []byte, _ time.Duration) (json.RawMessage, error) {
	var e Event
	if err := json.Unmarshal(event, &e); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.events = append(f.events, e)
	if f.err != nil {
		return nil, f.err
	}
	if f.result != nil {
		return f.result, nil
	}
	return json.RawMessage(`{"statusCode":200,"headers":{"content-type":"text/plain"},"body":"from the server function"}`), nil
}

func (f *fakeFunction) close() {}

func (f *fakeFunction) last() (Event, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.events) == 0 {
		return Event{}, 0
	}
	return f.events[len(f.events)-1], len(f.events)
}

// newRoutingServer serves the test bundle with a fake server function: routing needs no Python.
func newRoutingServer(t *testing.T) (*httptest.Server, *fakeFunction, *syncBuffer) {
	t.Helper()
	dir, _ := writeBundle(t, []byte("def handler(event, context):\n    return None\n"))
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := checkFiles(dir, m); err != nil {
		t.Fatal(err)
	}
	fake := &fakeFunction{}
	log := &syncBuffer{}
	s := &Server{m: m, dir: dir, log: &logger{w: log}, fn: fake, timeout: time.Second}
	ts := httptest.NewServer(s)
	t.Cleanup(ts.Close)
	return ts, fake, log
}

func TestRouting(t *testing.T) {
	ts, fake, log := newRoutingServer(t)
	react := "_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js"
	tests := []struct {
		name, method, path string
		body               string
		wantStatus         int
		wantOrigin         string // as logged
		wantType           string
		wantCache          string
		wantBody           string // exact, or a substring for errors (wantContains)
		wantContains       bool
		wantRawPath        string // for server requests: what the function saw
	}{
		{"default root object", "GET", "/", "", 200, "s3", "text/html; charset=utf-8", manifest.CacheRevalidate, fileBody("index.html"), false, ""},
		{"index by name", "GET", "/index.html", "", 200, "s3", "text/html; charset=utf-8", manifest.CacheRevalidate, fileBody("index.html"), false, ""},
		{"pages deep link", "GET", "/page-1", "", 200, "s3", "text/html; charset=utf-8", manifest.CacheRevalidate, fileBody("page-1"), false, ""},
		{"query ignored by s3", "GET", "/page-1?tab=2", "", 200, "s3", "text/html; charset=utf-8", manifest.CacheRevalidate, fileBody("page-1"), false, ""},
		{"folder behavior", "GET", "/assets/style.css", "", 200, "s3", "text/css; charset=utf-8", manifest.CacheRevalidate, fileBody("assets/style.css"), false, ""},
		{"fingerprinted immutable", "GET", "/" + react, "", 200, "s3", "application/javascript", manifest.CacheImmutable, fileBody(react), false, ""},
		{"exact s3 key", "GET", "/_dash-layout", "", 200, "s3", "application/json", manifest.CacheRevalidate, fileBody("_dash-layout"), false, ""},
		{"missing key is access denied", "GET", "/assets/missing.css", "", 403, "s3", "application/xml", "", "<Code>AccessDenied</Code>", true, ""},
		{"head missing key", "HEAD", "/assets/missing.css", "", 403, "s3", "application/xml", "", "", false, ""},
		{"head static", "HEAD", "/assets/style.css", "", 200, "s3", "text/css; charset=utf-8", manifest.CacheRevalidate, "", false, ""},
		{"post to s3 behavior", "POST", "/assets/style.css", "x=1", 403, "cloudfront", "text/html", "", "not configured to allow the HTTP request method", true, ""},
		{"options to s3 behavior", "OPTIONS", "/page-1", "", 403, "cloudfront", "text/html", "", "The request could not be satisfied", true, ""},
		{"post to root (s3 via default root object)", "POST", "/", "", 403, "cloudfront", "text/html", "", "not configured to allow", true, ""},
		{"callback to server", "POST", "/_dash-update-component", `{"output":"x.children"}`, 200, "server", "text/plain", "", "from the server function", false, "/_dash-update-component"},
		{"unknown path to server", "GET", "/report/7?x=1", "", 200, "server", "text/plain", "", "from the server function", false, "/report/7"},
		{"trailing slash is not the page key", "GET", "/page-1/", "", 200, "server", "text/plain", "", "from the server function", false, "/page-1/"},
		{"encoded path to server", "GET", "/a%20b/c", "", 200, "server", "text/plain", "", "from the server function", false, "/a%20b/c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := fake.last()
			req, err := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d (body %q)", resp.StatusCode, tt.wantStatus, body)
			}
			if got := resp.Header.Get("Content-Type"); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if got := resp.Header.Get("Cache-Control"); got != tt.wantCache {
				t.Errorf("Cache-Control = %q, want %q", got, tt.wantCache)
			}
			if tt.wantContains && !strings.Contains(string(body), tt.wantBody) || !tt.wantContains && string(body) != tt.wantBody {
				t.Errorf("body = %q, want %q", body, tt.wantBody)
			}
			ev, after := fake.last()
			switch {
			case tt.wantRawPath == "" && after != before:
				t.Errorf("the server function was called (%s) for a request CloudFront answers without it", ev.RawPath)
			case tt.wantRawPath != "" && after == before:
				t.Errorf("the server function was not called")
			case tt.wantRawPath != "" && ev.RawPath != tt.wantRawPath:
				t.Errorf("the function saw rawPath %q, want %q", ev.RawPath, tt.wantRawPath)
			}
			wantLog := fmt.Sprintf("%s %s %d %s ", tt.method, tt.path, tt.wantStatus, tt.wantOrigin)
			eventually(t, "log line "+wantLog, func() bool { return strings.Contains(log.String(), wantLog) })
		})
	}
}

func TestStaticConditionalAndRange(t *testing.T) {
	ts, _, _ := newRoutingServer(t)
	resp, err := http.Get(ts.URL + "/assets/style.css")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	etag := resp.Header.Get("ETag")
	if len(etag) != 66 || etag[0] != '"' {
		t.Fatalf("ETag = %q, want the quoted sha256 from the manifest", etag)
	}

	req, _ := http.NewRequest("GET", ts.URL+"/assets/style.css?v=2", nil)
	req.Header.Set("If-None-Match", etag)
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNotModified {
		t.Errorf("If-None-Match with the current ETag: status %d, want 304", resp.StatusCode)
	}

	req, _ = http.NewRequest("GET", ts.URL+"/assets/style.css", nil)
	req.Header.Set("Range", "bytes=0-3")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusPartialContent || string(body) != "body" {
		t.Errorf("Range 0-3: status %d body %q, want 206 %q", resp.StatusCode, body, "body")
	}
}

func TestServerLimitsAndFailures(t *testing.T) {
	tests := []struct {
		name       string
		body       int // request body size
		result     string
		err        error
		wantStatus int
		wantCalled bool
		wantLog    string
	}{
		{"body over the edge signer's limit", MaxViewerBody + 1, "", nil, 413, false, "edge signer refuses it"},
		{"body at the limit", MaxViewerBody, "", nil, 200, true, ""},
		{"response over 6 MB", 0, `{"statusCode":200,"body":"` + strings.Repeat("x", MaxPayload) + `"}`, nil, 502, true, "response limit"},
		{"not a response", 0, `{"statusCode":"teapot"}`, nil, 502, true, "not an HTTP status number"},
		{"handler raised", 0, "", &lambdaError{Type: "ValueError", Message: "boom"}, 502, true, "raised ValueError: boom"},
		{"worker crashed", 0, "", &crashError{"exited with status 3"}, 502, true, "crashed"},
		{"import failed", 0, "", &initError{"index.py", &lambdaError{Type: "Runtime.ImportModuleError", Message: "No module named 'flask'"}}, 502, true, "No module named 'flask'"},
		{"timed out", 0, "", errTimeout, 504, true, "ran past"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts, fake, log := newRoutingServer(t)
			fake.result, fake.err = json.RawMessage(tt.result), tt.err
			if tt.result == "" {
				fake.result = nil
			}
			resp, err := http.Post(ts.URL+"/_dash-update-component", "application/json", strings.NewReader(strings.Repeat("a", tt.body)))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if _, n := fake.last(); (n > 0) != tt.wantCalled {
				t.Errorf("function called = %v, want %v", n > 0, tt.wantCalled)
			}
			if tt.wantLog != "" && !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, log)
			}
		})
	}
}

func TestStartErrors(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T) string
		want  string
	}{
		{"no manifest", func(t *testing.T) string { return t.TempDir() }, "open-dash bundle"},
		{"missing static file", func(t *testing.T) string {
			dir, _ := writeBundle(t, []byte(""))
			if err := removeFile(dir, "assets/page-1/index.html"); err != nil {
				t.Fatal(err)
			}
			return dir
		}, "page-1/index.html: listed in open-dash.output.json for /page-1"},
		{"missing handler", func(t *testing.T) string {
			dir, _ := writeBundle(t, []byte(""))
			if err := removeFile(dir, "server-functions/default/index.py"); err != nil {
				t.Fatal(err)
			}
			return dir
		}, `index.py: the server function's handler "index.handler" is missing`},
		{"no interpreter", func(t *testing.T) string {
			dir, _ := writeBundle(t, []byte(""))
			return dir
		}, "/nonexistent/python (from --python) not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Start(context.Background(), Options{Dir: tt.setup(t), Addr: "127.0.0.1:0", Python: "/nonexistent/python"})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Start error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestSamePython(t *testing.T) {
	tests := []struct {
		local, image string
		want         bool
	}{
		{"3.11.7", "3.11", true},
		{"3.11.7", "", true},
		{"3.11", "3.11", true},
		{"3.11.7", "3.1", false},
		{"3.12.1", "3.11", false},
	}
	for _, tt := range tests {
		if got := samePython(tt.local, tt.image); got != tt.want {
			t.Errorf("samePython(%q, %q) = %v, want %v", tt.local, tt.image, got, tt.want)
		}
	}
}
