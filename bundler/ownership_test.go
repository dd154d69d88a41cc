package bundler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
)

func TestCheckOwner(t *testing.T) {
	root := t.TempDir()
	a, b := filepath.Join(root, "a"), filepath.Join(root, "b")
	out := filepath.Join(root, ".open-dash")
	bundleOf := func(source string) func(t *testing.T) {
		return func(t *testing.T) {
			mustWrite(t, filepath.Join(out, manifest.FileName), `{"schemaVersion":1,"app":{"source":"`+source+`"}}`)
		}
	}
	tests := []struct {
		name    string
		setup   func(t *testing.T)
		force   bool
		wantErr []string
	}{
		{name: "no folder yet", setup: func(*testing.T) {}},
		{name: "empty folder", setup: func(t *testing.T) { os.MkdirAll(out, 0o755) }},
		{name: "this app's bundle", setup: bundleOf("../a")},
		{name: "a bundle that does not say whose", setup: bundleOf("")},
		{name: "another app's bundle", setup: bundleOf("../b"), wantErr: []string{
			"holds the bundle of " + b + ", not of " + a, "--out " + filepath.Join(root, ".open-dash-a"), "--force"}},
		{name: "another app's bundle, forced", setup: bundleOf("../b"), force: true},
		{name: "not a bundle", setup: func(t *testing.T) { mustWrite(t, filepath.Join(out, "notes.txt"), "mine") },
			wantErr: []string{"holds files but no open-dash.output.json", "choose another --out"}},
		{name: "not a bundle, forced all the same", force: true,
			setup:   func(t *testing.T) { mustWrite(t, filepath.Join(out, "notes.txt"), "mine") },
			wantErr: []string{"not a bundle"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			os.RemoveAll(out)
			for _, d := range []string{a, b} {
				os.MkdirAll(d, 0o755)
			}
			tt.setup(t)
			err := checkOwner(a, out, tt.force)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				return
			}
			for _, want := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), want) {
					t.Errorf("err = %v, want it to contain %q", err, want)
				}
			}
		})
	}
}

// TestSiblingAppsDoNotOverwrite: two apps beside each other share the default output folder; the second is
// refused until it gets its own --out (or --force), and each manifest records its own source.
func TestSiblingAppsDoNotOverwrite(t *testing.T) {
	fakeDash(t)
	first := fixture(t, "good")
	second := filepath.Join(filepath.Dir(first), "other")
	if err := os.CopyFS(second, os.DirFS(first)); err != nil {
		t.Fatal(err)
	}
	res, err := bundle(t, first, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Manifest.App.Source != "../good" {
		t.Errorf("manifest source = %q, want ../good", res.Manifest.App.Source)
	}
	if _, err := bundle(t, second, Options{}); err == nil || !strings.Contains(err.Error(), "holds the bundle of "+first) {
		t.Fatalf("second app into the first one's folder: err = %v", err)
	}
	if m, err := manifest.Read(res.OutDir); err != nil || m.BuildID != res.Manifest.BuildID {
		t.Fatalf("the first bundle was touched: %v", err)
	}
	own, err := bundle(t, second, Options{OutDir: OwnOutDir(second)})
	if err != nil {
		t.Fatal(err)
	}
	if own.Manifest.App.Source != "../other" {
		t.Errorf("own folder: manifest source = %q", own.Manifest.App.Source)
	}
	forced, err := bundle(t, second, Options{Force: true})
	if err != nil || forced.Manifest.App.Source != "../other" {
		t.Fatalf("--force: %v", err)
	}
}
