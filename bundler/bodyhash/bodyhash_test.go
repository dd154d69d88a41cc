package bodyhash

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestScriptNode runs testdata/body_hash_test.js (node:test, fetch and XMLHttpRequest stubs).
func TestScriptNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH: cannot run testdata/body_hash_test.js (install Node.js 20 or newer)")
	}
	out, err := exec.Command(node, "--test", filepath.Join("testdata", "body_hash_test.js")).CombinedOutput()
	if err != nil {
		t.Fatalf("body_hash_test.js failed: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^# pass [1-9]`).Match(out) || !strings.Contains(string(out), "# fail 0") {
		t.Fatalf("body_hash_test.js ran no passing tests:\n%s", out)
	}
}

// TestModulePython runs testdata/test_bodyhash.py against the fake Dash, or the Dash of
// $OPENDASH_TEST_PYTHON (where the Pages, index_string and subclass cases run too).
func TestModulePython(t *testing.T) {
	python, pythonPath := "python3", filepath.Join("..", "testdata", "fakedash")
	if real := os.Getenv("OPENDASH_TEST_PYTHON"); real != "" {
		python, pythonPath = real, ""
	}
	if _, err := exec.LookPath(python); err != nil {
		t.Skipf("%s not found: cannot run testdata/test_bodyhash.py", python)
	}
	if out, err := exec.Command(python, "-c", "import flask").CombinedOutput(); err != nil {
		t.Skipf("%s cannot import flask: %s", python, out)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, ModuleFile), Module(), 0o644); err != nil {
		t.Fatal(err)
	}
	abs, _ := filepath.Abs(pythonPath)
	cmd := exec.Command(python, "-B", filepath.Join("testdata", "test_bodyhash.py"), "-v")
	cmd.Env = append(os.Environ(), "OPENDASH_BODYHASH_DIR="+dir, "OPENDASH_BODYHASH_PATH="+Path())
	if pythonPath != "" {
		cmd.Env = append(cmd.Env, "PYTHONPATH="+abs)
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test_bodyhash.py failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Ran (\d+) tests?`).FindSubmatch(out)
	if n, _ := strconv.Atoi(string(m[1])); m == nil || n < 5 {
		t.Fatalf("test_bodyhash.py ran too few tests:\n%s", out)
	}
	t.Logf("%s", m[0])
}

func TestPathAndWrite(t *testing.T) {
	sum := sha256.Sum256(Script())
	if !regexp.MustCompile(`^_opendash/body-hash\.[0-9a-f]{12}\.js$`).MatchString(Path()) ||
		!strings.Contains(Path(), hex.EncodeToString(sum[:])[:12]) {
		t.Fatalf("Path() = %q, want _opendash/body-hash.<12 hex of the script's SHA-256>.js", Path())
	}
	if !strings.Contains(string(Module()), `BODY_HASH_SCRIPT = "`+Path()+`"`) {
		t.Fatal("Module() does not carry Path(): the placeholder in opendash_bodyhash.py changed?")
	}
	for _, tc := range []struct{ prefix, key string }{{"/", Path()}, {"/app/", "app/" + Path()}} {
		dir := t.TempDir()
		f, err := Write(dir, tc.prefix)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(tc.key)))
		if err != nil || string(got) != string(Script()) {
			t.Fatalf("Write(%q) did not write the script at %s: %v", tc.prefix, tc.key, err)
		}
		if f.Key != tc.key || f.Path != tc.key || f.Class != "immutable" || f.SHA256 != hex.EncodeToString(sum[:]) ||
			f.Size != int64(len(Script())) {
			t.Errorf("Write(%q) = %+v", tc.prefix, f)
		}
	}
}
