package bundler

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler/bodyhash"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/manifest"
)

// fakeDash puts the test stand-in for Dash (testdata/fakedash) on the Python path, so the whole pipeline runs
// where no real Dash is installed. It skips when the machine's python3 lacks Flask.
func fakeDash(t *testing.T) {
	t.Helper()
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed for pipeline tests (make setup checks it): %v", err)
	}
	abs, err := filepath.Abs("testdata/fakedash")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", abs)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir()) // never the user's own cache folder
}

// fixture copies testdata/apps/name into a fresh folder, so each test owns its .open-dash.
func fixture(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", "apps", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}

func bundle(t *testing.T, src string, o Options) (*Result, error) {
	t.Helper()
	o.SourceDir = src
	o.SkipInstall = true
	return Bundle(context.Background(), o)
}

func TestBundleFakeDash(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "good")
	res, err := bundle(t, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(src), OutputDirName)
	if res.OutDir != out {
		t.Fatalf("OutDir = %s, want %s", res.OutDir, out)
	}
	m, err := manifest.Read(out)
	if err != nil {
		t.Fatal(err)
	}

	wantFiles := map[string][2]string{ // key -> content type, class
		"index.html":         {"text/html; charset=utf-8", manifest.ClassRevalidate},
		"_dash-layout":       {"application/json", manifest.ClassRevalidate},
		"_dash-dependencies": {"application/json", manifest.ClassRevalidate},
		"_favicon.ico":       {"image/x-icon", manifest.ClassRevalidate},
		"_dash-component-suites/dash/deps/deps.v9_9_9m1091497434.min.js": {"application/javascript; charset=utf-8", manifest.ClassImmutable},
		"_dash-component-suites/dash/dcc/async-graph.js":                 {"application/javascript; charset=utf-8", manifest.ClassRevalidate},
		"assets/style.css": {"text/css; charset=utf-8", manifest.ClassRevalidate},
		"assets/logo.png":  {"image/png", manifest.ClassRevalidate},
		bodyhash.Path():    {"application/javascript; charset=utf-8", manifest.ClassImmutable},
	}
	got := map[string][2]string{}
	for _, f := range m.Files {
		got[f.Key] = [2]string{f.ContentType, f.Class}
		data, err := os.ReadFile(filepath.Join(out, AssetsDir, filepath.FromSlash(f.Path)))
		if err != nil {
			t.Errorf("%s: %v", f.Key, err)
			continue
		}
		if sum := fmt.Sprintf("%x", sha256.Sum256(data)); sum != f.SHA256 || int64(len(data)) != f.Size {
			t.Errorf("%s: manifest digest/size disagree with the file on disk", f.Key)
		}
		wantCache := manifest.CacheRevalidate
		if f.Class == manifest.ClassImmutable {
			wantCache = manifest.CacheImmutable
		}
		if f.CacheControl != wantCache {
			t.Errorf("%s: cache-control %q, want %q", f.Key, f.CacheControl, wantCache)
		}
	}
	if fmt.Sprint(got) != fmt.Sprint(wantFiles) {
		t.Errorf("static files:\n got %v\nwant %v", got, wantFiles)
	}

	var patterns []string
	for _, b := range m.Behaviors {
		patterns = append(patterns, b.Origin+" "+b.PathPattern)
	}
	wantBehaviors := []string{
		"server /_dash-update-component",
		"s3 /", "s3 /_dash-dependencies", "s3 /_dash-layout", "s3 /_favicon.ico", "s3 /index.html",
		"s3 /_dash-component-suites/*", "s3 /_opendash/*", "s3 /assets/*",
		"server *",
	}
	if strings.Join(patterns, "\n") != strings.Join(wantBehaviors, "\n") {
		t.Errorf("behaviors:\n%s\nwant\n%s", strings.Join(patterns, "\n"), strings.Join(wantBehaviors, "\n"))
	}
	// The body-hash script loads before Dash's scripts, in the index page as in the server's pages.
	index, _ := os.ReadFile(filepath.Join(out, AssetsDir, "index.html"))
	tag := `<script src="/` + bodyhash.Path() + `"></script>`
	if i, j := strings.Index(string(index), tag), strings.Index(string(index), "_dash-component-suites"); i < 0 || i > j {
		t.Errorf("index.html does not load %s before Dash's scripts:\n%s", bodyhash.Path(), index)
	}
	if data, err := os.ReadFile(filepath.Join(out, ServerDir, bodyhash.ModuleFile)); err != nil || !strings.Contains(string(data), bodyhash.Path()) {
		t.Errorf("the server function lacks %s naming %s: %v", bodyhash.ModuleFile, bodyhash.Path(), err)
	}
	routes := fmt.Sprint(m.ServerRoutes)
	for _, want := range []string{"/api/items/<int:item_id> flask-route [GET POST]", "/_dash-update-component dash-callback [POST]"} {
		if !strings.Contains(routes, want) {
			t.Errorf("server routes %s lack %q", routes, want)
		}
	}
	if m.App.Entry != (manifest.Entry{Module: "app", Attribute: "create_app", Call: true}) {
		t.Errorf("entry = %+v, want app:create_app()", m.App.Entry)
	}
	if m.Origins.Server.Handler != "opendash_handler.handler" {
		t.Errorf("handler = %s", m.Origins.Server.Handler)
	}
	if m.App.DashVersion != "9.9.9" || m.Origins.Server.Architecture != "x86_64" || m.Origins.Warmer == nil {
		t.Errorf("app/origins = %+v %+v", m.App, m.Origins)
	}
	for _, f := range []string{"server-functions/default/app.py", "server-functions/default/data/table.csv",
		"server-functions/default/opendash_handler.py", "server-functions/default/opendash_entry.py",
		"server-functions/default/opendash_background.py", "server-functions/default/opendash_jobslots.py",
		"server-functions/default/opendash_jobstore.py",
		"server-functions/default/opendash-app.json", "server-functions/default/Dockerfile", "warmer-function/index.py"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("missing %s", f)
		}
	}
	req, _ := os.ReadFile(filepath.Join(out, "server-functions/default/requirements.txt"))
	if !strings.Contains(string(req), "dash==9.9.9") {
		t.Errorf("requirements.txt not pinned:\n%s", req)
	}
	// Python must not have written bytecode into the user's source.
	if _, err := os.Stat(filepath.Join(src, "__pycache__")); err == nil {
		t.Error("bundling wrote __pycache__ into the source folder")
	}
}

