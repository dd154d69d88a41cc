package component

import (
	"os"
	"os/exec"
	"testing"
)

// TestInvalidatorPython runs functions/invalidator_test.py: the invalidator against moto's CloudFront.
func TestInvalidatorPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run functions/invalidator_test.py (install Python 3 with boto3 and moto)")
	}
	if out, err := exec.Command(python, "-c", "import boto3, moto").CombinedOutput(); err != nil {
		t.Skipf("boto3 or moto is not importable by %s (pip install boto3 moto to run invalidator_test.py): %v\n%s", python, err, out)
	}
	cmd := exec.Command(python, "functions/invalidator_test.py", "-v")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // leave no __pycache__ in the source tree
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("invalidator_test.py failed: %v", err)
	}
}
