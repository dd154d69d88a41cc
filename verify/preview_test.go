package verify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/preview"
)

// bundleWith bundles the app folder src (copied, so the bundle lands in a temp folder) with python.
func bundleWith(t *testing.T, src, python string) string {
	t.Helper()
	t.Setenv(cache.DirEnv, t.TempDir()) // never the user's own cache folder
	app := filepath.Join(t.TempDir(), filepath.Base(src))
	if err := os.CopyFS(app, os.DirFS(src)); err != nil {
		t.Fatal(err)
	}
	res, err := bundler.Bundle(context.Background(), bundler.Options{SourceDir: app, Python: python, SkipInstall: true})
	if err != nil {
		t.Fatalf("bundling %s: %v", src, err)
	}
	return res.OutDir
}

// servePreview runs `open-dash preview` of dir on a free port until the test ends.
func servePreview(t *testing.T, dir, python string) string {
	t.Helper()
	return servePreviewAs(t, dir, python, preview.OriginAuthEdge)
}

// servePreviewAs is servePreview answering like the given originAuth.
func servePreviewAs(t *testing.T, dir, python, originAuth string) string {
	t.Helper()
	return servePreviewWith(t, preview.Options{Dir: dir, Python: python, OriginAuth: originAuth})
}

// servePreviewWith starts a preview with o on a free port, its log shown when the test fails.
func servePreviewWith(t *testing.T, o preview.Options) string {
	t.Helper()
	var log syncLog
	o.Addr, o.Log = "127.0.0.1:0", &log
	s, err := preview.Start(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		s.Close()
		if t.Failed() {
			t.Logf("preview log:\n%s", log.String())
		}
	})
	return s.URL()
}

// withFakeDash puts the stand-in Dash on the Python path; it skips without a python3 that has Flask.
func withFakeDash(t *testing.T) {
	t.Helper()
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed to bundle with the stand-in Dash: %v", err)
	}
	fake, err := filepath.Abs("../bundler/testdata/fakedash")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", fake)
	t.Setenv("VIRTUAL_ENV", "")
}

// The preview marks its answers as verify expects them.
func TestPreviewVia(t *testing.T) {
	if preview.Via != PreviewVia {
		t.Errorf("preview.Via %q, verify looks for %q", preview.Via, PreviewVia)
	}
}

// TestPreviewOfFakeDashBundle: verify passes against the preview of a bundle, makes the real callback round
// trip, and fails when the bundle's files change after deploy or the server function cannot start.
func TestPreviewOfFakeDashBundle(t *testing.T) {
	withFakeDash(t)
	dir := bundleWith(t, "testdata/apps/callback", "python3")

	t.Run("intact, originAuth oac", func(t *testing.T) {
		// Lambda behind OAC refuses a POST body without its x-amz-content-sha256: verify sends it, as the
		// page's body-hash script does, so its callback round trip passes.
		rep, err := Run(context.Background(), Options{URL: servePreviewAs(t, dir, "python3", preview.OriginAuthOAC), Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("failures against the oac preview:\n%s", describe(rep.Failures()))
		}
	})

	t.Run("intact", func(t *testing.T) {
		rep, err := Run(context.Background(), Options{URL: servePreview(t, dir, "python3"), Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		if !rep.OK {
			t.Fatalf("failures against the preview:\n%s", describe(rep.Failures()))
		}
		for _, c := range rep.Checks {
			if c.Kind == KindCallback && (c.Detail != "callback greeting.children" || c.Status != 200) {
				t.Errorf("callback check %+v, want the round trip of greeting.children", c)
			}
		}
		if n := rep.Counts[KindStatic].Passed; n < 5 {
			t.Errorf("only %d static checks", n)
		}
	})

	t.Run("server function cannot start", func(t *testing.T) {
		// A Dash that the preview's version check accepts (its metadata says 9.9.9) but that cannot be imported.
		broken := t.TempDir()
		os.MkdirAll(filepath.Join(broken, "dash-9.9.9.dist-info"), 0o755)
		os.MkdirAll(filepath.Join(broken, "dash"), 0o755)
		os.WriteFile(filepath.Join(broken, "dash-9.9.9.dist-info", "METADATA"), []byte("Metadata-Version: 2.1\nName: dash\nVersion: 9.9.9\n"), 0o644)
		os.WriteFile(filepath.Join(broken, "dash", "__init__.py"), []byte("raise ImportError('a broken Dash')\n"), 0o644)
		t.Setenv("PYTHONPATH", broken)
		rep, err := Run(context.Background(), Options{URL: servePreview(t, dir, "python3"), Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		failed := map[string]string{}
		for _, c := range rep.Failures() {
			failed[c.Kind+" "+c.URL] = c.Problem
		}
		for _, want := range []string{"routing /opendash-verify/no-such-page", "routing /api/items/1", "callback /_dash-update-component"} {
			if !strings.Contains(failed[want], "failed to start") {
				t.Errorf("%s: problem %q, want the app failing to start; failures:\n%s", want, failed[want], describe(rep.Failures()))
			}
		}
		for _, c := range rep.Failures() { // a preview's log is where `open-dash preview` runs, not CloudWatch
			if strings.Contains(c.Fix, "aws logs") || (strings.Contains(c.Problem, "failed to start") && !strings.Contains(c.Fix, "the preview's log")) {
				t.Errorf("%s %s: fix %q, want the preview's log", c.Kind, c.URL, c.Fix)
			}
		}
		if rep.Counts[KindStatic].Failed != 0 {
			t.Errorf("static files fail with the server down:\n%s", describe(rep.Failures()))
		}
	})

	t.Run("file changed after bundling", func(t *testing.T) {
		url := servePreview(t, dir, "python3")
		css := filepath.Join(dir, "assets", "assets", "style.css")
		if err := os.WriteFile(css, []byte("body { margin: 9px }\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		rep, err := Run(context.Background(), Options{URL: url, Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		checkFailures(t, rep, []failure{{"static /assets/style.css", "content differs from the bundle", "invalidate the path"}})
	})
}

// TestPreviewOfPrefixedBundle: an app under url_base_pathname is checked under its prefix (its index key is
// "app/", its callbacks under /app/), and passes.
func TestPreviewOfPrefixedBundle(t *testing.T) {
	withFakeDash(t)
	dir := bundleWith(t, "../bundler/testdata/apps/prefixed", "python3")
	rep, err := Run(context.Background(), Options{URL: servePreview(t, dir, "python3"), Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("failures against the preview:\n%s", describe(rep.Failures()))
	}
	want := map[string]bool{"page GET /app/": false, "routing GET /app/opendash-verify/no-such-page": false,
		"routing POST /app/": false, "callback POST /app/_dash-update-component": false}
	for _, c := range rep.Checks {
		if _, ok := want[c.Kind+" "+c.Method+" "+c.URL]; ok {
			want[c.Kind+" "+c.Method+" "+c.URL] = true
		}
	}
	for check, seen := range want {
		if !seen {
			t.Errorf("no check %q", check)
		}
	}
}
