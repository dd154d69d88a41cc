package bundler

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestBundleSelfProtectedApps bundles apps that refuse anonymous requests (testdata/apps/protected, login and
// partial) with the stand-in Dash: what they refuse is a protected server route with its reason, behaviors
// send it to the server, and none of its bytes are under .open-dash/assets.
func TestBundleSelfProtectedApps(t *testing.T) {
	fakeDash(t)
	tests := []struct {
		app     string
		secrets []string
		// wantFiles must be static; wantServer must route to the server and be absent from S3.
		wantFiles, wantServer []string
		// wantRoutes maps each protected route path to a part of its reason.
		wantRoutes map[string]string
	}{
		{
			app:     "protected", // before_request 401 + WWW-Authenticate, all but the component suites
			secrets: []string{"TOP-SECRET-LAYOUT-7f3a", "TOP-SECRET-ASSET-91c2", "TOP-SECRET-STATIC-40de"},
			wantFiles: []string{"_dash-component-suites/dash/deps/deps.v9_9_9m1700000000.min.js",
				"_dash-component-suites/dash/dcc/async-graph.js"},
			wantServer: []string{"/", "/index.html", "/_dash-layout", "/_dash-dependencies", "/_favicon.ico",
				"/assets/style.css", "/assets/data.json", "/static/report.csv"},
			wantRoutes: map[string]string{
				"/":                   "/ answered 401 to an anonymous request",
				"/_dash-layout":       "answered 401",
				"/_dash-dependencies": "answered 401",
				"/_favicon.ico":       "answered 401",
				"/assets/<path:path>": "as does everything under /assets/",
				"/static/<path:path>": "/static/report.csv answered 401",
			},
		},
		{
			app:        "login", // 302 to /login
			secrets:    []string{"TOP-SECRET-LAYOUT-5b11"},
			wantFiles:  []string{"_dash-component-suites/dash/deps/deps.v9_9_9m1700000000.min.js"},
			wantServer: []string{"/", "/_dash-layout", "/assets/style.css", "/login"},
			wantRoutes: map[string]string{
				"/":                   "/ redirected an anonymous request to /login (302)",
				"/_dash-layout":       "to /login (302)",
				"/_dash-dependencies": "to /login (302)",
				"/_favicon.ico":       "to /login (302)",
				"/assets/<path:path>": "/assets/style.css redirected",
			},
		},
		{
			app:     "partial", // public index; layout, assets/private and static/private need a token
			secrets: []string{"TOP-SECRET-LAYOUT-c7e9", "TOP-SECRET-ASSET-e6f0", "TOP-SECRET-ASSET-aa31", "TOP-SECRET-STATIC-77ab"},
			wantFiles: []string{"index.html", "_dash-dependencies", "assets/style.css", "assets/public.css",
				"static/logo.svg"},
			wantServer: []string{"/_dash-layout", "/assets/private/plan.json", "/static/private/board.txt"},
			wantRoutes: map[string]string{
				"/_dash-layout":               "/_dash-layout answered 403",
				"/assets/private/<path:path>": "as does everything under /assets/private/",
				"/static/private/<path:path>": "/static/private/board.txt answered 403",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.app, func(t *testing.T) {
			res, err := bundle(t, fixture(t, tt.app), Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Manifest
			for _, key := range tt.wantFiles {
				if _, ok := m.FileForKey(key); !ok {
					t.Errorf("%s is not a static file", key)
				}
				if f, _ := m.FileForKey(key); strings.HasPrefix(key, "static/") && (f.Class != manifest.ClassRevalidate ||
					f.CacheControl != manifest.CacheRevalidate || f.ContentType != "image/svg+xml") {
					t.Errorf("Flask static file %s: %+v, want an SVG of the revalidate class like assets", key, f)
				}
				if b := m.Route("/" + key); b.Origin != manifest.OriginS3 {
					t.Errorf("/%s routed to %s (behavior %s), want s3", key, b.Origin, b.PathPattern)
				}
			}
			for _, p := range tt.wantServer {
				if b := m.Route(p); b.Origin != manifest.OriginServer {
					t.Errorf("%s routed to %s (behavior %s), want the server", p, b.Origin, b.PathPattern)
				}
				if _, ok := m.FileForKey(strings.TrimPrefix(p, "/")); ok && p != "/" {
					t.Errorf("%s is on S3", p)
				}
			}
			if _, ok := m.FileForKey("index.html"); ok != slices.Contains(tt.wantFiles, "index.html") {
				t.Errorf("index.html on S3 = %v: CloudFront's default root object would be wrong", ok)
			}
			got := map[string]string{}
			for _, r := range m.ServerRoutes {
				if r.Kind == manifest.RouteProtected {
					got[r.Path] = r.Reason
				}
			}
			for path, reason := range tt.wantRoutes {
				if !strings.Contains(got[path], reason) {
					t.Errorf("protected route %s: reason %q, want it to contain %q", path, got[path], reason)
				}
			}
			if len(got) != len(tt.wantRoutes) {
				t.Errorf("protected routes = %q, want exactly %d", got, len(tt.wantRoutes))
			}
			noSecrets(t, filepath.Join(res.OutDir, AssetsDir), tt.secrets)
		})
	}
}

// noSecrets fails when any file under dir holds one of the secrets.
func noSecrets(t *testing.T, dir string, secrets []string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		for _, s := range secrets {
			if strings.Contains(string(data), s) {
				t.Errorf("%s holds the protected %q", path, s)
			}
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