func TestBundleIsDeterministic(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "good")
	if _, err := bundle(t, src, Options{}); err != nil {
		t.Fatal(err)
	}
	first := snapshot(t, filepath.Join(filepath.Dir(src), OutputDirName))
	res, err := bundle(t, src, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Cached {
		t.Fatal("NoCache reused the previous bundle")
	}
	second := snapshot(t, filepath.Join(filepath.Dir(src), OutputDirName))
	if first != second {
		t.Fatalf("two bundles of the same input differ:\n%s\n---\n%s", first, second)
	}
}

// TestBuildIDDigestsTheFiles: the build id is computed from digests taken while writing; it must equal a
// digest of the files as they are on disk (what it was computed from before, by reading them back).
func TestBuildIDDigestsTheFiles(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "good")
	if err := os.MkdirAll(filepath.Join(src, "data-x"), 0o755); err != nil { // sorts between data/ and its files
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "data-x", "a.txt"), []byte("a"), 0o600); err != nil {
		t.Fatal(err)
	}
	res, err := bundle(t, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	files, size := 0, int64(0)
	for _, f := range res.Manifest.Files {
		fmt.Fprintf(h, "%s/%s %s %s %s\n", AssetsDir, f.Key, f.SHA256, f.ContentType, f.CacheControl)
		files++
		size += f.Size
	}
	for _, sub := range []string{ServerDir, WarmerDir} {
		err := filepath.WalkDir(filepath.Join(res.OutDir, sub), func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			data, err := os.ReadFile(path)
			info, _ := d.Info()
			rel, _ := filepath.Rel(res.OutDir, path)
			fmt.Fprintf(h, "%s %x %o\n", filepath.ToSlash(rel), sha256.Sum256(data), info.Mode().Perm())
			files++
			size += int64(len(data))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if want := fmt.Sprintf("%x", h.Sum(nil))[:16]; res.Manifest.BuildID != want {
		t.Errorf("build id %s, want %s (the digest of the files on disk)", res.Manifest.BuildID, want)
	}
	data, _ := os.ReadFile(filepath.Join(res.OutDir, manifest.FileName))
	if res.Files != files+1 || res.Bytes != size+int64(len(data)) {
		t.Errorf("Result counts %d files, %d bytes; the bundle holds %d, %d", res.Files, res.Bytes, files+1, size+int64(len(data)))
	}
}

// snapshot lists every file of a tree with its mode and digest.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var lines []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.Type()&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(path)
			lines = append(lines, rel+" -> "+target)
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		lines = append(lines, fmt.Sprintf("%s %v %x", rel, info.Mode(), sha256.Sum256(data)))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n")
}

func TestBundlePrefixAndOptions(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "prefixed")
	out := filepath.Join(t.TempDir(), "custom-out")
	res, err := bundle(t, src, Options{OutDir: out, ExcludeWarmer: true, Architecture: "arm64", SourceMaps: true})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.Origins.Warmer != nil {
		t.Error("warmer origin present with ExcludeWarmer")
	}
	if _, err := os.Stat(filepath.Join(out, WarmerDir)); !errors.Is(err, os.ErrNotExist) {
		t.Error("warmer-function written with ExcludeWarmer")
	}
	if m.Origins.Server.Architecture != "arm64" {
		t.Errorf("architecture = %s", m.Origins.Server.Architecture)
	}
	for _, key := range []string{"app/", "app/_dash-layout", "app/assets/site.css", "app/_dash-component-suites/dash/dcc/async-graph.js.map"} {
		if _, ok := m.FileForKey(key); !ok {
			t.Errorf("no static file %q", key)
		}
	}
	if f, _ := m.FileForKey("app/"); f.Path != "app/index.html" {
		t.Errorf("prefixed index stored at %q, want app/index.html", f.Path)
	}
	if b := m.Route("/app/"); b.Origin != manifest.OriginS3 {
		t.Errorf("/app/ routed to %s", b.Origin)
	}
	if b := m.Route("/app/_dash-update-component"); b.Origin != manifest.OriginServer {
		t.Errorf("callback routed to %s", b.Origin)
	}
}

