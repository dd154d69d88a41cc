package verify

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestIntegrationExamples bundles both examples with the real Dash named by OPENDASH_TEST_PYTHON, serves each
// with the preview, and expects every check to pass, the callback check included.
func TestIntegrationExamples(t *testing.T) {
	py := os.Getenv("OPENDASH_TEST_PYTHON")
	if py == "" {
		t.Skip("set OPENDASH_TEST_PYTHON to a Python that can import dash to verify the previews of the examples")
	}
	out, err := exec.Command(py, "-c", "import dash; print(dash.__version__)").CombinedOutput()
	if err != nil {
		t.Fatalf("OPENDASH_TEST_PYTHON=%s cannot import dash: %v\n%s", py, err, out)
	}
	t.Logf("Dash %s", strings.TrimSpace(string(out)))
	for _, name := range []string{"single-page", "pages"} {
		t.Run(name, func(t *testing.T) {
			dir := bundleWith(t, filepath.Join("..", "examples", name), py)
			rep, err := Run(context.Background(), Options{URL: servePreview(t, dir, py), Dir: dir})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range rep.Checks {
				if c.Kind != KindStatic {
					t.Logf("%s %s %s %d %s", c.Kind, c.Method, c.URL, c.Status, c.Detail)
				}
				// Both examples have a callback the page calls at load (Pages: the router, fed by dcc.Location).
				if c.Kind == KindCallback && (c.Status != 200 || !strings.HasPrefix(c.Detail, "callback ")) {
					t.Errorf("no real callback round trip: %+v", c)
				}
			}
			t.Logf("counts %v", rep.Counts)
			if !rep.OK {
				t.Fatalf("failures against the preview:\n%s", describe(rep.Failures()))
			}
		})
	}
}

// TestIntegrationPatternState: a callback with a pattern-matching state is the renderer's to expand (it sends
// the list of matching components), so verify's round trip takes the app's plain callback instead of sending
// the pattern as one undefined value, which made the app's callback fail with a 500.
func TestIntegrationPatternState(t *testing.T) {
	py := os.Getenv("OPENDASH_TEST_PYTHON")
	if py == "" {
		t.Skip("set OPENDASH_TEST_PYTHON to a Python that can import dash to verify a preview with pattern-matching states")
	}
	dir := bundleWith(t, filepath.Join("testdata", "apps", "patternstate"), py)
	rep, err := Run(context.Background(), Options{URL: servePreview(t, dir, py), Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("failures against the preview:\n%s", describe(rep.Failures()))
	}
	for _, c := range rep.Checks {
		if c.Kind == KindCallback && (c.Status != 200 || c.Detail != "callback echo.children") {
			t.Errorf("callback check %+v, want the round trip of echo.children", c)
		}
	}
}
