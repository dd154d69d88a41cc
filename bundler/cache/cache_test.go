package cache

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
)

func write(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// settle backdates what a test just wrote, so the racy window does not apply to it.
func settle(t *testing.T) {
	t.Helper()
	old := RacyWindow
	RacyWindow = 0
	t.Cleanup(func() { RacyWindow = old })
}

func TestRecordRoundTrip(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(t.TempDir(), ".open-dash")
	r := &Record{Out: out, Key: "k", BuildID: "b", Summary: Summary{Files: 3}}
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	got, err := Load(dir, out)
	if err != nil || got == nil || got.Key != "k" || got.Summary.Files != 3 || got.Format != format {
		t.Fatalf("Load = %+v, %v", got, err)
	}
	if other, err := Load(dir, out+"-other"); other != nil || err != nil {
		t.Errorf("another folder's record: %+v, %v", other, err)
	}
	write(t, recordFile(dir, out), "{not json")
	if got, err := Load(dir, out); got != nil || err != nil {
		t.Errorf("a corrupt record must read as none: %+v, %v", got, err)
	}
	if err := r.Save(dir); err != nil {
		t.Fatal(err)
	}
	Forget(dir, out)
	if got, _ := Load(dir, out); got != nil {
		t.Error("Forget left the record")
	}
	entries, _ := os.ReadDir(filepath.Join(dir, "bundles"))
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".record-") {
			t.Errorf("temporary file left behind: %s", e.Name())
		}
	}
}

func TestLocation(t *testing.T) {
	t.Setenv(DirEnv, "relative/cache")
	got, err := Location()
	if err != nil || !filepath.IsAbs(got) || !strings.HasSuffix(got, filepath.Join("relative", "cache")) {
		t.Errorf("Location() = %q, %v", got, err)
	}
	t.Setenv(DirEnv, "")
	if base, err := os.UserCacheDir(); err == nil {
		if got, _ := Location(); got != filepath.Join(base, "opendash") {
			t.Errorf("Location() = %q, want under %s", got, base)
		}
	}
}

// TestChangedInputs: a recorded file is unchanged only when its stat (or, for a racy or touched-back stat,
// its digest) says so.
func TestChangedInputs(t *testing.T) {
	settle(t)
	root := t.TempDir()
	file := filepath.Join(root, "app.py")
	old := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name    string
		withSHA bool
		change  func(t *testing.T)
		racy    bool
		changed bool
	}{
		{name: "untouched", change: func(*testing.T) {}},
		{name: "new content, same size, mtime put back", withSHA: true, changed: true, change: func(t *testing.T) {
			write(t, file, "print(2)")
			os.Chtimes(file, old, old)
		}},
		{name: "same content rewritten, mtime put back", withSHA: true, change: func(t *testing.T) {
			write(t, file, "print(1)")
			os.Chtimes(file, old, old)
		}},
		{name: "same content rewritten, no digest to tell", changed: true, change: func(t *testing.T) {
			write(t, file, "print(1)")
			os.Chtimes(file, old, old)
		}},
		{name: "touched", withSHA: true, changed: true, change: func(*testing.T) {
			os.Chtimes(file, old.Add(time.Second), old.Add(time.Second))
		}},
		{name: "mode", withSHA: true, changed: true, change: func(*testing.T) { os.Chmod(file, 0o755) }},
		{name: "removed", withSHA: true, changed: true, change: func(*testing.T) { os.Remove(file) }},
		{name: "racy but same digest", withSHA: true, racy: true, change: func(*testing.T) {}},
		{name: "racy without digest", racy: true, changed: true, change: func(*testing.T) {}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			write(t, file, "print(1)")
			os.Chtimes(file, old, old)
			sum := ""
			if tt.withSHA {
				sum = hashOf(file)
			}
			r := &Record{Out: t.TempDir(), StartedNs: time.Now().UnixNano(), Inputs: []File{WatchFile(file, nil, sum)}}
			if tt.racy {
				r.StartedNs = time.Now().Add(time.Hour).UnixNano()
				RacyWindow = 2 * time.Hour
				defer func() { RacyWindow = 0 }()
			}
			if runtime.GOOS == "linux" && r.Inputs[0].State.ChangeNs == 0 {
				t.Fatal("no change time read on Linux")
			}
			tt.change(t)
			if why := r.Changed("", nil); (why != "") != tt.changed {
				t.Errorf("Changed() = %q, want changed=%v", why, tt.changed)
			}
		})
	}
}

func TestChangedSources(t *testing.T) {
	settle(t)
	root := t.TempDir()
	a, b := filepath.Join(root, "a.py"), filepath.Join(root, "b.py")
	write(t, a, "a")
	write(t, b, "b")
	now := func(paths ...string) []File {
		var out []File
		for _, p := range paths {
			out = append(out, WatchFile(p, nil, ""))
		}
		return out
	}
	r := &Record{Out: t.TempDir(), StartedNs: time.Now().UnixNano(), Sources: now(a, b)}
	for _, tt := range []struct {
		name    string
		sources []File
		want    string
	}{
		{"same", now(a, b), ""},
		{"new file", append(now(a, b), File{Path: filepath.Join(root, "c.py")}), "c.py is new"},
		{"gone", now(a), "b.py is gone"},
	} {
		if got := r.Changed("", tt.sources); (tt.want == "" && got != "") || !strings.Contains(got, tt.want) {
			t.Errorf("%s: Changed() = %q, want %q", tt.name, got, tt.want)
		}
	}
	if got := r.Changed("other key", now(a, b)); !strings.Contains(got, "options") {
		t.Errorf("a new key: Changed() = %q", got)
	}
}

