package cli

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/serverimage/imagetest"
)

func TestImageBuildUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"image", "build", "--arch", "mips"}, `--arch "mips"`},
		{[]string{"image", "build", "--tag", "v1"}, "go with --push"},
		{[]string{"image", "build", "--push", "Not a repo"}, "is not a repository"},
		{[]string{"image", "build", "--push", "127.0.0.1:5000/x", "--username", "AWS"}, "--password-stdin"},
		{[]string{"image", "build", "--dir", "a", "--source", "b"}, "not both"},
		{[]string{"image", "build", "--json", "--arch", "sparc"}, `"step": "command line"`},
	} {
		code, stdout, stderr := run(c.args...)
		if code != 2 || !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%v: exit %d, output %q %q; want 2 and %q", c.args, code, stdout, stderr, c.want)
		}
	}
	dir := t.TempDir()
	if code, _, stderr := run("image", "build", "--dir", dir); code != 1 || !strings.Contains(stderr, "open-dash bundle") {
		t.Errorf("no bundle: exit %d, %q", code, stderr)
	}
}

// imageBundle bundles the fixture app with the stand-in Dash and makes pip install from a wheelhouse of it.
func imageBundle(t *testing.T) string {
	t.Helper()
	src := withFakeDash(t)
	if err := exec.Command("python3", "-m", "pip", "--version").Run(); err != nil {
		t.Skip("python3 has no pip, which the image builder runs")
	}
	if code, _, stderr := run("bundle", "--source", src, "--skip-install", "-q"); code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	t.Setenv("PYTHONPATH", "") // the image's Dash comes from the wheelhouse, not the stand-in on the path
	wheels := t.TempDir()
	fake, _ := filepath.Abs("../../bundler/testdata/fakedash")
	imagetest.FakeDashWheels(t, wheels, fake, "python3")
	for _, e := range os.Environ() {
		if k, _, _ := strings.Cut(e, "="); strings.HasPrefix(k, "PIP_") {
			t.Setenv(k, "")
			os.Unsetenv(k)
		}
	}
	t.Setenv("PIP_FIND_LINKS", wheels)
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PIP_CACHE_DIR", t.TempDir())
	return filepath.Join(filepath.Dir(src), ".open-dash")
}

func TestImageBuildAndPush(t *testing.T) {
	dir := imageBundle(t)
	// The registry asks for AWS:secret on the private/ repositories, as ECR would for its token.
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte("AWS:secret"))
	host := imagetest.InProcess(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/v2/private/") && r.Header.Get("Authorization") != want {
				w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
				w.WriteHeader(http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	out, err := exec.Command("python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Fatal(err)
	}
	base := imagetest.PushBase(t, host+"/lambda/python", strings.TrimSpace(string(out)), false)

	code, stdout, stderr := run("image", "build", "--dir", dir, "--base-image", base.Ref, "--json")
	if code != 0 {
		t.Fatalf("image build: exit %d: %s %s", code, stdout, stderr)
	}
	var built struct {
		OK bool `json:"ok"`
		serverimage.Report
	}
	if err := json.Unmarshal([]byte(stdout), &built); err != nil {
		t.Fatalf("--json: %v\n%s", err, stdout)
	}
	if !built.OK || !strings.HasPrefix(built.Digest, "sha256:") || built.Reference != "" || built.Architecture != "x86_64" ||
		built.BaseDigest != base.Platforms["amd64"] || len(built.Layers) != 4 || built.Layers[1].Role != serverimage.LayerDependencies {
		t.Errorf("build report %+v", built)
	}

	// A failure with --json: the step, the message and the hint apart, exit code 1.
	code, stdout, _ = run("image", "build", "--dir", dir, "--base-image", host+"/nothing:3.11", "--json")
	var failed jsonError
	if err := json.Unmarshal([]byte(stdout), &failed); err != nil || code != 1 || failed.OK ||
		failed.Error.Step != "image build: resolve base" || !strings.Contains(failed.Error.Message, host+"/nothing:3.11") || failed.Error.Hint == "" {
		t.Errorf("a missing base with --json: exit %d, %s (%v)", code, stdout, err)
	}

	code, stdout, stderr = run("image", "build", "--dir", dir, "--base-image", base.Ref, "--push", host+"/site", "--tag", "first")
	if code != 0 {
		t.Fatalf("image build --push: exit %d: %s", code, stderr)
	}
	if ref := strings.TrimSpace(stdout); ref != host+"/site@"+built.Digest {
		t.Errorf("stdout %q, want the digest reference %s@%s", ref, host+"/site", built.Digest)
	}
	for _, w := range []string{"dependencies", "app", "assets", "pushed", "Base " + base.Ref, "--base-image " + host + "/lambda/python@" + base.Platforms["amd64"]} {
		if !strings.Contains(stderr, w) {
			t.Errorf("the report lacks %q:\n%s", w, stderr)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, ".deploy", serverimage.RecordFile))
	if err != nil {
		t.Fatalf("no record of the build: %v", err)
	}
	var rec serverimage.Report
	if err := json.Unmarshal(data, &rec); err != nil || rec.Reference != host+"/site@"+built.Digest || rec.Tag != host+"/site:first" {
		t.Errorf("record %s (%v)", data, err)
	}

	// Credentials from standard input, as `aws ecr get-login-password | ...` gives them.
	for _, c := range []struct {
		password string
		code     int
	}{{"secret\n", 0}, {"wrong\n", 1}} {
		var so, se strings.Builder
		root := newRoot(&so, &se)
		root.SetIn(strings.NewReader(c.password))
		root.SetArgs([]string{"image", "build", "--dir", dir, "--base-image", base.Ref, "--push", host + "/private/site",
			"--username", "AWS", "--password-stdin", "--json"})
		err := root.ExecuteContext(context.Background())
		if (err == nil) != (c.code == 0) {
			t.Errorf("password %q: error %v", c.password, err)
		}
		if err != nil && !strings.Contains(err.Error(), "image push to "+host) {
			t.Errorf("a refused push: error %v, want one naming the registry", err)
		}
		if err == nil && !strings.Contains(so.String(), `"reference": "`+host+`/private/site@sha256:`) {
			t.Errorf("the push to private/site reports %s", so.String())
		}
	}
}
