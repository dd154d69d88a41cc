package component

import (
	"os"
	"os/exec"
	"testing"
)

// TestFunctionsPython runs the Python tests of the deploy-time functions against moto: the sync's
// invalidation (CloudFront) and the alias wait (Lambda). sync_test.py runs in TestSyncPython.
func TestFunctionsPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run functions/*_test.py (install Python 3 with boto3 and moto)")
	}
	if out, err := exec.Command(python, "-c", "import boto3, moto").CombinedOutput(); err != nil {
		t.Skipf("boto3 or moto is not importable by %s (pip install boto3 moto to run functions/*_test.py): %v\n%s", python, err, out)
	}
	for _, script := range []string{"functions/invalidate_test.py", "functions/aliaswait_test.py"} {
		t.Run(script, func(t *testing.T) {
			cmd := exec.Command(python, script, "-v")
			cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1") // leave no __pycache__ in the source tree
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("%s failed: %v", script, err)
			}
		})
	}
}
