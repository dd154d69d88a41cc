package provider

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/serverimage/imagetest"
)

// engineTestEnv turns on TestServerImageThroughTheEngine.
const engineTestEnv = "OPENDASH_TEST_ENGINE"

// TestServerImageThroughTheEngine runs a YAML program holding a ServerImage through the real Pulumi engine
// (the CLI, a file backend, the plugin built from this checkout and found on PATH), against an in-process
// registry that takes any "token-..." password, as ECR takes any fresh token: preview pushes nothing; up
// pushes; a new token is no change; a source edit is an update in place that moves the live tag.
func TestServerImageThroughTheEngine(t *testing.T) {
	// Minutes on two cores (building the plugin, eight CLI runs): opt-in.
	if os.Getenv(engineTestEnv) == "" {
		t.Skipf("set %s=1 to run a ServerImage through the Pulumi CLI (needs pulumi and its YAML language host on PATH)", engineTestEnv)
	}
	pulumiCLI, err := exec.LookPath("pulumi")
	if err != nil {
		t.Fatalf("%s is set but the Pulumi CLI is not on PATH", engineTestEnv)
	}
	python, minor := bundlingPython(t)
	// Any "token-..." password, as ECR takes any fresh token: each run's differs.
	host := privateRegistry(t, func(user, password string) bool {
		return user == registryUser && strings.HasPrefix(password, "token-")
	})
	base := imagetest.PushBase(t, host+"/lambda/python", minor, false)
	repo := host + "/site"

	work := t.TempDir()
	bin := filepath.Join(work, "bin")
	build := exec.Command("go", "build", "-o", filepath.Join(bin, "pulumi-resource-opendash"), "../cmd/pulumi-resource-opendash")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the plugin: %v\n%s", err, out)
	}
	wheels := filepath.Join(work, "wheels")
	if err := os.MkdirAll(wheels, 0o755); err != nil {
		t.Fatal(err)
	}
	imagetest.WriteWheel(t, wheels, imagetest.WheelSpec{Name: "tinylib", Version: "1.0",
		Files: map[string]string{"tinylib/__init__.py": "NAME = 'tinylib'\n"}})

	project := filepath.Join(work, "project")
	files := map[string]string{
		"server/opendash_handler.py": "import app\n\ndef handler(event, context=None):\n    return {'statusCode': 200}\n",
		"server/app.py":              "import tinylib\n",
		"server/requirements.txt":    "tinylib==1.0\n",
		"server/assets/style.css":    "body { color: red }\n",
		"Pulumi.yaml": `name: serverimage-engine-test
runtime: yaml
config:
  sourceDigest: {type: string}
  token: {type: string}
resources:
  image:
    type: opendash:index:ServerImage
    properties:
      dir: server
      sourceDigest: ${sourceDigest}
      architecture: arm64
      pythonVersion: "` + minor + `"
      baseImage: ` + base.Ref + `
      python: ` + python + `
      repositoryUrl: ` + repo + `
      registryUsername: AWS
      registryPassword: ${token}
outputs:
  imageUri: ${image.imageUri}
  digest: ${image.digest}
`,
	}
	for name, body := range files {
		p := filepath.Join(project, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	state := filepath.Join(work, "state")
	if err := os.MkdirAll(state, 0o755); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"PATH="+bin+string(os.PathListSeparator)+os.Getenv("PATH"), // the plugin, found as an ambient plugin
		"PULUMI_HOME="+filepath.Join(work, "home"),
		"PULUMI_BACKEND_URL=file://"+state,
		"PULUMI_CONFIG_PASSPHRASE=test",
		"PULUMI_SKIP_UPDATE_CHECK=true",
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true",
		"PIP_FIND_LINKS="+wheels, "PIP_NO_INDEX=1",
		"OPENDASH_CACHE_DIR="+filepath.Join(work, "cache"),
	)
	run := func(args ...string) string {
		t.Helper()
		cmd := exec.Command(pulumiCLI, append(args, "--non-interactive")...)
		cmd.Dir, cmd.Env = project, env
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("pulumi %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	outputs := func() map[string]string {
		t.Helper()
		var m map[string]string
		if err := json.Unmarshal([]byte(run("stack", "output", "--json")), &m); err != nil {
			t.Fatal(err)
		}
		return m
	}
	run("stack", "init", "test")
	run("config", "set", "sourceDigest", "sha256:one")
	run("config", "set", "--secret", "token", "token-run-1")

	run("preview")
	if got := tagged(t, repo, imagepush.LiveTag); got != "" {
		t.Fatalf("preview pushed an image (live -> %s)", got)
	}
	run("up", "--yes")
	first := outputs()
	if first["imageUri"] != repo+"@"+first["digest"] || tagged(t, repo, imagepush.LiveTag) != first["digest"] {
		t.Fatalf("after up: outputs %v, live -> %s", first, tagged(t, repo, imagepush.LiveTag))
	}

	// The next run's token, the same source: nothing to do.
	run("config", "set", "--secret", "token", "token-run-2")
	run("preview", "--expect-no-changes")

	// A source edit: an update in place.
	if err := os.WriteFile(filepath.Join(project, "server", "assets", "style.css"), []byte("body { color: blue }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	run("config", "set", "sourceDigest", "sha256:two")
	if out := run("up", "--yes"); !strings.Contains(out, "1 updated") {
		t.Errorf("up after a source edit: want the image updated in place:\n%s", out)
	}
	second := outputs()
	if second["digest"] == first["digest"] || tagged(t, repo, imagepush.LiveTag) != second["digest"] {
		t.Errorf("after the edit: digest %s (was %s), live -> %s", second["digest"], first["digest"], tagged(t, repo, imagepush.LiveTag))
	}
	if tagged(t, repo, imagepush.Tag(first["digest"])) != first["digest"] {
		t.Error("the first image lost its own tag")
	}
	run("destroy", "--yes")
	if tagged(t, repo, imagepush.LiveTag) != second["digest"] {
		t.Error("destroy deleted the image: the repository and its lifecycle policy own it")
	}
}
