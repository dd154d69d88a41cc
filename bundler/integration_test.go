package bundler

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/bundler/static"
	"github.com/opendash/opendash/manifest"
)

// realDash returns the Python named by OPENDASH_TEST_PYTHON, or skips: real Dash is not installable from
// the registries CI reaches, so these tests run where a developer has one.
func realDash(tb testing.TB) string {
	tb.Helper()
	py := os.Getenv("OPENDASH_TEST_PYTHON")
	if py == "" {
		tb.Skip("set OPENDASH_TEST_PYTHON to a Python that can import dash to bundle the examples with real Dash")
	}
	if out, err := exec.Command(py, "-c", "import dash").CombinedOutput(); err != nil {
		tb.Fatalf("OPENDASH_TEST_PYTHON=%s cannot import dash: %v\n%s", py, err, out)
	}
	tb.Setenv(cache.DirEnv, tb.TempDir()) // never the user's own cache folder
	return py
}

// example copies examples/name into a temp folder so the bundle lands beside it, not in the repository.
func example(tb testing.TB, name string) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("..", "examples", name))); err != nil {
		tb.Fatal(err)
	}
	return dst
}

var urlAttr = regexp.MustCompile(`(?:src|href)="([^"]+)"`)

func TestIntegrationExamples(t *testing.T) {
	py := realDash(t)
	dashDir := pythonOutput(t, py, "import dash, os; print(os.path.dirname(dash.__file__))")
	plotlyDir := pythonOutput(t, py, "import plotly, os; print(os.path.dirname(plotly.__file__))")
	for _, name := range []string{"single-page", "pages"} {
		t.Run(name, func(t *testing.T) {
			src := example(t, name)
			res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true})
			if err != nil {
				t.Fatal(err)
			}
			m := res.Manifest
			assets := filepath.Join(res.OutDir, m.Origins.S3.Dir)
			index, err := os.ReadFile(filepath.Join(assets, "index.html"))
			if err != nil {
				t.Fatal(err)
			}
			// Every same-site URL of the index page is a static file with the right content type.
			for _, match := range urlAttr.FindAllStringSubmatch(string(index), -1) {
				u := match[1]
				if strings.HasPrefix(u, "http") || strings.HasPrefix(u, "//") {
					continue
				}
				key := strings.TrimPrefix(strings.SplitN(u, "?", 2)[0], "/")
				checkFile(t, m, assets, key)
			}
			// Every async chunk of the loaded suites, and plotly.js, unfingerprinted as the JS requests them.
			chunks, _ := filepath.Glob(filepath.Join(dashDir, "dcc", "async-*.js"))
			tables, _ := filepath.Glob(filepath.Join(dashDir, "dash_table", "async-*.js"))
			if len(chunks) == 0 || len(tables) == 0 {
				t.Fatalf("no async chunks found under %s: is this a real Dash?", dashDir)
			}
			for _, c := range append(chunks, tables...) {
				rel, _ := filepath.Rel(dashDir, c)
				checkFile(t, m, assets, "_dash-component-suites/dash/"+filepath.ToSlash(rel))
			}
			if _, err := os.Stat(filepath.Join(plotlyDir, "package_data", "plotly.min.js")); err == nil {
				checkFile(t, m, assets, "_dash-component-suites/plotly/package_data/plotly.min.js")
			}
			for _, f := range m.Files {
				if strings.HasSuffix(f.Key, ".map") {
					t.Errorf("%s: source map shipped without --source-maps", f.Key)
				}
				if strings.Contains(f.Key, ".dev.") || strings.Contains(f.Key, "proptypes") {
					t.Errorf("%s: a development bundle was shipped", f.Key)
				}
			}
			// Nothing stored that the browser cannot ask for, nothing twice (issue 7: at most 1.1x).
			if want := requestableBytes(t, py, src); float64(res.StaticBytes) > 1.1*float64(want) {
				t.Errorf("static site is %d bytes, %.2fx the %d bytes Dash's own server answers",
					res.StaticBytes, float64(res.StaticBytes)/float64(want), want)
			}
			if name == "pages" {
				for _, key := range []string{"analytics", "reports/annual"} {
					checkFile(t, m, assets, key)
					if b := m.Route("/" + key); b.Origin != manifest.OriginS3 {
						t.Errorf("deep link /%s routed to %s", key, b.Origin)
					}
				}
				kinds := map[string]string{}
				for _, r := range m.ServerRoutes {
					kinds[r.Kind] = r.Path
				}
				if kinds[manifest.RouteDynamicPage] != "/report/<report_id>" || kinds[manifest.RouteNotFound] == "" {
					t.Errorf("server routes = %+v, want the path template and the 404 page", m.ServerRoutes)
				}
			}
		})
	}
}

