package warmer

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

func TestWrite(t *testing.T) {
	dir := t.TempDir()
	res, err := Write(dir)
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(dir, IndexFile))
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 1 || res.Bytes != int64(len(data)) || !bytes.Equal(data, indexPy) {
		t.Errorf("Write = %+v, wrote %d bytes", res, len(data))
	}
	st, _ := os.Stat(filepath.Join(dir, IndexFile))
	if st.Mode().Perm() != 0o644 {
		t.Errorf("mode = %v, want 0644", st.Mode().Perm())
	}
	again := t.TempDir()
	if _, err := Write(again); err != nil {
		t.Fatal(err)
	}
	second, _ := os.ReadFile(filepath.Join(again, IndexFile))
	if !bytes.Equal(data, second) {
		t.Error("two writes differ")
	}
	if _, err := Write(filepath.Join(dir, "missing")); err == nil {
		t.Error("Write into a missing folder succeeded")
	}
}

// TestOnlyBoto3 keeps the warmer deployable as a plain zip: the runtime ships boto3, nothing else.
func TestOnlyBoto3(t *testing.T) {
	stdlib := map[string]bool{"json": true, "os": true, "time": true, "uuid": true, "concurrent.futures": true}
	for _, m := range regexp.MustCompile(`(?m)^(?:from|import) ([\w.]+)`).FindAllStringSubmatch(string(indexPy), -1) {
		mod := m[1]
		if !stdlib[mod] && mod != "boto3" && !strings.HasPrefix(mod, "botocore") {
			t.Errorf("index.py imports %s, which the Lambda Python runtime may not ship", mod)
		}
	}
	if !regexp.MustCompile(`^python3\.(1[2-9])$`).MatchString(Runtime) {
		t.Errorf("Runtime = %q, want python3.12 or newer", Runtime)
	}
}

// TestWarmerPy runs the handler that Write produces against a stub Lambda Invoke API.
func TestWarmerPy(t *testing.T) {
	name := os.Getenv("OPENDASH_TEST_PYTHON")
	if name == "" {
		name = "python3"
	}
	python, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("skipping the Python warmer tests: %s not found (set OPENDASH_TEST_PYTHON)", name)
	}
	if out, err := exec.Command(python, "-c", "import boto3").CombinedOutput(); err != nil {
		t.Skipf("skipping the Python warmer tests: %s cannot import boto3 (pip install boto3): %s", python, out)
	}
	dir := t.TempDir()
	if _, err := Write(dir); err != nil {
		t.Fatal(err)
	}
	names, _ := json.Marshal(map[string]any{
		"EnvTargets": EnvTargets, "EnvConcurrency": EnvConcurrency, "EnvDelayMS": EnvDelayMS,
		"DefaultConcurrency": DefaultConcurrency, "DefaultDelayMS": DefaultDelayMS,
	})
	cmd := exec.Command(python, filepath.Join("testdata", "test_warmer.py"), "-v")
	cmd.Env = append(os.Environ(), "OPENDASH_WARMER_PY="+filepath.Join(dir, IndexFile), "OPENDASH_EXPECT_NAMES="+string(names))
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("test_warmer.py failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`Ran (\d+) tests?`).FindSubmatch(out)
	if m == nil {
		t.Fatalf("test_warmer.py printed no test count:\n%s", out)
	}
	if n, _ := strconv.Atoi(string(m[1])); n < 5 {
		t.Fatalf("test_warmer.py ran %d tests, want at least 5:\n%s", n, out)
	}
	t.Logf("%s", m[0])
}
