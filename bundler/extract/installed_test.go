package extract

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"testing"
)

// TestInstalledPy runs the unittest of requirements.py and installed.py (the requirement check, version and
// marker reading, the distribution lookups) with the machine's python3; it needs only the standard library.
func TestInstalledPy(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: installed.py's unittest needs it")
	}
	abs, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-B", filepath.Join("testdata", "test_installed.py"), "-v")
	cmd.Env = append(os.Environ(), "OPENDASH_EXTRACT_DIR="+abs)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test_installed.py failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Ran (\d+) tests?`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("test_installed.py printed no test count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 15 {
		t.Fatalf("test_installed.py ran %d tests, fewer than expected:\n%s", n, out)
	}
}
