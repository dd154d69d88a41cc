package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/ghactions"
)

// TestDeployWithoutPulumi: with no Pulumi CLI anywhere, deploy says how to install it and changes nothing.
func TestDeployWithoutPulumi(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	app := t.TempDir()
	code, stdout, stderr := run("deploy", "--source", app, "--region", "eu-west-1", "--json")
	if code != 1 || !strings.Contains(stderr, "found no `pulumi` on PATH") || !strings.Contains(stderr, "get.pulumi.com") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
	// status needs the CLI too, and is not told it ran a deploy.
	if code, _, stderr := run("status", "--source", app, "--region", "eu-west-1"); code != 1 ||
		!strings.Contains(stderr, "status and secret set run Pulumi's engine") {
		t.Errorf("status without pulumi: exit %d, stderr:\n%s", code, stderr)
	}
	var got jsonError
	if err := json.Unmarshal([]byte(stdout), &got); err != nil || got.Error.Hint == "" {
		t.Errorf("--json error %q: %v", stdout, err)
	}
}

// TestDeployConfigErrors: a broken open-dash.toml stops deploy before anything runs, naming the key and line.
func TestDeployConfigErrors(t *testing.T) {
	app := t.TempDir()
	os.WriteFile(filepath.Join(app, "open-dash.toml"), []byte("[site]\nmemorysize = 1\n"), 0o644)
	code, _, stderr := run("deploy", "--source", app)
	if code != 1 || !strings.Contains(stderr, "site.memorysize") || !strings.Contains(stderr, "line 2") {
		t.Errorf("exit %d, stderr:\n%s", code, stderr)
	}
}

// TestStackCommandsYes: --yes is offered where a command asks (deploy, destroy, secret set creating the state
// store), not by status, which changes nothing; status still accepts it.
func TestStackCommandsYes(t *testing.T) {
	for _, c := range []struct {
		args  []string
		offer bool
	}{
		{[]string{"deploy"}, true},
		{[]string{"destroy"}, true},
		{[]string{"secret", "set"}, true},
		{[]string{"status"}, false},
	} {
		code, stdout, stderr := run(append(c.args, "--help")...)
		if code != 0 {
			t.Fatalf("%v --help: exit %d, %s", c.args, code, stderr)
		}
		if got := strings.Contains(stdout, "--yes"); got != c.offer {
			t.Errorf("%v --help offers --yes: %v, want %v", c.args, got, c.offer)
		}
	}
	t.Setenv("PATH", t.TempDir())
	if _, _, stderr := run("status", "--yes", "--source", t.TempDir(), "--region", "eu-west-1"); strings.Contains(stderr, "unknown flag") {
		t.Errorf("status --yes: %s", stderr)
	}
}

func TestInitGitHubActions(t *testing.T) {
	repo := t.TempDir()
	os.Mkdir(filepath.Join(repo, ".git"), 0o755)
	app := filepath.Join(repo, "apps", "board")
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, "open-dash.toml"), []byte(`[deploy]
stack = "production"
region = "eu-central-1"
envFile = "bundle.env"
[site.auth.basic]
users = { alice = { env = "ALICE_PASSWORD" } }
`), 0o644)
	code, stdout, stderr := run("init", "github-actions", "--source", app)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	out, err := os.ReadFile(filepath.Join(repo, ghactions.FileName))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`--source "apps/board" --stack "production"`, "aws-region: eu-central-1",
		"ALICE_PASSWORD: ${{ secrets.ALICE_PASSWORD }}",
		`printf '%s\n' "$OPENDASH_ENV_FILE" > "apps/board/bundle.env"`} {
		if !strings.Contains(string(out), want) {
			t.Errorf("workflow lacks %q", want)
		}
	}
	if !strings.Contains(stdout, "gh secret set ALICE_PASSWORD") || !strings.Contains(stdout, "OPENDASH_DEPLOY_ROLE_ARN") ||
		!strings.Contains(stdout, "gh secret set OPENDASH_ENV_FILE < apps/board/bundle.env") ||
		!strings.Contains(stdout, `docs/deploy.md: "Deploy on every push`) {
		t.Errorf("next steps:\n%s", stdout)
	}
	if code, _, stderr := run("init", "github-actions", "--source", app); code != 1 || !strings.Contains(stderr, "--force") {
		t.Errorf("second init: exit %d, %s", code, stderr)
	}
	if code, _, stderr := run("init", "github-actions", "--source", t.TempDir()); code != 1 || !strings.Contains(stderr, "not in a git repository") {
		t.Errorf("outside git: exit %d, %s", code, stderr)
	}
	if code, _, _ := run("init", "github-actions", "--source", app, "--force", "--region", "nowhere"); code != 2 {
		t.Errorf("bad region: exit %d, want 2", code)
	}
	os.WriteFile(filepath.Join(app, "open-dash.toml"), []byte("[deploy]\nenvFile = \"../../../outside.env\"\n"), 0o644)
	if code, _, stderr := run("init", "github-actions", "--source", app, "--force"); code != 1 || !strings.Contains(stderr, "outside the repository") {
		t.Errorf("an env file outside the repository: exit %d, %s", code, stderr)
	}
}
