package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
)

func run(args ...string) (code int, stdout, stderr string) {
	var out, errOut bytes.Buffer
	code = Run(context.Background(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{"version", []string{"version"}, 0, "open-dash " + bundler.Version, ""},
		{"help lists commands", []string{"--help"}, 0, "bundle", ""},
		{"bundle help documents flags", []string{"bundle", "--help"}, 0, "--include-warmer", ""},
		{"source required", []string{"bundle"}, 2, "", "--source is required"},
		{"unknown flag", []string{"bundle", "--sauce", "x"}, 2, "", "unknown flag: --sauce"},
		{"unknown command", []string{"deplyo"}, 2, "", `unknown command "deplyo"`},
		{"missing source", []string{"bundle", "--source", "/no/such/app"}, 1, "", "check source: source folder /no/such/app does not exist"},
		{"bad architecture is a wrong command line", []string{"bundle", "--source", "/no/such/app", "--architecture", "foo"}, 2, "", `--architecture "foo" is not one Lambda runs`},
		{"public URL must be absolute", []string{"bundle", "--source", "/no/such/app", "--public-url", "notaurl"}, 2, "", `--public-url "notaurl" is not an absolute http(s) URL`},
		{"preview help documents --origin-auth", []string{"preview", "--help"}, 0, "--origin-auth", ""},
		{"bad --origin-auth", []string{"preview", "--origin-auth", "iam"}, 2, "", `--origin-auth "iam": use edge or oac`},
		{"preview help documents basic auth", []string{"preview", "--help"}, 0, "--basic-auth", ""},
		{"basic auth without password", []string{"preview", "--basic-auth", "alice"}, 2, "", "--basic-auth: basic auth: want USER:PASSWORD"},
		{"basic auth non-ASCII", []string{"preview", "--basic-auth", "alice:pässwort"}, 2, "", "printable ASCII"},
		{"oidc issuer alone", []string{"preview", "--oidc-issuer", "https://idp.example"}, 2, "", "go together"},
		{"oidc and basic auth", []string{"preview", "--oidc-issuer", "https://idp.example", "--oidc-client-id", "c", "--basic-auth", "a:sixteen-characters"}, 2, "", "choose one"},
		{"oidc without an allow-list", []string{"preview", "--oidc-issuer", "https://idp.example", "--oidc-client-id", "c"}, 2, "", "no allow-list"},
		{"basic auth with a short password", []string{"preview", "--basic-auth", "alice:fifteen-chars!!"}, 2, "", `user "alice": the password has 15 characters, fewer than 16`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d (stderr %q)", code, tt.code, stderr)
			}
			if !strings.Contains(stdout, tt.stdout) {
				t.Errorf("stdout %q lacks %q", stdout, tt.stdout)
			}
			if !strings.Contains(stderr, tt.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tt.stderr)
			}
		})
	}
}

func TestJSONErrors(t *testing.T) {
	tests := []struct {
		name      string
		args      []string
		code      int
		step, msg string
		hint      string
	}{
		{"failed step", []string{"bundle", "--json", "--source", "/no/such/app"}, 1,
			"check source", "source folder /no/such/app does not exist", ""},
		{"bad flag value", []string{"bundle", "--json", "--source", "x", "--architecture", "foo"}, 2,
			"command line", `--architecture "foo"`, ""},
		{"unknown flag after --json", []string{"bundle", "--json", "--sauce", "x"}, 2,
			"command line", "unknown flag: --sauce", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := run(tt.args...)
			if code != tt.code {
				t.Errorf("exit code %d, want %d", code, tt.code)
			}
			var got jsonError
			if err := json.Unmarshal([]byte(stdout), &got); err != nil {
				t.Fatalf("stdout is not a JSON error object: %v\n%s", err, stdout)
			}
			if got.OK || got.Error.Step != tt.step || !strings.Contains(got.Error.Message, tt.msg) || got.Error.Hint != tt.hint {
				t.Errorf("error object = %+v, want step %q, message with %q, hint %q", got, tt.step, tt.msg, tt.hint)
			}
			if !strings.Contains(stderr, tt.msg) {
				t.Errorf("stderr %q lacks the message too", stderr)
			}
		})
	}
	// Without --json, stdout stays empty on failure.
	if _, stdout, _ := run("bundle", "--source", "/no/such/app"); stdout != "" {
		t.Errorf("stdout without --json = %q", stdout)
	}
}

