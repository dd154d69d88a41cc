package sdkgen

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPythonSDK generates the Python SDK and runs testdata/test_python_sdk.py on it: every file
// byte-compiles, and DashSite's inputs and outputs (names, plain or Input, optional or not, the pulumi_aws
// class of each aws output) are what schema.json says. Importing the SDK needs the `pulumi` package, which
// is checked only where it is installed.
func TestPythonSDK(t *testing.T) {
	name := os.Getenv("OPENDASH_TEST_PYTHON")
	if name == "" {
		name = "python3"
	}
	python, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("skipping the Python SDK checks: %s not found (set OPENDASH_TEST_PYTHON)", name)
	}
	raw := readSchema(t)
	schemaPath, err := filepath.Abs(filepath.Join("..", "..", "schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	// run generates the SDK from schemaJSON and runs one test class against schema.json.
	run := func(t *testing.T, schemaJSON []byte, class string) ([]byte, error) {
		files, err := Generate(schemaJSON, "python", "")
		if err != nil {
			t.Fatal(err)
		}
		sdk := filepath.Join(t.TempDir(), "python")
		if err := Write(sdk, files); err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command(python, filepath.Join("testdata", "test_python_sdk.py"), "-v", class)
		cmd.Env = append(os.Environ(), "OPENDASH_SDK_DIR="+sdk, "OPENDASH_SCHEMA="+schemaPath, "PYTHONDONTWRITEBYTECODE=1")
		return cmd.CombinedOutput()
	}
	t.Run("structure", func(t *testing.T) {
		out, err := run(t, raw, "StructureTest")
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("test_python_sdk.py StructureTest: %v", err)
		}
	})
	// An SDK generated from a schema without input source and output bucket must fail the same checks.
	t.Run("catches a changed schema", func(t *testing.T) {
		out, err := run(t, mutateSchema(t, raw, "source", "sourceDir", "bucket"), "StructureTest")
		if err == nil {
			t.Fatalf("StructureTest passed on an SDK that lacks input source and output bucket:\n%s", out)
		}
		for _, w := range []string{"FAIL: test_inputs", "FAIL: test_outputs"} {
			if !strings.Contains(string(out), w) {
				t.Errorf("output lacks %q:\n%s", w, out)
			}
		}
	})
	t.Run("import", func(t *testing.T) {
		if out, err := exec.Command(python, "-c", "import pulumi, pulumi_aws").CombinedOutput(); err != nil {
			t.Skipf("not importing pulumi_opendash: %s cannot import pulumi and pulumi_aws (%s); the Python pulumi "+
				"package is not installable here (PyPI is unreachable), so only the byte-compile and syntax-tree "+
				"checks ran. Set OPENDASH_TEST_PYTHON to a Python with pulumi and pulumi-aws to run it", python, lastLines(string(out), 1))
		}
		out, err := run(t, raw, "ImportTest")
		t.Logf("%s", out)
		if err != nil {
			t.Fatalf("test_python_sdk.py ImportTest: %v", err)
		}
	})
}
