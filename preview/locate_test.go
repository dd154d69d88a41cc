package preview

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
)

// fakeBundle writes a manifest that records source (relative to dir), enough for locating bundles.
func fakeBundle(t *testing.T, dir, source string) {
	t.Helper()
	writeFile(t, filepath.Join(dir, manifest.FileName), []byte(`{"schemaVersion":1,"app":{"source":"`+source+`"}}`))
}

func TestForSource(t *testing.T) {
	tests := []struct {
		name    string
		setup   func(t *testing.T, root string)
		source  string
		want    string // bundle folder relative to root
		wantErr string
		cwd     string   // run from this folder, relative to root
		note    []string // what the note about several bundles says (ROOT stands for root)
	}{
		{name: "beside the source", source: "single-page", want: ".open-dash",
			setup: func(t *testing.T, root string) { fakeBundle(t, filepath.Join(root, ".open-dash"), "../single-page") }},
		{name: "an older bundle that does not say whose", source: "single-page", want: ".open-dash",
			setup: func(t *testing.T, root string) { fakeBundle(t, filepath.Join(root, ".open-dash"), "") }},
		{name: "its own --out beside it", source: "pages", want: ".open-dash-pages",
			setup: func(t *testing.T, root string) {
				fakeBundle(t, filepath.Join(root, ".open-dash"), "../single-page")
				fakeBundle(t, filepath.Join(root, ".open-dash-pages"), "../pages")
			}},
		{name: "only another app's bundle", source: "pages", wantErr: "no bundle of",
			setup: func(t *testing.T, root string) { fakeBundle(t, filepath.Join(root, ".open-dash"), "../single-page") }},
		{name: "nothing bundled", source: "pages", wantErr: "hint: bundle it first: open-dash bundle --source",
			setup: func(*testing.T, string) {}},
		{name: "no such folder", source: "nope", wantErr: "does not exist", setup: func(*testing.T, string) {}},
		{name: "inside the source (an --out there)", source: "pages", want: "pages/.open-dash",
			setup: func(t *testing.T, root string) { fakeBundle(t, filepath.Join(root, "pages", ".open-dash"), "..") }},
		{name: "spelled with a trailing slash", source: "pages/", want: ".open-dash-pages",
			setup: func(t *testing.T, root string) { fakeBundle(t, filepath.Join(root, ".open-dash-pages"), "../pages") }},
		{name: "spelled as . from inside it", source: ".", cwd: "pages", want: ".open-dash",
			setup: func(t *testing.T, root string) { fakeBundle(t, filepath.Join(root, ".open-dash"), "../pages") }},
		{name: "two bundles: the newest, named with the other", source: "pages", want: "out-b",
			note: []string{"2 bundles of", "using the newest", "out-b", "also " + "ROOT/.open-dash (bundled", "--dir"},
			setup: func(t *testing.T, root string) {
				fakeBundle(t, filepath.Join(root, ".open-dash"), "../pages")
				fakeBundle(t, filepath.Join(root, "out-b"), "../pages")
				old := time.Now().Add(-time.Hour)
				os.Chtimes(filepath.Join(root, ".open-dash", manifest.FileName), old, old)
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			for _, app := range []string{"single-page", "pages"} {
				os.MkdirAll(filepath.Join(root, app), 0o755)
			}
			tt.setup(t, root)
			source := filepath.Join(root, tt.source)
			if tt.cwd != "" {
				t.Chdir(filepath.Join(root, tt.cwd))
				source = tt.source
			}
			got, note, err := FindSource(source)
			for _, w := range tt.note {
				if !strings.Contains(note, strings.ReplaceAll(w, "ROOT", root)) {
					t.Errorf("note %q lacks %q", note, w)
				}
			}
			if len(tt.note) == 0 && note != "" {
				t.Errorf("note %q for one bundle", note)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != filepath.Join(root, tt.want) {
				t.Fatalf("FindSource = %q, %v; want %s", got, err, tt.want)
			}
		})
	}
}

func TestMissing(t *testing.T) {
	root := t.TempDir()
	if err := Missing(root); err == nil || !strings.Contains(err.Error(), "bundle your app first") {
		t.Errorf("nothing nearby: %v", err)
	}
	os.MkdirAll(filepath.Join(root, "examples", "single-page"), 0o755)
	fakeBundle(t, filepath.Join(root, "examples", ".open-dash"), "../single-page")
	fakeBundle(t, filepath.Join(root, "node_modules", "x", ".open-dash"), "") // never looked into
	err := Missing(root)
	want := "pass one of: --source " + filepath.Join("examples", "single-page") + " (or --dir " + filepath.Join("examples", ".open-dash") + ")"
	if err == nil || !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "node_modules") {
		t.Errorf("err = %v, want %q", err, want)
	}
}
