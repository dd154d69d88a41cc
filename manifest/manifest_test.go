package manifest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMatch(t *testing.T) {
	tests := []struct {
		pattern, path string
		want          bool
	}{
		{"*", "/anything/at/all", true},
		{"/_dash-component-suites/*", "/_dash-component-suites/dash/dcc/async-graph.js", true},
		{"/_dash-component-suites/*", "/_dash-component-suites", false},
		{"/assets/*", "/assets/", true},
		{"/_dash-layout", "/_dash-layout", true},
		{"/_dash-layout", "/_dash-layout/x", false},
		{"/app/*.js", "/app/deep/x.js", true},
		{"/app/*.js", "/app/x.css", false},
		{"/page-?", "/page-1", true},
		{"/page-?", "/page-12", false},
		{"/Page", "/page", false},
		{"/a*b*c", "/aXXbYYc", true},
		{"/a*b*c", "/aXXbYY", false},
		{"", "", true},
	}
	for _, tt := range tests {
		if got := Match(tt.pattern, tt.path); got != tt.want {
			t.Errorf("Match(%q, %q) = %v, want %v", tt.pattern, tt.path, got, tt.want)
		}
	}
}

func valid() *Manifest {
	return &Manifest{
		SchemaVersion: SchemaVersion,
		App:           App{Entry: Entry{Module: "index", Attribute: "app"}},
		Origins: Origins{
			S3:     S3Origin{Dir: "assets"},
			Server: FunctionOrigin{Dir: "server-functions/default", Handler: "index.handler", Architecture: "x86_64"},
		},
		Behaviors: []Behavior{
			{PathPattern: "/_dash-update-component", Origin: OriginServer, AllowedMethods: MethodsAll},
			{PathPattern: "/_dash-*", Origin: OriginS3, AllowedMethods: MethodsRead},
			{PathPattern: "*", Origin: OriginServer, AllowedMethods: MethodsAll},
		},
		Files: []File{
			{Key: "_dash-layout", Path: "_dash-layout", Class: ClassRevalidate},
			{Key: "index.html", Path: "index.html", Class: ClassRevalidate},
		},
		ServerRoutes: []ServerRoute{
			{Path: "/_dash-update-component", Kind: RouteCallback, Methods: []string{"POST"}},
			{Path: "/assets/private/<path:path>", Kind: RouteProtected, Methods: []string{"GET"},
				Reason: "/assets/private/a.json answered 401 to an anonymous request"},
		},
	}
}

func TestRoute(t *testing.T) {
	m := valid()
	for path, want := range map[string]string{
		"/_dash-update-component": OriginServer,
		"/_dash-layout":           OriginS3,
		"/report/7":               OriginServer,
	} {
		if got := m.Route(path).Origin; got != want {
			t.Errorf("Route(%q) = %s, want %s", path, got, want)
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(m *Manifest)
		want   string
	}{
		{"valid", func(*Manifest) {}, ""},
		{"old schema", func(m *Manifest) { m.SchemaVersion = 0 }, "schema version 0"},
		{"no default", func(m *Manifest) { m.Behaviors = m.Behaviors[:2] }, `path pattern "*"`},
		{"bad origin", func(m *Manifest) { m.Behaviors[0].Origin = "web" }, `unknown origin "web"`},
		{"bad methods", func(m *Manifest) { m.Behaviors[0].AllowedMethods = []string{"GET", "POST"} }, "not a set CloudFront accepts"},
		{"relative pattern", func(m *Manifest) { m.Behaviors[0].PathPattern = "x/*" }, "must start with '/'"},
		{"duplicate pattern", func(m *Manifest) { m.Behaviors[1].PathPattern = m.Behaviors[0].PathPattern }, "appears twice"},
		{"unsorted files", func(m *Manifest) { m.Files[0], m.Files[1] = m.Files[1], m.Files[0] }, "sorted by key"},
		{"escaping path", func(m *Manifest) { m.Files[0].Path = "../secret" }, "must stay inside"},
		{"leading slash key", func(m *Manifest) { m.Files[0].Key = "/x" }, "not start with '/'"},
		{"bad class", func(m *Manifest) { m.Files[0].Class = "forever" }, `unknown class "forever"`},
		{"relative source", func(m *Manifest) { m.App.Source = "../app" }, ""},
		{"absolute source", func(m *Manifest) { m.App.Source = "/home/me/app" }, "relative to the bundle folder"},
		{"bad arch", func(m *Manifest) { m.Origins.Server.Architecture = "ppc" }, "neither x86_64 nor arm64"},
		{"no entry (older bundle)", func(m *Manifest) { m.App.Entry = Entry{} }, ""},
		{"dotted entry", func(m *Manifest) { m.App.Entry = Entry{Module: "pkg.app", Attribute: "make", Call: true} }, ""},
		{"entry without attribute", func(m *Manifest) { m.App.Entry.Attribute = "" }, `app entry "index:"`},
		{"entry with a path", func(m *Manifest) { m.App.Entry.Module = "pkg/app" }, "not MODULE:ATTRIBUTE"},
		{"dotted attribute", func(m *Manifest) { m.App.Entry.Attribute = "a.b" }, "not MODULE:ATTRIBUTE"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := valid()
			tt.mutate(m)
			err := m.Validate()
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %v, want it to mention %q", err, tt.want)
			}
		})
	}
}

