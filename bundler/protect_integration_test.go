package bundler

import (
	"context"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/bodyhash"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
)

// TestIntegrationProtected bundles examples/protected (basic auth in a before_request hook) with real Dash and
// serves it with the preview: the static site holds only Dash's library code, the app answers everything else
// itself (401 anonymously, the page, layout and callbacks with credentials), and every script the signed-in
// index page links is on S3.
func TestIntegrationProtected(t *testing.T) {
	py := realDash(t)
	src := example(t, "protected")
	res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	for _, f := range m.Files {
		// Library code only: Dash's, and OpenDash's body-hash script every page loads.
		if !strings.HasPrefix(f.Key, "_dash-component-suites/") && f.Key != bodyhash.Path() {
			t.Errorf("/%s is on S3, but the app protects everything but the component suites", f.Key)
		}
	}
	for _, p := range []string{"/", "/index.html", "/_dash-layout", "/_dash-dependencies", "/assets/style.css", "/static/seal.svg"} {
		if b := m.Route(p); b.Origin != manifest.OriginServer {
			t.Errorf("%s is routed to %s (behavior %s), want the server", p, b.Origin, b.PathPattern)
		}
	}
	reasons := map[string]string{}
	for _, r := range m.ServerRoutes {
		if r.Kind == manifest.RouteProtected {
			reasons[r.Path] = r.Reason
		}
	}
	if !strings.Contains(reasons["/"], "answered 401") || reasons["/_dash-layout"] == "" {
		t.Errorf("protected routes = %q, want / and /_dash-layout with their reasons", reasons)
	}
	noSecrets(t, filepath.Join(res.OutDir, AssetsDir), []string{"Board figures (confidential)", "M EUR"})

	srv, err := preview.Start(context.Background(), preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Python: py})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	const credentials = "Basic YWRtaW46czNjcmV0" // admin:s3cret, the example's defaults
	get := func(method, path, auth, body string) (int, string) {
		t.Helper()
		req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		if body != "" {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		data, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(data)
	}
	if code, _ := get("GET", "/", "", ""); code != 401 {
		t.Errorf("anonymous GET / = %d, want 401", code)
	}
	code, index := get("GET", "/", credentials, "")
	if code != 200 || !strings.Contains(index, "_dash-config") {
		t.Fatalf("GET / with credentials = %d:\n%s", code, index)
	}
	for _, match := range urlAttr.FindAllStringSubmatch(index, -1) {
		if key := strings.TrimPrefix(match[1], "/"); strings.HasPrefix(key, "_dash-component-suites/") {
			if code, _ := get("GET", "/"+key, "", ""); code != 200 {
				t.Errorf("anonymous GET /%s (linked by the index page) = %d, want 200 from S3", key, code)
			}
			checkFile(t, m, filepath.Join(res.OutDir, AssetsDir), key)
		}
	}
	if code, layout := get("GET", "/_dash-layout", credentials, ""); code != 200 || !strings.Contains(layout, "confidential") {
		t.Errorf("GET /_dash-layout with credentials = %d %.200s", code, layout)
	}
	callback := `{"output":"revenue.children","outputs":{"id":"revenue","property":"children"},` +
		`"inputs":[{"id":"quarter","property":"value","value":"Q4"}],"changedPropIds":["quarter.value"]}`
	if code, _ := get("POST", "/_dash-update-component", "", callback); code != 401 {
		t.Errorf("anonymous callback = %d, want 401", code)
	}
	if code, out := get("POST", "/_dash-update-component", credentials, callback); code != 200 || !strings.Contains(out, "Q4 revenue: 1.76 M EUR") {
		t.Errorf("callback with credentials = %d %s", code, out)
	}
	if code, svg := get("GET", "/static/seal.svg", credentials, ""); code != 200 || !strings.Contains(svg, "<svg") {
		t.Errorf("GET /static/seal.svg with credentials = %d", code)
	}
}
