package workdir

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestWorkdirPython runs testdata/test_workdir.py against the embedded helper.
func TestWorkdirPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run testdata/test_workdir.py")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, File), Py, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "testdata/test_workdir.py", "-v")
	cmd.Env = append(os.Environ(), "PYTHONPATH="+dir, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("test_workdir.py failed: %v", err)
	}
	if !bytes.Contains(out, []byte("Ran 6 tests")) {
		t.Fatalf("test_workdir.py did not run its 6 tests")
	}
}

// The helper is prepended to the extraction script: its top level must define only private names
// (_odwork_...) and its one entry point.
func TestHelperNamesArePrefixed(t *testing.T) {
	for _, line := range bytes.Split(Py, []byte("\n")) {
		for _, prefix := range []string{"import ", "def ", "class ", "_"} {
			if bytes.HasPrefix(line, []byte(prefix)) && !bytes.Contains(line, []byte("_odwork_")) &&
				!bytes.HasPrefix(line, []byte("def enter_writable_workdir(")) {
				t.Errorf("top-level %q: prefix private names (_odwork_...) so the extraction script keeps its own", line)
			}
		}
	}
}
