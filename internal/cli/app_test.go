package cli

import (
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
