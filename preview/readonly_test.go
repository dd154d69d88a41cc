package preview

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestReadonlyRefusesEveryWrite runs testdata/test_readonly.py after the program each worker runs first
// (readonlyScript): every kind of write the audit hook sees into the server function's folder fails with
// EROFS, as on Lambda, and leaves the folder unchanged.
func TestReadonlyRefusesEveryWrite(t *testing.T) {
	py := needPython(t)
	root := t.TempDir()
	for name, data := range map[string]string{"file.txt": "data", "existing.db": ""} {
		writeFile(t, filepath.Join(root, name), []byte(data))
	}
	if err := os.Mkdir(filepath.Join(root, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	test, err := os.ReadFile(filepath.Join("testdata", "test_readonly.py"))
	if err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(t.TempDir(), "test_readonly.py")
	writeFile(t, script, []byte(readonlyScript+"\n"+string(test)))
	cmd := exec.Command(py, script, "-v")
	cmd.Env = append(os.Environ(), "OPENDASH_READONLY_ROOT="+root, "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !strings.Contains(string(out), "Ran 4 tests") {
		t.Fatalf("test_readonly.py: %v\n%s", err, out)
	}
}
