package bundler

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestBundleFlaskStaticFolder: the files of the Flask server's own static folder go to S3 under the URLs Flask
// serves them at (static_folder and static_url_path may be customised), like assets; with no static folder
// nothing is shipped.
func TestBundleFlaskStaticFolder(t *testing.T) {
	fakeDash(t)
	tests := []struct {
		name, server string // the flask.Flask(...) the app passes to Dash
		files        map[string]string
		wantKeys     []string // static files with their content types
		wantTypes    []string
		absent       []string // keys that must not be static
	}{
		{
			name: "default /static", server: "flask.Flask(__name__)",
			files:    map[string]string{"static/img/logo.png": "png", "static/site.css": "body{}", "static/.hidden": "x"},
			wantKeys: []string{"static/img/logo.png", "static/site.css"}, wantTypes: []string{"image/png", "text/css; charset=utf-8"},
			absent: []string{"static/.hidden"},
		},
		{
			name: "custom folder and URL path", server: `flask.Flask(__name__, static_folder="files", static_url_path="/public")`,
			files:    map[string]string{"files/report.pdf": "%PDF", "static/not-served.txt": "x"},
			wantKeys: []string{"public/report.pdf"}, wantTypes: []string{"application/pdf"},
			absent: []string{"static/not-served.txt", "files/report.pdf"},
		},
		{
			name: "an app under a prefix: Flask's static route stays at the root", server: "flask.Flask(__name__), url_base_pathname='/dash/'",
			files:    map[string]string{"static/site.css": "body{}"},
			wantKeys: []string{"static/site.css"}, wantTypes: []string{"text/css; charset=utf-8"},
			absent: []string{"dash/static/site.css"},
		},
		{
			name: "no static folder", server: "flask.Flask(__name__, static_folder=None)",
			files:  map[string]string{"static/site.css": "body{}"},
			absent: []string{"static/site.css"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "app")
			tt.files["app.py"] = "import dash\nimport flask\n\n\ndef create_app():\n    return dash.Dash(__name__, server=" + tt.server + ")\n"
			for name, body := range tt.files {
				if err := os.MkdirAll(filepath.Dir(filepath.Join(src, name)), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(src, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			res, err := bundle(t, src, Options{})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Manifest
			for i, key := range tt.wantKeys {
				f, ok := m.FileForKey(key)
				if !ok || f.ContentType != tt.wantTypes[i] || f.Class != manifest.ClassRevalidate || f.CacheControl != manifest.CacheRevalidate {
					t.Errorf("%s: %+v (found %v), want %s of the revalidate class", key, f, ok, tt.wantTypes[i])
				}
				if b := m.Route("/" + key); b.Origin != manifest.OriginS3 {
					t.Errorf("/%s routed to %s", key, b.Origin)
				}
			}
			for _, key := range tt.absent {
				if _, ok := m.FileForKey(key); ok {
					t.Errorf("%s is on S3", key)
				}
			}
			for _, r := range m.ServerRoutes {
				if r.Kind == manifest.RouteFlask {
					t.Errorf("server route %+v: Flask's static route is on S3 or absent, not a server route", r)
				}
			}
		})
	}
}