func TestBundleErrors(t *testing.T) {
	fakeDash(t)
	tests := []struct {
		name    string
		source  func(t *testing.T) string
		opts    Options
		env     map[string]string
		want    []string
		wantApp string // extract.AppError kind, when the app itself is at fault
	}{
		{name: "no source flag", source: func(*testing.T) string { return "" }, want: []string{"pass --source"}},
		{name: "missing source", source: func(t *testing.T) string { return filepath.Join(t.TempDir(), "nope") }, want: []string{"does not exist"}},
		{name: "no app.py", source: func(t *testing.T) string { return t.TempDir() }, want: []string{"has no app.py"}},
		{name: "no create_app", source: fixtureFn("no_create_app"), wantApp: "no_app", want: []string{"app.py defines no create_app() function and no dash.Dash app", "hint: define", "--app MODULE:ATTRIBUTE"}},
		{name: "bad --app", source: fixtureFn("good"), opts: Options{App: "my-app"}, want: []string{`"my-app" is not a Python module name`}},
		{name: "--app module missing", source: fixtureFn("good"), opts: Options{App: "nope:app"}, want: []string{"--app nope:app", "has neither nope.py nor nope/__init__.py"}},
		{name: "--app attribute missing", source: fixtureFn("module_level"), opts: Options{App: "app:application"}, wantApp: "no_attribute", want: []string{"--app app:application", "app.py has no attribute application", "its dash.Dash apps: app"}},
		{name: "--app names the Flask server", source: fixtureFn("module_level"), opts: Options{App: "app:server"}, wantApp: "not_dash", want: []string{"server in app.py is flask.app.Flask, not a dash.Dash", "use --app app:app"}},
		{name: "--app names a value", source: fixtureFn("no_create_app"), opts: Options{App: "app:VALUE"}, wantApp: "not_dash", want: []string{"VALUE in app.py is builtins.int"}},
		{name: "--app factory returns no Dash", source: fixtureFn("not_dash"), opts: Options{App: "app:create_app()"}, wantApp: "not_dash", want: []string{"create_app() in app.py returned builtins.int"}},
		{name: "several apps", source: fixtureFn("several"), wantApp: "several_apps", want: []string{"several dash.Dash apps (first, second)", "--app app:first or --app app:second"}},
		{name: "classic layout without --app", source: fixtureFn("classic"), wantApp: "no_layout", want: []string{"app.py makes the app (app:app) but sets no layout", "index.py sets it", "--app index:app"}},
		{name: "blocks at import", source: fixtureFn("blocking"), opts: Options{Timeout: time.Second}, wantApp: "timeout", want: []string{"importing app and calling its entry point took longer than 1 s", "File \"app.py\", line 8, in wait_for_data", "time.sleep(3600)", "--timeout"}},
		{name: "create_app raises", source: fixtureFn("raises"), wantApp: "create_app_raised", want: []string{"create_app() in app.py raised: ValueError: settings file missing: boom (app.py, line", "Traceback", "load_settings"}},
		{name: "writes into its folder", source: fixtureFn("writes_here"), wantApp: "read_only", want: []string{"importing app failed: OSError: [Errno 30] Read-only file system", "(app.py, line 7)", "the app writes app.db inside its own folder, which is read-only while bundling, as on AWS Lambda", "hint: an app may not write inside its own folder", "tempfile.gettempdir()"}},
		{name: "reads a variable at import", source: fixtureFn("reads_env"), wantApp: "env_missing", want: []string{"importing app failed: KeyError: 'SALES_DATABASE_URL' (app.py, line 4)", "reads the environment variable SALES_DATABASE_URL while it is loaded", "hint: give the variable to the bundle with --env-file FILE"}},
		{name: "not a Dash app", source: fixtureFn("not_dash"), wantApp: "not_dash", want: []string{"returned builtins.int, not a dash.Dash"}},
		{name: "syntax error", source: fixtureFn("syntax_error"), wantApp: "syntax", want: []string{"syntax error in", "app.py:1"}},
		{name: "python not found", source: fixtureFn("good"), opts: Options{Python: "/nonexistent/python3"}, want: []string{"/nonexistent/python3", "not found", "--python"}},
		{name: "dash not importable", source: fixtureFn("good"), env: map[string]string{"PYTHONPATH": ""}, wantApp: "dash_missing", want: []string{"cannot import Dash in", "hint:"}},
		{name: "bad architecture", source: fixtureFn("good"), opts: Options{Architecture: "sparc"}, want: []string{`"sparc"`, "x86_64 or arm64"}},
		{name: "symlink loop", source: func(t *testing.T) string {
			src := fixture(t, "good")
			if err := os.Symlink("..", filepath.Join(src, "data", "loop")); err != nil {
				t.Fatal(err)
			}
			return src
		}, want: []string{"loop"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			src := tt.source(t)
			var before string
			parent := ""
			if src != "" {
				parent = filepath.Dir(src)
				if _, err := os.Stat(parent); err == nil {
					before = snapshot(t, parent)
				}
			}
			_, err := bundle(t, src, tt.opts)
			if err == nil {
				t.Fatal("bundle succeeded, want an error")
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error does not mention %q:\n%v", w, err)
				}
			}
			var appErr *extract.AppError
			if tt.wantApp != "" && (!errors.As(err, &appErr) || appErr.Kind != tt.wantApp) {
				t.Errorf("error kind: got %v, want AppError %s", err, tt.wantApp)
			}
			// An app's traceback starts at the app: OpenDash's own frames say nothing to its author.
			if appErr != nil && strings.Contains(appErr.Traceback, "opendash_extract") {
				t.Errorf("the traceback shows OpenDash's frames:\n%s", appErr.Traceback)
			}
			if parent != "" && before != "" {
				if after := snapshot(t, parent); after != before {
					t.Errorf("a failed bundle changed files beside the source:\nbefore\n%s\nafter\n%s", before, after)
				}
			}
		})
	}
}