func TestChangedDirs(t *testing.T) {
	settle(t)
	tests := []struct {
		name   string
		change func(t *testing.T, site string)
	}{
		{"package installed", func(t *testing.T, site string) { write(t, filepath.Join(site, "new-1.0.dist-info", "RECORD"), "") }},
		{"package upgraded in place", func(t *testing.T, site string) {
			write(t, filepath.Join(site, "dash-9.9.9.dist-info", "RECORD"), "dash/__init__.py,,\nmore\n")
		}},
		{"package removed", func(t *testing.T, site string) { os.RemoveAll(filepath.Join(site, "dash-9.9.9.dist-info")) }},
		{".pth added", func(t *testing.T, site string) { write(t, filepath.Join(site, "extra.pth"), "/elsewhere\n") }},
		{"egg-info rewritten", func(t *testing.T, site string) {
			write(t, filepath.Join(site, "old-1.0.egg-info", "PKG-INFO"), "Version: 1.1\n")
		}},
		{"user site created", func(t *testing.T, site string) { write(t, filepath.Join(site+"-user", "x.py"), "") }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			site := filepath.Join(t.TempDir(), "site-packages")
			write(t, filepath.Join(site, "dash-9.9.9.dist-info", "RECORD"), "dash/__init__.py,,\n")
			write(t, filepath.Join(site, "old-1.0.egg-info", "PKG-INFO"), "Version: 1.0\n")
			old := time.Now().Add(-time.Hour)
			for _, p := range []string{"dash-9.9.9.dist-info/RECORD", "old-1.0.egg-info/PKG-INFO", ""} {
				os.Chtimes(filepath.Join(site, p), old, old)
			}
			r := &Record{Out: t.TempDir(), StartedNs: time.Now().UnixNano(), Dirs: []Dir{WatchDir(site), WatchDir(site + "-user")}}
			if r.Dirs[1].Absent != true || r.Dirs[0].Listing == "" {
				t.Fatalf("dirs = %+v", r.Dirs)
			}
			if why := r.Changed("", nil); why != "" {
				t.Fatalf("unchanged site reported as %q", why)
			}
			tt.change(t, site)
			if why := r.Changed("", nil); !strings.Contains(why, "installed packages") {
				t.Errorf("Changed() = %q, want an installed-packages change", why)
			}
		})
	}
}

func TestChangedOutput(t *testing.T) {
	settle(t)
	tests := []struct {
		name   string
		change func(out string)
	}{
		{"edited", func(out string) {
			os.WriteFile(filepath.Join(out, "assets", "index.html"), []byte("<html>edited"), 0o644)
		}},
		{"removed", func(out string) { os.Remove(filepath.Join(out, "assets", "index.html")) }},
		{"added", func(out string) { os.WriteFile(filepath.Join(out, "assets", "extra.js"), nil, 0o644) }},
		{"replaced", func(out string) {
			p := filepath.Join(out, "open-dash.output.json")
			data, _ := os.ReadFile(p)
			info, _ := os.Stat(p)
			os.Remove(p)
			os.WriteFile(p, data, 0o644)
			os.Chtimes(p, info.ModTime(), info.ModTime())
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), ".open-dash")
			write(t, filepath.Join(out, "assets", "index.html"), "<html>")
			write(t, filepath.Join(out, "open-dash.output.json"), "{}")
			files, err := WatchOutput(out)
			if err != nil || len(files) != 2 || files[0].Path != "assets/index.html" {
				t.Fatalf("WatchOutput = %+v, %v", files, err)
			}
			r := &Record{Out: out, StartedNs: time.Now().UnixNano(), Output: files}
			if why := r.Changed("", nil); why != "" {
				t.Fatalf("untouched output reported as %q", why)
			}
			tt.change(out)
			if why := r.Changed("", nil); why == "" {
				t.Error("a changed bundle was reported unchanged")
			}
		})
	}
}

// The component writes the static site's archive into the bundle's deploy folder: that must not make the
// next `pulumi up` re-bundle.
func TestDeployFolderIsNotOutput(t *testing.T) {
	out := filepath.Join(t.TempDir(), ".open-dash")
	write(t, filepath.Join(out, "assets", "index.html"), "<html>")
	files, err := WatchOutput(out)
	if err != nil {
		t.Fatal(err)
	}
	r := &Record{Out: out, StartedNs: time.Now().UnixNano(), Output: files}
	write(t, filepath.Join(out, manifest.DeployDir, "static-abc.zip"), "zip")
	if why := r.Changed("", nil); why != "" {
		t.Errorf("a file in %s/ changed the bundle: %s", manifest.DeployDir, why)
	}
	write(t, filepath.Join(out, "assets", "deploy", "x.js"), "x")
	if why := r.Changed("", nil); why == "" {
		t.Error("a file added to the site was not noticed")
	}
}
