package ghactions

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// envFileStep is the script of the workflow's step that writes the env file, from the deploy job.
func envFileStep(t *testing.T, o Options) string {
	t.Helper()
	out, err := Workflow(o)
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct {
				Name, Run string
			}
		}
	}
	if err := yaml.Unmarshal(out, &wf); err != nil {
		t.Fatal(err)
	}
	for _, job := range wf.Jobs {
		for _, s := range job.Steps {
			if strings.Contains(s.Name, "env file") {
				return s.Run
			}
		}
	}
	t.Fatalf("no step writes the env file:\n%s", out)
	return ""
}

// TestWorkflowWritesEnvFile runs the step's script as the runner does (bash, in the checkout): the env file
// lands at its path, in a folder git does not hold (a gitignored config/ is absent from a fresh checkout);
// without the repository secret the step fails naming it, rather than writing an empty file the bundle
// then fails on with the app's own KeyError.
func TestWorkflowWritesEnvFile(t *testing.T) {
	script := envFileStep(t, Options{EnvFile: "apps/board/config/bundle.env"})
	for _, c := range []struct {
		secret string
		ok     bool
	}{{"DATABASE_URL=postgres://x\nTOKEN=y", true}, {"", false}} {
		dir := t.TempDir()
		cmd := exec.Command("bash", "-e", "-c", script)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), EnvFileSecret+"="+c.secret)
		out, err := cmd.CombinedOutput()
		data, readErr := os.ReadFile(filepath.Join(dir, "apps", "board", "config", "bundle.env"))
		switch {
		case c.ok && (err != nil || readErr != nil || string(data) != c.secret+"\n"):
			t.Errorf("secret set: %v %v, file %q\n%s", err, readErr, data, out)
		case !c.ok && (err == nil || !strings.Contains(string(out), EnvFileSecret) || readErr == nil):
			t.Errorf("secret unset: %v, file written: %v\n%s", err, readErr == nil, out)
		}
	}
}
