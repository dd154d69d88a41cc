package serverfn

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// pythonFor returns the interpreter for Python tests ($OPENDASH_TEST_PYTHON, else python3), skipping the
// test with the reason when it or a needed module is missing.
func pythonFor(t *testing.T, modules ...string) string {
	t.Helper()
	name := os.Getenv("OPENDASH_TEST_PYTHON")
	if name == "" {
		name = "python3"
	}
	python, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("skipping the Python handler tests: %s not found (set OPENDASH_TEST_PYTHON)", name)
	}
	for _, m := range modules {
		if out, err := exec.Command(python, "-c", "import "+m).CombinedOutput(); err != nil {
			t.Skipf("skipping the Python handler tests: %s cannot import %s (pip install %s): %s", python, m, m, out)
		}
	}
	return python
}

var ranRe = regexp.MustCompile(`Ran (\d+) tests?`)

// runUnittest runs a unittest file and fails unless it ran at least min tests, all passing.
func runUnittest(t *testing.T, python, file string, min int, env ...string) {
	t.Helper()
	cmd := exec.Command(python, file, "-v")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s failed: %v\n%s", file, err, out)
	}
	m := ranRe.FindSubmatch(out)
	if m == nil {
		t.Fatalf("%s printed no test count:\n%s", file, out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < min {
		t.Fatalf("%s ran %d tests, fewer than the %d expected:\n%s", file, n, min, out)
	}
	t.Logf("%s", m[0])
}

// TestIndexPy runs the handler that Write produces against a real Flask app.
func TestIndexPy(t *testing.T) { runHandlerTests(t, "test_index.py", 26) }

// TestSecretsPy runs the handler's secret reading at INIT (opendash_secrets.py) against moto.
func TestSecretsPy(t *testing.T) { runHandlerTests(t, "test_secrets.py", 12, "boto3", "moto") }

// runHandlerTests writes a server function with Write and runs testdata/file (at least min tests) against
// its handler, with the function's folder on the path as Lambda's task root is; modules are what the tests
// need besides Flask.
func runHandlerTests(t *testing.T, file string, min int, modules ...string) {
	t.Helper()
	python := pythonFor(t, append([]string{"flask"}, modules...)...)
	src := t.TempDir()
	writeTree(t, src, map[string]string{"app.py": "x"})
	dst := t.TempDir()
	if _, err := mustPlan(t, testOptions(src)).Write(dst); err != nil {
		t.Fatal(err)
	}
	runUnittest(t, python, filepath.Join("testdata", file), min,
		"OPENDASH_INDEX_PY="+filepath.Join(dst, HandlerFile), "PYTHONPATH="+dst)
}