func TestWantsJSON(t *testing.T) {
	tests := []struct {
		name      string
		annotated bool
		args      []string
		want      bool
	}{
		{"annotated, --json", true, []string{"--json"}, true},
		{"annotated, no --json", true, nil, false},
		{"a command with its own failure report", false, []string{"--json"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cmd := &cobra.Command{Use: "x"}
			cmd.Flags().Bool("json", false, "")
			if tt.annotated {
				cmd.Annotations = map[string]string{jsonErrorsAnnotation: "true"}
			}
			if err := cmd.ParseFlags(tt.args); err != nil {
				t.Fatal(err)
			}
			if got := wantsJSON(cmd); got != tt.want {
				t.Errorf("wantsJSON = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestJSONErrorHint(t *testing.T) {
	var buf bytes.Buffer
	printJSONError(&buf, &bundler.StepError{Step: "install requirements", Err: errors.New("pip failed:\nlog\n  hint: fix it")})
	var got jsonError
	if err := json.Unmarshal(buf.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Error.Step != "install requirements" || got.Error.Message != "pip failed:\nlog" || got.Error.Hint != "fix it" {
		t.Errorf("got %+v", got)
	}
}

// withFakeDash copies the bundler's Dash-free fixture app and puts the fake Dash on the Python path.
func withFakeDash(t *testing.T) string {
	t.Helper()
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed: %v", err)
	}
	fake, _ := filepath.Abs("../../bundler/testdata/fakedash")
	t.Setenv("PYTHONPATH", fake)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir()) // never the user's own cache folder
	src := filepath.Join(t.TempDir(), "app")
	if err := os.CopyFS(src, os.DirFS("../../bundler/testdata/apps/good")); err != nil {
		t.Fatal(err)
	}
	return src
}

func TestBundleOutputModes(t *testing.T) {
	src := withFakeDash(t)

	code, stdout, stderr := run("bundle", "--source", src, "--skip-install", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var summary struct {
		OK          bool   `json:"ok"`
		OutDir      string `json:"outDir"`
		Files       int    `json:"files"`
		StaticFiles int    `json:"staticFiles"`
		StaticBytes int64  `json:"staticBytes"`
		BuildID     string `json:"buildId"`
		DashVersion string `json:"dashVersion"`
		Steps       []struct {
			Name    string `json:"name"`
			Skipped string `json:"skipped"`
		} `json:"steps"`
		Warnings []string `json:"warnings"`
	}
	if err := json.Unmarshal([]byte(stdout), &summary); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, stdout)
	}
	if !summary.OK || summary.OutDir != filepath.Join(filepath.Dir(src), ".open-dash") || summary.Files == 0 ||
		summary.StaticFiles == 0 || summary.StaticBytes == 0 || len(summary.BuildID) != 16 || summary.DashVersion != "9.9.9" {
		t.Errorf("summary = %+v", summary)
	}
	if len(summary.Steps) < 5 || summary.Warnings == nil {
		t.Errorf("steps/warnings missing: %+v", summary)
	}
	if stderr != "" {
		t.Errorf("--json must keep stderr quiet on success, got %q", stderr)
	}

	code, stdout, stderr = run("bundle", "--source", src, "--skip-install", "--quiet")
	if code != 0 || stdout != "" || stderr != "" {
		t.Errorf("--quiet: exit %d, stdout %q, stderr %q", code, stdout, stderr)
	}

	code, _, stderr = run("bundle", "--source", src, "--skip-install")
	if code != 0 || !strings.Contains(stderr, "check source") || !strings.Contains(stderr, "Bundled ") ||
		!strings.Contains(stderr, "Next: open-dash preview --source "+src+"\n") {
		t.Errorf("progress: exit %d, stderr %q", code, stderr)
	}
	out := filepath.Join(t.TempDir(), "elsewhere")
	code, _, stderr = run("bundle", "--source", src, "--skip-install", "--out", out)
	if code != 0 || !strings.Contains(stderr, "Next: open-dash preview --dir "+out+"\n") {
		t.Errorf("--out elsewhere: exit %d, stderr %q", code, stderr)
	}

	if err := os.WriteFile(filepath.Join(src, "app.py"), []byte("def create_app():\n    raise RuntimeError('kaput')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr = run("bundle", "--source", src, "--skip-install", "--quiet")
	if code != 1 || !strings.Contains(stderr, "RuntimeError: kaput") || !strings.Contains(stderr, "extract app:") {
		t.Errorf("app error: exit %d, stderr %q", code, stderr)
	}
}

// TestBundleSummaryNamesProtectedURLs: the summary says which URLs the app protects became server routes, and why.
func TestBundleSummaryNamesProtectedURLs(t *testing.T) {
	withFakeDash(t)
	src := filepath.Join(t.TempDir(), "protected")
	if err := os.CopyFS(src, os.DirFS("../../bundler/testdata/apps/protected")); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := run("bundle", "--source", src, "--skip-install")
	for _, want := range []string{
		"server route: / answered 401 to an anonymous request: served by your app, not S3",
		"server route: /_dash-layout answered 401 to an anonymous request: served by your app, not S3",
	} {
		if code != 0 || !strings.Contains(stderr, want) {
			t.Errorf("exit %d, stderr lacks %q:\n%s", code, want, stderr)
		}
	}
}
