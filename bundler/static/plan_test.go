package static

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestPlanRoutesOwnStatic: two routes for one prefix are one behavior. An app's own /static/<resource>
// (which Werkzeug prefers to Flask's /static/<path:filename> for one-segment paths) takes the folder: the
// files Flask's static view answered stay on S3 by exact behaviors ahead of it. Keys and rules CloudFront
// cannot name are left to the server, and a rule's refused characters become a wider pattern.
func TestPlanRoutesOwnStatic(t *testing.T) {
	tests := []struct {
		name        string
		files       []manifest.File
		pages       map[string]bool
		routes      []manifest.ServerRoute
		want        []string
		unreachable []string
	}{
		{
			name:   "the app's route has the folder's pattern",
			files:  files("index.html", "static/css/site.css", "static/img/logo.svg"),
			routes: []manifest.ServerRoute{{Path: "/static/<resource>", Kind: manifest.RouteFlask}},
			want: []string{"s3 /static/css/site.css", "s3 /static/img/logo.svg", "server /static/*", "s3 /",
				"s3 /index.html", "server *"},
		},
		{
			name:   "a static file a route's pattern covers stays ahead of it",
			files:  files("assets/a.css", "assets/sub/b.css"),
			routes: []manifest.ServerRoute{{Path: "/assets/sub/<name>", Kind: manifest.RouteFlask}},
			want:   []string{"s3 /assets/sub/b.css", "server /assets/sub/*", "s3 /assets/*", "server *"},
		},
		{
			name:  "keys CloudFront cannot name are the server's",
			files: files("index.html", "my report", "a*b", "ünï/x.css", "assets/ok.css", "assets/space file.css"),
			pages: map[string]bool{"my report": true},
			want:  []string{"s3 /", "s3 /index.html", "s3 /assets/*", "server *"},
			// assets/space file.css stays: its folder's pattern names it
			unreachable: []string{"a*b", "my report", "ünï/x.css"},
		},
		{
			name:   "a rule with refused characters gets a wider pattern",
			files:  files("assets/a.css"),
			routes: []manifest.ServerRoute{{Path: "/assets/données/<p>", Kind: manifest.RouteFlask}},
			want:   []string{"server /assets/donn*es/*", "s3 /assets/*", "server *"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			behaviors, unreachable, _ := Plan(tt.files, tt.pages, tt.routes, "/")
			var got []string
			for _, b := range behaviors {
				got = append(got, b.Origin+" "+b.PathPattern)
			}
			if strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("behaviors:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if !slices.Equal(unreachable, tt.unreachable) {
				t.Errorf("unreachable = %q, want %q", unreachable, tt.unreachable)
			}
			checkPlan(t, tt.files, tt.routes, behaviors, unreachable)
		})
	}
}

// TestPlanAlwaysValid: whatever an app holds (file names with any character, pages, Flask rules with
// converters and odd characters, prefixes), the plan makes a manifest that validates, serves every kept file
// from S3 and every server route's paths from the server. User input never reaches "an OpenDash bug".
func TestPlanAlwaysValid(t *testing.T) {
	rng := rand.New(rand.NewSource(25))
	segments := []string{"assets", "static", "_dash-component-suites", "data", "img", "a b", "ünï", "x*y", "q?",
		"%20", "~tilde", "long" + strings.Repeat("x", 120), "reports", "app", "index.html", "_dash-layout"}
	converters := []string{"", "<name>", "<path:p>", "<int:id>", "<uuid:u>"}
	for i := 0; i < 500; i++ {
		prefix := []string{"/", "/app/", "/dash/v1/"}[rng.Intn(3)]
		pick := func() string { return segments[rng.Intn(len(segments))] }
		pages := map[string]bool{}
		seen := map[string]bool{}
		var fs []manifest.File
		for n := rng.Intn(40); n > 0; n-- {
			parts := []string{strings.TrimPrefix(prefix, "/") + pick()}
			for d := rng.Intn(3); d > 0; d-- {
				parts = append(parts, pick())
			}
			key := strings.Join(parts, "/")
			if seen[key] {
				continue
			}
			seen[key] = true
			fs = append(fs, manifest.File{Key: key, Path: key, Class: manifest.ClassRevalidate})
			if rng.Intn(4) == 0 {
				pages[key] = true
			}
		}
		slices.SortFunc(fs, func(a, b manifest.File) int { return strings.Compare(a.Key, b.Key) })
		var routes []manifest.ServerRoute
		for n := rng.Intn(6); n > 0; n-- {
			kinds := []string{manifest.RouteFlask, manifest.RouteProtected, manifest.RouteCallback, manifest.RouteDynamicPage}
			path := "/" + pick() + "/" + converters[rng.Intn(len(converters))]
			if rng.Intn(3) == 0 {
				path = "/" + pick() + "/" + pick() + "/" + converters[rng.Intn(len(converters))]
			}
			routes = append(routes, manifest.ServerRoute{Path: path, Kind: kinds[rng.Intn(len(kinds))], Methods: []string{"GET"}})
		}
		behaviors, unreachable, _ := Plan(fs, pages, routes, prefix)
		t.Run(fmt.Sprint(i), func(t *testing.T) { checkPlan(t, fs, routes, behaviors, unreachable) })
		if t.Failed() {
			t.Logf("files %v\npages %v\nroutes %+v\nprefix %s", fs, pages, routes, prefix)
			return
		}
	}
}

// checkPlan asserts what every plan must give: a valid manifest (within CloudFront's quota when nothing is
// over it), S3 for every kept file, the server for every dropped one and for every route's paths.
func checkPlan(t *testing.T, fs []manifest.File, routes []manifest.ServerRoute, behaviors []manifest.Behavior, unreachable []string) {
	t.Helper()
	var kept []manifest.File
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b manifest.File) int { return strings.Compare(a.Key, b.Key) })
	for _, f := range fs {
		if !slices.Contains(unreachable, f.Key) {
			kept = append(kept, f)
		}
	}
	m := manifest.Manifest{SchemaVersion: manifest.SchemaVersion, Behaviors: behaviors, Files: kept,
		Origins: manifest.Origins{S3: manifest.S3Origin{Dir: "assets"},
			Server: manifest.FunctionOrigin{Dir: "server", Handler: "h.handler", Architecture: "x86_64"}}}
	for i := range m.Files {
		m.Files[i].Class = manifest.ClassRevalidate
	}
	if err := m.Validate(); err != nil {
		t.Fatalf("the plan's manifest does not validate: %v", err)
	}
	if len(behaviors) > MaxBehaviors {
		t.Errorf("%d behaviors, over CloudFront's quota", len(behaviors))
	}
	for _, f := range kept {
		if b := m.Route("/" + f.Key); b.Origin != manifest.OriginS3 {
			t.Errorf("static file %q is routed to %s by %q", f.Key, b.Origin, b.PathPattern)
		}
	}
	for _, k := range unreachable {
		if b := m.Route("/" + k); b.Origin != manifest.OriginServer {
			t.Errorf("dropped file %q is routed to %s by %q", k, b.Origin, b.PathPattern)
		}
	}
	for _, r := range routes {
		example := strings.ReplaceAll(Pattern(r.Path), "*", "x")
		if _, isFile := m.FileForKey(strings.TrimPrefix(example, "/")); isFile {
			continue // the app answered that very path with a file
		}
		if b := m.Route(example); b.Origin != manifest.OriginServer {
			t.Errorf("route %s: %s is routed to %s by %q", r.Path, example, b.Origin, b.PathPattern)
		}
	}
}
