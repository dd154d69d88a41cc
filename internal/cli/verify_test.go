package cli

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/preview"
)

func TestVerifyCommandLine(t *testing.T) {
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"URL required", []string{"verify"}, 2, "verify takes the site's URL"},
		{"one URL only", []string{"verify", "https://a", "https://b"}, 2, "got 2 arguments"},
		{"concurrency at least 1", []string{"verify", "https://a", "--concurrency", "0"}, 2, "--concurrency 0"},
		{"basic auth needs a colon", []string{"verify", "https://a", "--basic-auth", "alice"}, 2, "--basic-auth: want USER:PASSWORD"},
		{"one sign-in", []string{"verify", "https://a", "--oidc", "--basic-auth", "alice:pw"}, 2, "--basic-auth and --oidc"},
		{"--dir or --source", []string{"verify", "https://a", "--dir", "x", "--source", "y"}, 2, "pass --dir or --source, not both"},
		{"no bundle", []string{"verify", "https://a", "--dir", "/no/such/bundle"}, 1, "no manifest here"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestVerifyPreview: exit 0 and a JSON report against the preview of a bundle; exit 1, one line per failure
// and a summary with the fix once a file changed after bundling.
func TestVerifyPreview(t *testing.T) {
	src := withFakeDash(t)
	if code, _, stderr := run("bundle", "--source", src, "--skip-install", "--quiet"); code != 0 {
		t.Fatalf("bundle: exit %d: %s", code, stderr)
	}
	dir := filepath.Join(filepath.Dir(src), ".open-dash")
	s, err := preview.Start(context.Background(), preview.Options{Dir: dir, Addr: "127.0.0.1:0", Python: "python3"})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	code, stdout, stderr := run("verify", s.URL(), "--dir", dir, "--json", "--concurrency", "2")
	var rep struct {
		OK     bool
		Checks []struct{ Kind, URL string }
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 || !rep.OK || len(rep.Checks) < 8 {
		t.Fatalf("--json: exit %d, %v, report %+v\nstdout %s\nstderr %s", code, err, rep, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("--json printed on stderr: %q", stderr)
	}

	if err := os.WriteFile(filepath.Join(dir, "assets", "assets", "style.css"), []byte("changed"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr = run("verify", s.URL(), "--dir", dir)
	for _, want := range []string{
		"FAIL static GET /assets/style.css (200): content differs from the bundle",
		"FAILED (1 of ", "first failures:", "fix: the upload is stale or a cache holds an old copy; invalidate the path",
		"verify: 1 of ",
	} {
		if !strings.Contains(stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 || stdout != "" || strings.Contains(stderr, "\r") {
		t.Errorf("exit %d, stdout %q, progress on a non-terminal: %v", code, stdout, strings.Contains(stderr, "\r"))
	}

	// --oidc against a site without sign-in: everything it serves is a failure, and the skipped checks are noted.
	code, _, stderr = run("verify", s.URL(), "--dir", dir, "--oidc")
	for _, want := range []string{"with content to a visitor who has not signed in", "note: callback skipped",
		"note: signin skipped: signing in at the provider"} {
		if !strings.Contains(stderr, want) {
			t.Errorf("--oidc: stderr lacks %q:\n%s", want, stderr)
		}
	}
	if code != 1 {
		t.Errorf("--oidc against a site without sign-in: exit %d", code)
	}
}
