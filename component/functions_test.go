package component

import (
	"os"
	"os/exec"
	"testing"
)

// TestInvalidatePython runs functions/invalidate_test.py: the sync's invalidation against moto's CloudFront.
func TestInvalidatePython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run functions/invalidate_test.py (install Python 3 with boto3 and moto)")
	}
	if out, err := exec.Command(python, "-c", "import boto3, moto").CombinedOutput(); err != nil {
		t.Skipf("boto3 or moto is not importable by %s (pip install boto3 moto to run invalidate_test.py): %v\n%s", python, err, out)
	}
	cmd := exec.Command(python, "functions/invalidate_test.py", "-v")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // leave no __pycache__ in the source tree
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("invalidate_test.py failed: %v", err)
	}
}
