package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestBundleAppAndTimeoutFlags: --app picks the entry point the manifest records; --timeout bounds the import.
func TestBundleAppAndTimeoutFlags(t *testing.T) {
	withFakeDash(t)
	tests := []struct {
		fixture string
		args    []string
		code    int
		want    string // in stderr (failure) or the manifest's entry (success)
	}{
		{"classic", []string{"--app", "index:app"}, 0, "index:app"},
		{"factory", []string{"--app", "app:make_app()"}, 0, "app:make_app()"},
		{"classic", nil, 1, "bundle with --app index:app"},
		{"blocking", []string{"--timeout", "1s"}, 1, "took longer than 1 s"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+strings.Join(tt.args, " "), func(t *testing.T) {
			src := filepath.Join(t.TempDir(), tt.fixture)
			if err := os.CopyFS(src, os.DirFS(filepath.Join("../../bundler/testdata/apps", tt.fixture))); err != nil {
				t.Fatal(err)
			}
			code, _, stderr := run(append([]string{"bundle", "--source", src, "--skip-install", "--quiet"}, tt.args...)...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d: %s", code, tt.code, stderr)
			}
			if tt.code != 0 {
				if !strings.Contains(stderr, tt.want) {
					t.Errorf("stderr lacks %q:\n%s", tt.want, stderr)
				}
				return
			}
			m, err := manifest.Read(filepath.Join(filepath.Dir(src), ".open-dash"))
			if err != nil {
				t.Fatal(err)
			}
			if m.App.Entry.String() != tt.want {
				t.Errorf("entry = %s, want %s", m.App.Entry, tt.want)
			}
		})
	}
}

// TestBundleJSONAppError: with --json an error in the app gives its exception and line in the message, the
// fix in the hint and the app's traceback on its own, starting at the app.
func TestBundleJSONAppError(t *testing.T) {
	withFakeDash(t)
	src := filepath.Join(t.TempDir(), "raises")
	if err := os.CopyFS(src, os.DirFS("../../bundler/testdata/apps/raises")); err != nil {
		t.Fatal(err)
	}
	code, stdout, _ := run("bundle", "--json", "--source", src, "--skip-install")
	var got jsonError
	if err := json.Unmarshal([]byte(stdout), &got); code != 1 || err != nil {
		t.Fatalf("exit %d, stdout %q (%v); want 1 and a JSON error", code, stdout, err)
	}
	e := got.Error
	if e.Step != "extract app" || !strings.Contains(e.Message, "ValueError: settings file missing: boom (app.py, line") ||
		!strings.Contains(e.Hint, "fix it and bundle again") || strings.Contains(e.Hint, "Traceback") ||
		!strings.HasPrefix(e.Traceback, "Traceback") || !strings.Contains(e.Traceback, "load_settings") ||
		strings.Contains(e.Traceback, "opendash_extract") {
		t.Errorf("error object = %+v", e)
	}
}
