package static

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/manifest"
)

func TestContentType(t *testing.T) {
	for key, want := range map[string]string{
		"_dash-component-suites/dash/dcc/async-graph.js": "application/javascript; charset=utf-8",
		"assets/Logo.PNG":   "image/png",
		"assets/font.woff2": "font/woff2",
		"assets/x.svg":      "image/svg+xml",
		"assets/noext":      "application/octet-stream",
		"assets/data.bin":   "application/octet-stream",
	} {
		if got := ContentType(key); got != want {
			t.Errorf("ContentType(%q) = %q, want %q", key, got, want)
		}
	}
}

func TestPattern(t *testing.T) {
	for rule, want := range map[string]string{
		"/report/<report_id>":          "/report/*",
		"/api/<int:id>/items/<path:p>": "/api/*/items/*",
		"/plain":                       "/plain",
	} {
		if got := Pattern(rule); got != want {
			t.Errorf("Pattern(%q) = %q, want %q", rule, got, want)
		}
	}
}

func files(keys ...string) []manifest.File {
	var out []manifest.File
	for _, k := range keys {
		out = append(out, manifest.File{Key: k, Path: k})
	}
	return out
}

func TestPlan(t *testing.T) {
	tests := []struct {
		name        string
		files       []manifest.File
		pages       map[string]bool
		routes      []manifest.ServerRoute
		prefix      string
		want        []string
		unreachable int
		warning     string
	}{
		{
			name:   "single page",
			files:  files("index.html", "_dash-layout", "_dash-component-suites/dash/a.js", "assets/x.css"),
			routes: []manifest.ServerRoute{{Path: "/_dash-update-component", Kind: manifest.RouteCallback}},
			prefix: "/",
			want:   []string{"server /_dash-update-component", "s3 /", "s3 /_dash-layout", "s3 /index.html", "s3 /_dash-component-suites/*", "s3 /assets/*", "server *"},
		},
		{
			name:   "pages are exact, never folders",
			files:  files("index.html", "reports/annual", "analytics"),
			pages:  map[string]bool{"reports/annual": true, "analytics": true},
			prefix: "/",
			want:   []string{"s3 /", "s3 /analytics", "s3 /index.html", "s3 /reports/annual", "server *"},
		},
		{
			name:   "a flask route under an S3 folder comes first",
			files:  files("assets/x.css"),
			routes: []manifest.ServerRoute{{Path: "/assets/upload/<name>", Kind: manifest.RouteFlask}, {Path: "/api/<id>", Kind: manifest.RouteFlask}},
			prefix: "/",
			want:   []string{"server /assets/upload/*", "s3 /assets/*", "server *"},
		},
		{
			name:  "what the app protects goes to the server, before the S3 folder that holds it",
			files: files("_dash-component-suites/dash/a.js", "assets/x.css", "static/logo.svg"),
			routes: []manifest.ServerRoute{
				{Path: "/", Kind: manifest.RouteProtected, Reason: "/ answered 401"},
				{Path: "/_dash-layout", Kind: manifest.RouteProtected},
				{Path: "/assets/private/<path:path>", Kind: manifest.RouteProtected},
				{Path: "/static/secret.pdf", Kind: manifest.RouteProtected},
			},
			prefix: "/", // no index.html: "/" is no S3 key, so it falls to the server
			want: []string{"server /assets/private/*", "server /static/secret.pdf", "s3 /_dash-component-suites/*",
				"s3 /assets/*", "s3 /static/*", "server *"},
		},
		{
			name:   "prefixed app",
			files:  files("app/", "app/_dash-layout", "app/assets/x.css"),
			prefix: "/app/",
			want:   []string{"s3 /app/", "s3 /app/_dash-layout", "s3 /app/assets/*", "server *"},
		},
		{
			name:   "prefixed app with Flask static files at the root",
			files:  files("app/", "app/assets/x.css", "static/logo.svg"),
			prefix: "/app/",
			want:   []string{"s3 /app/", "s3 /app/assets/*", "s3 /static/*", "server *"},
		},
		{
			name: "too many pages fall back to the server",
			files: func() []manifest.File {
				var keys []string
				for i := 0; i < 30; i++ {
					keys = append(keys, "page-"+string(rune('a'+i%26))+strings.Repeat("x", i/26))
				}
				return files(append(keys, "index.html")...)
			}(),
			pages: func() map[string]bool {
				m := map[string]bool{}
				for i := 0; i < 30; i++ {
					m["page-"+string(rune('a'+i%26))+strings.Repeat("x", i/26)] = true
				}
				return m
			}(),
			prefix:      "/",
			unreachable: 8, // 30 pages + index + "/" + "/index.html" + "*" must fit in 25
			warning:     "exceed CloudFront's 25 behaviors",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			behaviors, unreachable, warnings := Plan(tt.files, tt.pages, tt.routes, tt.prefix)
			var got []string
			for _, b := range behaviors {
				got = append(got, b.Origin+" "+b.PathPattern)
				if b.Origin == manifest.OriginS3 && len(b.AllowedMethods) != 2 {
					t.Errorf("%s: S3 behavior allows %v", b.PathPattern, b.AllowedMethods)
				}
			}
			if len(behaviors) > MaxBehaviors {
				t.Errorf("%d behaviors, over the quota", len(behaviors))
			}
			if tt.want != nil && strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("behaviors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if len(unreachable) != tt.unreachable {
				t.Errorf("unreachable = %v, want %d", unreachable, tt.unreachable)
			}
			if tt.warning != "" && !strings.Contains(strings.Join(warnings, "\n"), tt.warning) {
				t.Errorf("warnings %v lack %q", warnings, tt.warning)
			}
			m := manifest.Manifest{Behaviors: behaviors}
			if b := m.Route("/nowhere/at/all"); b.Origin != manifest.OriginServer {
				t.Error("unknown paths must reach the server")
			}
		})
	}
}

