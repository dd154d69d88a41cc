package bundler

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler/cache"
)

// cacheEnv is a fixture app, a private copy of the fake Dash "installed" in a site folder on PYTHONPATH,
// and a python3 wrapper that counts its starts, so a test can tell whether a bundle ran Python.
type cacheEnv struct {
	src, site, python, log, cacheDir string
	opts                             Options
}

// cacheTests prepares what newCacheEnv needs and what subtests may not set themselves (environment
// variables, the racy window), so that they can run in parallel.
func cacheTests(t *testing.T) {
	fakeDash(t)
	old := cache.RacyWindow
	cache.RacyWindow = 0 // the fixtures are seconds old at most
	t.Cleanup(func() { cache.RacyWindow = old })
}

func newCacheEnv(t *testing.T) *cacheEnv {
	t.Helper()
	e := &cacheEnv{src: fixture(t, "good"), site: filepath.Join(t.TempDir(), "site-packages")}
	mustWrite(t, filepath.Join(filepath.Dir(e.src), "common.txt"), "dash\n")
	mustWrite(t, filepath.Join(e.src, "requirements.txt"), "dash==9.9.9\n-r ../common.txt\n")
	if err := os.CopyFS(e.site, os.DirFS("testdata/fakedash")); err != nil {
		t.Fatal(err)
	}
	e.cacheDir = os.Getenv(cache.DirEnv)
	bin := t.TempDir()
	e.log = filepath.Join(bin, "starts.log")
	e.python = filepath.Join(bin, "python")
	e.writeWrapper(t, e.python, "")
	e.opts = Options{SourceDir: e.src, Python: e.python, SkipInstall: true}
	return e
}

// writeWrapper writes a python that logs its start and runs python3 with this env's site on PYTHONPATH.
func (e *cacheEnv) writeWrapper(t *testing.T, path, extra string) {
	t.Helper()
	py := realPython3(t)
	script := "#!/bin/sh\n" + extra + "echo start >> '" + e.log + "'\nPYTHONPATH='" + e.site + "' exec '" + py + "' \"$@\"\n"
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
}

// realPython3 is the binary behind python3 (a pyenv shim costs half a second per start).
func realPython3(t *testing.T) string {
	t.Helper()
	py, err := python3Binary()
	if err != nil {
		t.Skipf("python3 does not run: %v", err)
	}
	return py
}

var python3Binary = sync.OnceValues(func() (string, error) {
	out, err := exec.Command("python3", "-c", "import sys; print(sys.executable)").Output()
	return strings.TrimSpace(string(out)), err
})

func (e *cacheEnv) starts() int {
	data, _ := os.ReadFile(e.log)
	return bytes.Count(data, []byte("start"))
}

// run bundles and checks whether the previous bundle was reused, and that Python started only when not.
func (e *cacheEnv) run(t *testing.T, wantCached bool) *Result {
	t.Helper()
	before := e.starts()
	var progress bytes.Buffer
	o := e.opts
	o.Progress = &progress
	res, err := Bundle(context.Background(), o)
	if err != nil {
		t.Fatalf("bundle: %v\n%s", err, progress.String())
	}
	ran := e.starts() - before
	if res.Cached != wantCached || (ran == 0) != wantCached {
		t.Fatalf("Cached = %v with %d Python starts, want cached=%v\n%s", res.Cached, ran, wantCached, progress.String())
	}
	return res
}

func touch(t *testing.T, path string) {
	t.Helper()
	later := time.Now().Add(time.Minute)
	if err := os.Chtimes(path, later, later); err != nil {
		t.Fatal(err)
	}
}