func fixtureFn(name string) func(t *testing.T) string {
	return func(t *testing.T) string { return fixture(t, name) }
}

func TestFailedBundleKeepsPrevious(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "good")
	if _, err := bundle(t, src, Options{}); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(filepath.Dir(src), OutputDirName)
	before := snapshot(t, out)
	if err := os.WriteFile(filepath.Join(src, "app.py"), []byte("def create_app(:\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := bundle(t, src, Options{}); err == nil {
		t.Fatal("bundle of a broken app succeeded")
	}
	if after := snapshot(t, out); after != before {
		t.Fatal("a failed bundle changed the previous one")
	}
	entries, _ := os.ReadDir(filepath.Dir(src))
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if len(names) != 2 {
		t.Fatalf("leftovers beside the source: %v", names)
	}
}

func TestProgressLines(t *testing.T) {
	fakeDash(t)
	var buf bytes.Buffer
	if _, err := bundle(t, fixture(t, "good"), Options{Progress: &buf}); err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		if !strings.Contains(buf.String(), s.name) {
			t.Errorf("progress lacks step %q:\n%s", s.name, buf.String())
		}
	}
	if !strings.Contains(buf.String(), "install requirements   skipped: --skip-install") {
		t.Errorf("skipped step not reported:\n%s", buf.String())
	}
}

