package bundler

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
)

// TestBundleOwnStaticRoute: an app with its own /static/<path> route beside Flask's static folder bundles,
// and each /static/ path goes where the app's own url_map sends it: with plotly's recipe (the same shape as
// Flask's route, registered after it) Flask's static view answers everything, so the folder is on S3 and the
// app's route is no server route; with /static/<resource> the app's route wins one-segment paths (served by
// the server, from public/) and Flask's view the deeper ones (on S3, by exact behaviors ahead of it). The
// preview answers each as Dash's own server would.
func TestBundleOwnStaticRoute(t *testing.T) {
	fakeDash(t)
	tests := []struct {
		fixture   string
		behaviors []string          // the /static/ behaviors, in order
		answers   map[string]string // path -> body the preview answers
		static    []string          // keys on S3
		notStatic []string
	}{
		{
			fixture:   "own_static",
			behaviors: []string{"s3 /static/*"},
			answers:   map[string]string{"/static/css/site.css": "body { color: teal; }\n"},
			static:    []string{"static/css/site.css", "static/logo.svg"},
		},
		{
			fixture:   "static_resource",
			behaviors: []string{"s3 /static/css/deep.css", "server /static/*"},
			answers:   map[string]string{"/static/top.css": "from public/\n", "/static/css/deep.css": "from static/css/\n"},
			static:    []string{"static/css/deep.css"},
			notStatic: []string{"static/top.css"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			res, err := bundle(t, fixture(t, tt.fixture), Options{})
			if err != nil {
				t.Fatal(err) // was: "behavior 9: path pattern "/static/*" appears twice", an "OpenDash bug"
			}
			m := res.Manifest
			var got []string
			for _, b := range m.Behaviors {
				if strings.HasPrefix(b.PathPattern, "/static/") {
					got = append(got, b.Origin+" "+b.PathPattern)
				}
			}
			if !slices.Equal(got, tt.behaviors) {
				t.Errorf("/static/ behaviors = %q, want %q", got, tt.behaviors)
			}
			for _, k := range tt.static {
				if _, ok := m.FileForKey(k); !ok {
					t.Errorf("%s is not on S3", k)
				}
			}
			for _, k := range tt.notStatic {
				if _, ok := m.FileForKey(k); ok {
					t.Errorf("%s is on S3, but the app's own route answers it", k)
				}
			}
			for _, r := range m.ServerRoutes {
				if r.Kind == manifest.RouteFlask && tt.fixture == "own_static" {
					t.Errorf("server route %+v never answers: Flask's static route wins all its paths", r)
				}
			}
			srv, err := preview.Start(context.Background(), preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Python: "python3"})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			for path, want := range tt.answers {
				resp, err := http.Get(srv.URL() + path)
				if err != nil {
					t.Fatal(err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != 200 || string(body) != want {
					t.Errorf("GET %s = %d %q, want %q", path, resp.StatusCode, body, want)
				}
			}
		})
	}
}