func mustWrite(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCacheInvalidation: a second bundle with nothing changed reuses the first without starting Python;
// each thing the bundle depends on, changed alone, makes the next bundle run in full.
func TestCacheInvalidation(t *testing.T) {
	cacheTests(t)
	tests := []struct {
		name   string
		change func(t *testing.T, e *cacheEnv)
	}{
		{"app.py content, same size and mtime", func(t *testing.T, e *cacheEnv) {
			p := filepath.Join(e.src, "app.py")
			info, _ := os.Stat(p)
			data, _ := os.ReadFile(p)
			mustWrite(t, p, strings.Replace(string(data), "item_id", "item_ix", 1))
			os.Chtimes(p, info.ModTime(), info.ModTime())
		}},
		{"asset touched (its mtime is in the index page)", func(t *testing.T, e *cacheEnv) { touch(t, filepath.Join(e.src, "assets", "style.css")) }},
		{"source file added", func(t *testing.T, e *cacheEnv) { mustWrite(t, filepath.Join(e.src, "data", "more.csv"), "x") }},
		{"source file removed", func(t *testing.T, e *cacheEnv) { os.Remove(filepath.Join(e.src, "data", "table.csv")) }},
		{"requirements.txt", func(t *testing.T, e *cacheEnv) { mustWrite(t, filepath.Join(e.src, "requirements.txt"), "dash>=9\n") }},
		{"a requirements file included from outside the source", func(t *testing.T, e *cacheEnv) {
			mustWrite(t, filepath.Join(filepath.Dir(e.src), "common.txt"), "dash>=9.9\n")
		}},
		{"option: source maps", func(t *testing.T, e *cacheEnv) { e.opts.SourceMaps = true }},
		{"option: no warmer", func(t *testing.T, e *cacheEnv) { e.opts.ExcludeWarmer = true }},
		{"option: architecture", func(t *testing.T, e *cacheEnv) { e.opts.Architecture = "arm64" }},
		{"option: public URL", func(t *testing.T, e *cacheEnv) { e.opts.PublicURL = "https://example.com" }},
		{"option: exclude dirs", func(t *testing.T, e *cacheEnv) { e.opts.ExcludeDirs = []string{"data"} }},
		{"option: install", func(t *testing.T, e *cacheEnv) { e.opts.SkipInstall = false }},

		{"interpreter path", func(t *testing.T, e *cacheEnv) {
			e.python = filepath.Join(filepath.Dir(e.python), "python3.99")
			e.writeWrapper(t, e.python, "")
			e.opts.Python = e.python
		}},
		{"interpreter binary replaced", func(t *testing.T, e *cacheEnv) { e.writeWrapper(t, e.python, "# rebuilt\n") }},
		{"package installed (new dist-info)", func(t *testing.T, e *cacheEnv) {
			mustWrite(t, filepath.Join(e.site, "extra_pkg-1.0.dist-info", "METADATA"), "Name: extra-pkg\nVersion: 1.0\n")
			mustWrite(t, filepath.Join(e.site, "extra_pkg-1.0.dist-info", "RECORD"), "")
		}},
		{"package reinstalled (RECORD rewritten)", func(t *testing.T, e *cacheEnv) {
			p := filepath.Join(e.site, "dash-9.9.9.dist-info", "RECORD")
			info, _ := os.Stat(p)
			data, _ := os.ReadFile(p)
			mustWrite(t, p, string(data))
			os.Chtimes(p, info.ModTime(), info.ModTime()) // only the change time tells
		}},
		{"pyenv version file in the source", func(t *testing.T, e *cacheEnv) { mustWrite(t, filepath.Join(e.src, ".python-version"), "3.12\n") }},
		{".pth file added", func(t *testing.T, e *cacheEnv) { mustWrite(t, filepath.Join(e.site, "extra.pth"), "/nowhere\n") }},
		{"component suite file mtime (Dash's fingerprint)", func(t *testing.T, e *cacheEnv) {
			touch(t, filepath.Join(e.site, "dash", "dcc", "async-graph.js"))
		}},
		{"output file edited", func(t *testing.T, e *cacheEnv) {
			mustWrite(t, filepath.Join(filepath.Dir(e.src), OutputDirName, AssetsDir, "index.html"), "<html>")
		}},
		{"output file removed", func(t *testing.T, e *cacheEnv) {
			os.Remove(filepath.Join(filepath.Dir(e.src), OutputDirName, "warmer-function", "index.py"))
		}},
		{"output file added", func(t *testing.T, e *cacheEnv) {
			mustWrite(t, filepath.Join(filepath.Dir(e.src), OutputDirName, AssetsDir, "stray.txt"), "")
		}},
		{"cache record removed", func(t *testing.T, e *cacheEnv) { os.RemoveAll(filepath.Join(e.cacheDir, "bundles")) }},
		{"--no-cache", func(t *testing.T, e *cacheEnv) { e.opts.NoCache = true }},
	}
	// These change globals (the environment, Version), so they run before the parallel ones.
	serial := []struct {
		name   string
		change func(t *testing.T, e *cacheEnv)
	}{
		{"OpenDash version", func(t *testing.T, e *cacheEnv) {
			old := Version
			Version = "0.0.0-cache-test"
			t.Cleanup(func() { Version = old })
		}},
		{"environment: DASH_*", func(t *testing.T, e *cacheEnv) { t.Setenv("DASH_URL_BASE_PATHNAME", "/other/") }},
		{"environment: PYTHONPATH", func(t *testing.T, e *cacheEnv) { t.Setenv("PYTHONPATH", e.site+"-elsewhere") }},
	}
	for _, tt := range serial {
		t.Run(tt.name, func(t *testing.T) { checkInvalidation(t, tt.change) })
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			checkInvalidation(t, tt.change)
		})
	}
}

func checkInvalidation(t *testing.T, change func(t *testing.T, e *cacheEnv)) {
	e := newCacheEnv(t)
	first := e.run(t, false)
	second := e.run(t, true)
	if second.Manifest.BuildID != first.Manifest.BuildID || second.Files != first.Files ||
		second.StaticBytes != first.StaticBytes || len(second.Warnings) != len(first.Warnings) {
		t.Errorf("the reused bundle reports %+v, the bundle was %+v", second, first)
	}
	change(t, e)
	e.run(t, false)
	if !e.opts.NoCache {
		e.run(t, true) // the full run recorded itself again
	}
}

