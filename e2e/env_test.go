package e2e

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// dashPython is one Python with Dash installed, and the Dash version it has.
type dashPython struct {
	Path, DashVersion string
}

// dashPythons returns the Pythons to test with: OPENDASH_TEST_PYTHON (as for the bundler's integration tests)
// and any listed in OPENDASH_E2E_PYTHONS (separated like PATH), to cover several Dash versions in one run.
// It skips when none is named: real Dash is not installable from the registries CI reaches.
func dashPythons(t *testing.T) []dashPython {
	t.Helper()
	var paths []string
	if p := os.Getenv("OPENDASH_TEST_PYTHON"); p != "" {
		paths = append(paths, p)
	}
	for _, p := range filepath.SplitList(os.Getenv("OPENDASH_E2E_PYTHONS")) {
		if p != "" && !slices.Contains(paths, p) {
			paths = append(paths, p)
		}
	}
	if len(paths) == 0 {
		t.Skip("set OPENDASH_TEST_PYTHON to a Python that can import dash (and OPENDASH_E2E_PYTHONS to more, separated by ':') to run the browser tests")
	}
	var pys []dashPython
	for _, p := range paths {
		out, err := exec.Command(p, "-c", "import dash; print(dash.__version__)").CombinedOutput()
		if err != nil {
			t.Fatalf("%s cannot import dash: %v\n%s\nname a Python that has Dash installed", p, err, out)
		}
		pys = append(pys, dashPython{Path: p, DashVersion: strings.TrimSpace(string(out))})
	}
	return pys
}

// artifactDir is where screenshots go: $OPENDASH_E2E_ARTIFACTS (kept), else a temporary folder.
func artifactDir(t *testing.T) string {
	t.Helper()
	dir := os.Getenv("OPENDASH_E2E_ARTIFACTS")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatalf("OPENDASH_E2E_ARTIFACTS=%s: %v", dir, err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshots in %s (set OPENDASH_E2E_ARTIFACTS to keep them)", abs)
	return abs
}

// copyExample copies examples/name into a temp folder, so the bundle lands beside the copy and not in the
// repository.
func copyExample(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("..", "examples", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}

// testContext ends a little before the test binary's -timeout, so a hung browser or worker fails the test with
// a message instead of a panic dump, and after 20 minutes at most.
func testContext(t *testing.T) context.Context {
	t.Helper()
	deadline := time.Now().Add(20 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-30*time.Second).Before(deadline) {
		deadline = d.Add(-30 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}
