package edgesigner

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestEmbeddedSource(t *testing.T) {
	onDisk, err := os.ReadFile(FileName)
	if err != nil {
		t.Fatalf("read %s: %v", FileName, err)
	}
	module, function, _ := strings.Cut(Handler, ".")
	tests := []struct {
		name string
		ok   bool
	}{
		{"Source is the file on disk", Source == string(onDisk)},
		{"Handler's module is FileName", module+".py" == FileName},
		{"Handler's function is defined", regexp.MustCompile(`(?m)^def ` + function + `\(event, context`).MatchString(Source)},
		{"Runtime is a Python runtime", strings.HasPrefix(Runtime, "python3.")},
		{"standard library only", !regexp.MustCompile(`(?m)^\s*(import|from)\s+(boto3|botocore)\b`).MatchString(Source)},
		{"no CRLF line endings", !strings.Contains(Source, "\r\n")},
		{"BodyTooLarge is signer.py's 413 text", strings.Contains(strings.ReplaceAll(Source, "\"\n                  \"", ""),
			strings.ReplaceAll(strings.ReplaceAll(BodyTooLarge, `"`, `\"`), "\n", `\n`))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !tt.ok {
				t.Errorf("%s: check failed (FileName=%q Handler=%q Runtime=%q)", tt.name, FileName, Handler, Runtime)
			}
		})
	}
}

// TestSignerPython runs signer_test.py, which checks every signature against botocore's own SigV4Auth.
func TestSignerPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run signer_test.py (install Python 3 with botocore to run it)")
	}
	if out, err := exec.Command(python, "-c", "import botocore.auth").CombinedOutput(); err != nil {
		t.Skipf("botocore is not importable by %s (install botocore to run signer_test.py): %v\n%s", python, err, out)
	}
	dir, err := filepath.Abs(".")
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "-B", "-m", "unittest", "-v", "signer_test")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("signer_test.py failed (%v):\n%s", err, out)
	}
	if !regexp.MustCompile(`(?m)^Ran [1-9][0-9]* tests? in`).Match(out) {
		t.Fatalf("signer_test.py ran no tests:\n%s", out)
	}
	t.Logf("%s", out)
}
