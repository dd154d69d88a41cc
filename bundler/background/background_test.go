package background

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

var ranRe = regexp.MustCompile(`Ran (\d+) tests?`)

// TestManagerPy runs testdata/test_background.py: with the stand-in Dash (and moto for S3) in CI, or the
// Dash that OPENDASH_TEST_PYTHON names, through Dash's own callback requests.
func TestManagerPy(t *testing.T) {
	python := os.Getenv("OPENDASH_TEST_PYTHON")
	env := os.Environ()
	if python == "" {
		python = "python3"
		fake, err := filepath.Abs(filepath.Join("..", "testdata", "fakedash"))
		if err != nil {
			t.Fatal(err)
		}
		env = append(env, "PYTHONPATH="+fake)
	}
	if err := exec.Command(python, "-c", "import flask").Run(); err != nil {
		t.Skipf("%s with Flask is needed for the manager's tests: %v", python, err)
	}
	dir := t.TempDir()
	module := filepath.Join(dir, PythonFile)
	if err := os.WriteFile(module, Python, 0o644); err != nil {
		t.Fatal(err)
	}
	for name, src := range map[string][]byte{SlotsFile: SlotsPython, StoreFile: StorePython} {
		if err := os.WriteFile(filepath.Join(dir, name), src, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command(python, filepath.Join("testdata", "test_background.py"), "-v")
	cmd.Env = append(env, "OPENDASH_BACKGROUND_PY="+module)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test_background.py failed: %v\n%s", err, out)
	}
	m := ranRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("test_background.py printed no test count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 10 {
		t.Fatalf("test_background.py ran %d tests, fewer than expected:\n%s", n, out)
	}
	if bytes.Contains(out, []byte("skipped 'moto")) {
		t.Logf("S3 cases skipped: moto is missing from %s", python)
	}
	t.Logf("%s", m[0])
}