// TestCacheHitOutput: a reused bundle still prints every step (the later ones as skipped) and leaves
// nothing but .open-dash beside the source; the record lives in the cache folder.
func TestCacheHitOutput(t *testing.T) {
	cacheTests(t)
	e := newCacheEnv(t)
	e.run(t, false)
	var progress bytes.Buffer
	o := e.opts
	o.Progress = &progress
	res, err := Bundle(context.Background(), o)
	if err != nil || !res.Cached {
		t.Fatalf("second bundle: %+v, %v", res, err)
	}
	out := progress.String()
	for _, want := range []string{"cache", "reused " + res.OutDir, "9 more steps           skipped: unchanged since the last bundle"} {
		if !strings.Contains(out, want) {
			t.Errorf("progress lacks %q:\n%s", want, out)
		}
	}
	if n := strings.Count(out, "skipped: unchanged"); n != 1 {
		t.Errorf("%d lines say the steps are unchanged, want one:\n%s", n, out)
	}
	if n := len(res.Steps); n != len(steps) {
		t.Errorf("the result lists %d steps, want every one (%d) for --json", n, len(steps))
	}
	entries, _ := os.ReadDir(filepath.Dir(e.src))
	if len(entries) != 3 {
		t.Errorf("beside the source: %v, want only the app, common.txt and %s", entries, OutputDirName)
	}
	records, _ := os.ReadDir(filepath.Join(e.cacheDir, "bundles"))
	if len(records) != 1 {
		t.Errorf("cache folder holds %d records, want 1", len(records))
	}
}

// TestInstallCheck: requirements already installed are checked inside the extraction's Python (one start,
// no pip); a missing one runs pip, then the extraction; a failing pip fails the bundle as before.
func TestInstallCheck(t *testing.T) {
	tests := []struct {
		name      string
		reqs      string
		pipErr    error
		wantPip   bool
		wantStart int
		wantErr   string
	}{
		{name: "satisfied", reqs: "dash==9.9.9\n", wantStart: 1},
		{name: "satisfied with markers and options", reqs: "--index-url https://example.com/simple\ndash>=9 ; python_version >= \"3\"\nnowhere ; sys_platform == \"nowhere\"\n", wantStart: 1},
		{name: "wrong version", reqs: "dash>=10\n", wantPip: true, wantStart: 2},
		{name: "missing, pip installs it", reqs: "dash\nodt-extra>=1\n", wantPip: true, wantStart: 2},
		{name: "missing, pip fails", reqs: "odt-extra\n", pipErr: errors.New("pip install -r requirements.txt failed: no network"), wantPip: true, wantStart: 1, wantErr: "no network"},
		{name: "a path only pip can judge", reqs: "-e ./lib\ndash\n", wantPip: true, wantStart: 1},
	}
	cacheTests(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newCacheEnv(t)
			e.opts.SkipInstall = false
			mustWrite(t, filepath.Join(e.src, "requirements.txt"), tt.reqs)
			pipRan := false
			old := pipInstall
			pipInstall = func(_ context.Context, py, dir string) (bool, error) {
				pipRan = true
				if tt.pipErr == nil { // "install" what was missing
					mustWrite(t, filepath.Join(e.site, "odt_extra-1.0.dist-info", "METADATA"), "Name: odt-extra\nVersion: 1.0\n")
				}
				return true, tt.pipErr
			}
			t.Cleanup(func() { pipInstall = old })
			o := e.opts
			o.NoCache = true
			res, err := Bundle(context.Background(), o)
			if pipRan != tt.wantPip || e.starts() != tt.wantStart {
				t.Errorf("pip ran: %v, Python starts: %d; want %v, %d", pipRan, e.starts(), tt.wantPip, tt.wantStart)
			}
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			inst := res.Install
			if inst == nil || inst.Pip != tt.wantPip || inst.Satisfied == tt.wantPip || inst.Duration <= 0 {
				t.Errorf("Install = %+v", inst)
			}
			for _, s := range res.Steps {
				if s.Name == "install requirements" && (s.Duration <= 0 || s.Detail == "") {
					t.Errorf("install step = %+v", s)
				}
			}
		})
	}
}

// TestCacheFreshSources: with the default racy window, source files written just before bundling are
// re-hashed rather than trusted on their stat, and still allow a reuse when their content is the same.
func TestCacheFreshSources(t *testing.T) {
	fakeDash(t) // the repository's fake Dash: old files, outside the racy window
	src := fixture(t, "good")
	o := Options{SourceDir: src, Python: realPython3(t), SkipInstall: true}
	if res, err := Bundle(context.Background(), o); err != nil || res.Cached {
		t.Fatalf("first bundle: %+v, %v", res, err)
	}
	var progress bytes.Buffer
	o.Progress = &progress
	if res, err := Bundle(context.Background(), o); err != nil || !res.Cached {
		t.Fatalf("second bundle was not reused: %v\n%s", err, progress.String())
	}
}
