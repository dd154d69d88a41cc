package contenttimes

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestTimesPython runs testdata/test_times.py against the embedded helper, once without Dash and once
// with the stand-in Dash (bundler/testdata/fakedash) on the path.
func TestTimesPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run testdata/test_times.py")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, File), Py, 0o644); err != nil {
		t.Fatal(err)
	}
	fake, _ := filepath.Abs(filepath.Join("..", "testdata", "fakedash"))
	for _, c := range []struct{ name, path string }{{"no dash", dir}, {"stand-in dash", dir + string(os.PathListSeparator) + fake}} {
		t.Run(c.name, func(t *testing.T) {
			cmd := exec.Command(python, "testdata/test_times.py", "-v")
			cmd.Env = append(os.Environ(), "PYTHONPATH="+c.path, "PYTHONDONTWRITEBYTECODE=1")
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("test_times.py failed: %v", err)
			}
		})
	}
}

// The helper is prepended to the extraction script: its top level must not define names that script uses.
func TestHelperNamesArePrefixed(t *testing.T) {
	for _, line := range bytes.Split(Py, []byte("\n")) {
		for _, prefix := range []string{"import ", "def ", "class "} {
			if bytes.HasPrefix(line, []byte(prefix)) && !bytes.Contains(line, []byte("_octimes")) &&
				!bytes.Contains(line, []byte("_Content")) && !bytes.Contains(line, []byte("content_time")) {
				t.Errorf("top-level %q: prefix private names (_octimes_...) so the extraction script keeps its own", line)
			}
		}
	}
}