func TestBundleAppOptions(t *testing.T) {
	fakeDash(t)
	res, err := bundle(t, fixture(t, "options"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	for key, want := range map[string]bool{
		"assets/style.css":       true,
		"assets/draft-logo.png":  true,  // ignored by assets_ignore, but the layout names it
		"assets/draft-other.png": false, // ignored and named nowhere
		"assets/theme.scss":      false,
	} {
		if _, ok := m.FileForKey(key); ok != want {
			t.Errorf("%s shipped = %v, want %v", key, ok, want)
		}
	}
	warnings := strings.Join(m.Warnings, "\n")
	for _, want := range []string{"serve_locally=False", "turned Dash dev tools on"} {
		if !strings.Contains(warnings, want) {
			t.Errorf("manifest warnings lack %q:\n%s", want, warnings)
		}
	}
	index, err := os.ReadFile(filepath.Join(res.OutDir, AssetsDir, "index.html"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(index), "fake dev") {
		t.Error("the index page was rendered with dev tools on")
	}
}

// TestBundleEntryPoints: the shapes real apps take, each bundled with no change to the app.
func TestBundleEntryPoints(t *testing.T) {
	fakeDash(t)
	tests := []struct {
		fixture, app string
		want         manifest.Entry
		warn         []string
	}{
		{"good", "", manifest.Entry{Module: "app", Attribute: "create_app", Call: true}, nil},
		{"module_level", "", manifest.Entry{Module: "app", Attribute: "app"}, nil},
		{"several", "app:second", manifest.Entry{Module: "app", Attribute: "second"}, nil},
		{"factory", "app:make_app()", manifest.Entry{Module: "app", Attribute: "make_app", Call: true}, nil},
		{"factory", "app:make_app", manifest.Entry{Module: "app", Attribute: "make_app", Call: true}, nil},
		{"classic", "index:app", manifest.Entry{Module: "index", Attribute: "app"}, nil},
		{"classic", "index.py:app", manifest.Entry{Module: "index", Attribute: "app"}, nil},
		{"package", "pkg.dashboard", manifest.Entry{Module: "pkg.dashboard", Attribute: "app"}, nil},
		{"runs_at_import", "", manifest.Entry{Module: "app", Attribute: "app"}, []string{
			"app.py:6 calls Dash.run() while the app is imported; OpenDash never starts a server",
			"app.py:7 calls Flask.run()", "app.py:9 calls Dash.run_server()", `if __name__ == "__main__":`}},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+" "+tt.app, func(t *testing.T) {
			checkEntry(t, fixture(t, tt.fixture), tt.app, tt.want, tt.warn)
		})
	}
}

func checkEntry(t *testing.T, src, app string, want manifest.Entry, warn []string) {
	t.Helper()
	res, err := bundle(t, src, Options{App: app})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	if m.App.Entry != want {
		t.Errorf("manifest entry = %+v, want %+v", m.App.Entry, want)
	}
	data, err := os.ReadFile(filepath.Join(res.OutDir, ServerDir, "opendash-app.json"))
	if err != nil || !strings.Contains(string(data), fmt.Sprintf(`"module":%q,"attribute":%q`, want.Module, want.Attribute)) {
		t.Errorf("server function entry file = %s (%v)", data, err)
	}
	warnings := strings.Join(res.Warnings, "\n")
	if strings.Join(m.Warnings, "\n") != warnings {
		t.Errorf("manifest warnings differ from the summary's:\n%s\n---\n%s", m.Warnings, warnings)
	}
	for _, w := range warn {
		if !strings.Contains(warnings, w) {
			t.Errorf("warnings lack %q:\n%s", w, warnings)
		}
	}
	if len(warn) == 0 && strings.Contains(warnings, "calls") {
		t.Errorf("unexpected server-start warning:\n%s", warnings)
	}
}

func appendFile(t *testing.T, name, text string) {
	t.Helper()
	f, err := os.OpenFile(name, os.O_APPEND|os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

// TestCacheKeyFollowsApp: the same source bundled with another --app is not the cached bundle.
func TestCacheKeyFollowsApp(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "classic")
	if _, err := bundle(t, src, Options{App: "index:app"}); err != nil {
		t.Fatal(err)
	}
	res, err := bundle(t, src, Options{App: "index:app"})
	if err != nil || !res.Cached {
		t.Fatalf("same --app not reused: cached=%v %v", res != nil && res.Cached, err)
	}
	appendFile(t, filepath.Join(src, "other.py"), "from app import app\n")
	if res, err = bundle(t, src, Options{App: "other:app"}); err == nil || res != nil {
		t.Fatalf("another --app reused the cached bundle (want the no-layout error): %v", err)
	}
}

// TestBundleBackgroundCallbacks: the manifest lists the background callbacks with their managers. The app
// makes its cache as Dash's documentation does, diskcache.Cache("./cache") at import: that bundles without a
// warning (the app runs in a writable working folder, on Lambda too), and neither the source folder nor the
// bundle gets the cache, on the first bundle or the next. A cache folder left in the source by an earlier run
// is shipped, read-only on Lambda: that is a warning naming it and the fix, and the source stays as it was.
func TestBundleBackgroundCallbacks(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "background")
	for run := 1; run <= 2; run++ {
		res, err := bundle(t, src, Options{NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []manifest.BackgroundCallback{{Output: "other.children", Manager: "DiskcacheManager"},
			{Output: "result.children", Manager: "DiskcacheManager"}}
		if got := res.Manifest.App.BackgroundCallbacks; !slices.Equal(got, want) {
			t.Errorf("backgroundCallbacks = %+v, want %+v", got, want)
		}
		if len(res.Warnings) > 0 {
			t.Errorf("bundle %d: warnings for a cache the app can create: %q", run, res.Warnings)
		}
		for _, dir := range []string{src, filepath.Join(res.OutDir, ServerDir)} {
			if _, err := os.Stat(filepath.Join(dir, "cache")); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("bundle %d: %s holds the cache the app made while bundled (%v)", run, dir, err)
			}
		}
	}

	// A leftover of an earlier run, from before the app ran in a working folder of its own.
	leftover := filepath.Join(src, "cache", "cache.db")
	if err := os.MkdirAll(filepath.Dir(leftover), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("python3", "-c", "import sqlite3, sys; sqlite3.connect(sys.argv[1]).close()", leftover).CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	before, _ := os.ReadFile(leftover)
	res, err := bundle(t, src, Options{NoCache: true})
	if err != nil {
		t.Fatal(err)
	}
	warned := false
	for _, w := range res.Warnings {
		warned = warned || strings.Contains(w, "app.py, line 17: the app reads the SQLite database cache/cache.db inside its own folder") &&
			strings.Contains(w, "--exclude-dirs cache") && strings.Contains(w, "tempfile.gettempdir()")
	}
	if !warned {
		t.Errorf("no warning about the cache left in the app's folder: %q", res.Warnings)
	}
	if after, _ := os.ReadFile(leftover); !bytes.Equal(after, before) {
		t.Error("bundling changed the source's cache/cache.db")
	}
	res, err = bundle(t, src, Options{NoCache: true, ExcludeDirs: []string{"cache"}})
	if err != nil || len(res.Warnings) > 0 {
		t.Errorf("with --exclude-dirs cache: %v, warnings %q", err, res.Warnings)
	}
}

// TestBundleAppWrites: the app's writes while it is bundled never reach its source folder or the bundle. A
// relative write of a new top-level path is fine (as on Lambda); a relative write under one of the app's
// folders lands in a temporary folder and is a warning naming the file, the line and the fix; a write
// straight into the folder is refused with EROFS, as on Lambda, and warned about the same way.
func TestBundleAppWrites(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "writes")
	before := snapshot(t, src)
	res, err := bundle(t, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if after := snapshot(t, src); after != before {
		t.Errorf("bundling changed the source folder:\nbefore\n%s\nafter\n%s", before, after)
	}
	for _, rel := range []string{"output", "data/out.csv", "state.json"} {
		if _, err := os.Stat(filepath.Join(res.OutDir, ServerDir, rel)); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("the server function holds %s, which the app wrote while bundled", rel)
		}
	}
	warnings := strings.Join(res.Warnings, "\n")
	for _, want := range []string{
		"app.py, line 18: the app writes data/out.csv inside its own folder: on AWS Lambda",
		"while bundling it went to a temporary folder",
		"app.py, line 22: the app writes state.json inside its own folder",
		"refused while bundling too",
		"tempfile.gettempdir()",
	} {
		if !strings.Contains(warnings, want) {
			t.Errorf("warnings lack %q:\n%s", want, warnings)
		}
	}
	if strings.Contains(warnings, "output/started.txt") || strings.Contains(warnings, "--exclude-dirs state.json") {
		t.Errorf("a new top-level path works on Lambda, and state.json is no leftover:\n%s", warnings)
	}
	if data, err := json.Marshal(res.Manifest); err != nil || strings.Contains(string(data), src) {
		t.Errorf("the manifest names the source folder's absolute path (%v)", err)
	}
}