func TestFilesCopiesAndClassifies(t *testing.T) {
	src := t.TempDir()
	dir := t.TempDir()
	write := func(name, data string) string {
		p := filepath.Join(src, name)
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if err := os.WriteFile(filepath.Join(dir, "index.html"), []byte("<html>"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := &extract.Report{
		Rendered: []extract.Rendered{{Key: "index.html", File: "index.html", ContentType: "text/html; charset=utf-8"}},
		Copied: []extract.Copied{
			{Key: "_dash-component-suites/dash/a.v1m2.js", Source: write("a.js", "a"), Fingerprinted: true},
			{Key: "_dash-component-suites/dash/async-b.js", Source: write("b.js", "bb")},
		},
	}
	got, err := Files(r, dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		key, class string
		size       int64
	}{
		{"_dash-component-suites/dash/a.v1m2.js", manifest.ClassImmutable, 1},
		{"_dash-component-suites/dash/async-b.js", manifest.ClassRevalidate, 2},
		{"index.html", manifest.ClassRevalidate, 6},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d files, want %d", len(got), len(want))
	}
	for i, w := range want {
		if got[i].Key != w.key || got[i].Class != w.class || got[i].Size != w.size || len(got[i].SHA256) != 64 {
			t.Errorf("file %d = %+v, want %+v", i, got[i], w)
		}
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(got[i].Path))); err != nil {
			t.Errorf("%s not written: %v", got[i].Key, err)
		}
	}

	r.Copied = append(r.Copied, extract.Copied{Key: "index.html", Source: write("c", "c")})
	if _, err := Files(r, dir); err == nil || !strings.Contains(err.Error(), "two static files claim") {
		t.Errorf("duplicate key error = %v", err)
	}
	r.Copied = []extract.Copied{{Key: "x.js", Source: filepath.Join(src, "missing.js")}}
	if _, err := Files(r, dir); err == nil || !strings.Contains(err.Error(), "missing.js") {
		t.Errorf("missing source error = %v", err)
	}
}