func TestSourceDir(t *testing.T) {
	m := valid()
	if got := m.SourceDir("/b/.open-dash"); got != "" {
		t.Errorf("no source recorded: SourceDir = %q", got)
	}
	if m.MadeFrom("/b/.open-dash", "/b/single-page") {
		t.Error("MadeFrom is true without a recorded source")
	}
	m.App.Source = "../single-page"
	if got := m.SourceDir("/b/.open-dash"); got != filepath.FromSlash("/b/single-page") {
		t.Errorf("SourceDir = %q", got)
	}
	root := t.TempDir()
	for _, d := range []string{"app", "other", ".open-dash"} {
		os.MkdirAll(filepath.Join(root, d), 0o755)
	}
	os.Symlink(filepath.Join(root, "app"), filepath.Join(root, "link"))
	m.App.Source = "../app"
	bundle := filepath.Join(root, ".open-dash")
	for src, want := range map[string]bool{"app": true, "link": true, "other": false, "gone": false} {
		if got := m.MadeFrom(bundle, filepath.Join(root, src)); got != want {
			t.Errorf("MadeFrom(%s) = %v, want %v", src, got, want)
		}
	}
}

func TestEntryString(t *testing.T) {
	for e, want := range map[Entry]string{
		{Module: "index", Attribute: "app"}:                      "index:app",
		{Module: "pkg.app", Attribute: "create_app", Call: true}: "pkg.app:create_app()",
	} {
		if got := e.String(); got != want {
			t.Errorf("%+v.String() = %q, want %q", e, got, want)
		}
	}
}

func TestReadRoundTrip(t *testing.T) {
	dir := t.TempDir()
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "open-dash bundle") {
		t.Fatalf("missing manifest error = %v, want a hint to bundle", err)
	}
	m := valid()
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := got.Marshal()
	if string(again) != string(data) {
		t.Fatalf("round trip changed the manifest:\n%s\n---\n%s", data, again)
	}
	if r := got.ServerRoutes[1]; r.Kind != RouteProtected || !strings.Contains(r.Reason, "answered 401") {
		t.Errorf("protected route read back as %+v", r)
	}
	if strings.Count(string(data), `"reason"`) != 1 {
		t.Errorf("reason must be omitted where empty:\n%s", data)
	}
	if err := os.WriteFile(filepath.Join(dir, FileName), []byte(`{"schemaVersion":1,"surprise":true}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Read(dir); err == nil || !strings.Contains(err.Error(), "surprise") {
		t.Fatalf("unknown field error = %v", err)
	}
}

func TestBackgroundCallbackLambdaNote(t *testing.T) {
	for _, tc := range []struct {
		cb   BackgroundCallback
		want string
	}{
		{BackgroundCallback{Output: "out.children", Manager: "DiskcacheManager"}, "background callback out.children: on AWS Lambda OpenDash's manager replaces the app's DiskcacheManager"},
		{BackgroundCallback{Output: "x.y"}, "replaces the app's manager: each job runs in an asynchronous invocation of the jobs function"},
	} {
		if got := tc.cb.LambdaNote(); !strings.Contains(got, tc.want) {
			t.Errorf("%+v: %q does not contain %q", tc.cb, got, tc.want)
		}
	}
}