func checkFile(t *testing.T, m *manifest.Manifest, assets, key string) {
	t.Helper()
	f, ok := m.FileForKey(key)
	if !ok {
		t.Errorf("the browser requests /%s but the bundle has no such file", key)
		return
	}
	if _, err := os.Stat(filepath.Join(assets, filepath.FromSlash(f.Path))); err != nil {
		t.Errorf("%s: %v", key, err)
	}
	want := static.ContentType(key)
	switch {
	case key == "index.html" || !strings.Contains(filepath.Base(key), "."):
		want = f.ContentType // rendered by the app: Flask's own content type
	case strings.HasSuffix(key, ".ico"):
		want = "image/x-icon"
	}
	if f.ContentType != want || f.ContentType == "" {
		t.Errorf("%s: content type %q, want %q", key, f.ContentType, want)
	}
	if b := m.Route("/" + key); b.Origin != manifest.OriginS3 && key != "index.html" {
		t.Errorf("/%s is routed to %s, not S3", key, b.Origin)
	}
}

func pythonOutput(t *testing.T, py, code string) string {
	t.Helper()
	out, err := exec.Command(py, "-c", code).Output()
	if err != nil {
		t.Fatalf("%s -c %q: %v", py, code, err)
	}
	return strings.TrimSpace(string(out))
}

// TestIntegrationBackgroundCallbacks: with a real Dash, the manifest lists the background callbacks of
// examples/background with their manager; a copy that makes its cache as Dash's documentation does
// (diskcache.Cache("./cache")) bundles without a warning, and the cache diskcache creates while the app is
// imported lands neither in the source folder nor in the bundle.
func TestIntegrationBackgroundCallbacks(t *testing.T) {
	py := realDash(t)
	if out, err := exec.Command(py, "-c", "import diskcache, multiprocess, psutil").CombinedOutput(); err != nil {
		t.Skipf("DiskcacheManager needs diskcache, multiprocess and psutil in %s: %s", py, out)
	}
	src := example(t, "background")
	app := filepath.Join(src, "app.py")
	code, err := os.ReadFile(app)
	if err != nil {
		t.Fatal(err)
	}
	inFolder := strings.Replace(string(code), `os.path.join(tempfile.gettempdir(), "background-example")`, `"./cache"`, 1)
	if inFolder == string(code) {
		t.Fatal("examples/background/app.py no longer makes its cache where this test expects")
	}
	if err := os.WriteFile(app, []byte(inFolder), 0o644); err != nil {
		t.Fatal(err)
	}
	for run := 1; run <= 2; run++ { // the second bundle must not find a cache the first one left behind
		res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		want := []manifest.BackgroundCallback{{Output: "error.children", Manager: "DiskcacheManager"},
			{Output: "result.children", Manager: "DiskcacheManager"}}
		if got := res.Manifest.App.BackgroundCallbacks; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Errorf("backgroundCallbacks = %+v, want %+v", got, want)
		}
		if len(res.Warnings) > 0 {
			t.Errorf("bundle %d: warnings for diskcache.Cache(\"./cache\"), which works on Lambda: %q", run, res.Warnings)
		}
		for _, dir := range []string{src, filepath.Join(res.OutDir, ServerDir)} {
			if _, err := os.Stat(filepath.Join(dir, "cache")); !os.IsNotExist(err) {
				t.Errorf("bundle %d: %s holds the cache diskcache made while the app was bundled (%v)", run, dir, err)
			}
		}
	}
}
