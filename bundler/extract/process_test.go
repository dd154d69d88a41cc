package extract

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler/entry"
)

// fakeApp runs extract.py against the bundler's fixture app with the fake Dash (../testdata), in python3.
func fakeApp(t *testing.T) (python, src, out string) {
	t.Helper()
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed (make setup checks it): %v", err)
	}
	fake, _ := filepath.Abs(filepath.Join("..", "testdata", "fakedash"))
	t.Setenv("PYTHONPATH", fake)
	src = filepath.Join(t.TempDir(), "good")
	if err := os.CopyFS(src, os.DirFS(filepath.Join("..", "testdata", "apps", "good"))); err != nil {
		t.Fatal(err)
	}
	return "python3", src, t.TempDir()
}

// TestEvents: Dash's own files are named for prefetching before the app renders, in the folder of the URL
// that later names them; every file to copy is reported with the size and mtime Python saw; the report
// carries the import folders and the interpreter.
func TestEvents(t *testing.T) {
	py, src, out := fakeApp(t)
	var mu sync.Mutex
	var prefetched, copied []string
	var order []string
	p, err := Start(context.Background(), Options{
		Python: py, SourceDir: src, OutDir: out, ScriptDir: t.TempDir(), Versions: []string{"dash"},
		OnPrefetch: func(source, near string) {
			mu.Lock()
			defer mu.Unlock()
			prefetched = append(prefetched, filepath.Base(source)+" "+near)
			order = append(order, "prefetch")
		},
		OnCopy: func(c Copied) {
			mu.Lock()
			defer mu.Unlock()
			info, err := os.Stat(c.Source)
			if err != nil || info.Size() != c.Size || info.ModTime().UnixNano() != c.MtimeNs {
				t.Errorf("%s: reported size/mtime %d/%d, the file has %v", c.Key, c.Size, c.MtimeNs, info)
			}
			copied = append(copied, c.Key)
			order = append(order, "copy")
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	r, err := p.Wait()
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(prefetched)
	want := []string{"async-graph.js _dash-component-suites/dash/dcc", "deps.min.js _dash-component-suites/dash/deps"}
	if !slices.Equal(prefetched, want) {
		t.Errorf("prefetched %q, want %q (no source map, no missing file)", prefetched, want)
	}
	if len(order) == 0 || order[0] != "prefetch" || len(copied) != len(r.Copied) {
		t.Errorf("events %v; copied %v, report lists %d", order, copied, len(r.Copied))
	}
	for _, f := range r.Rendered {
		if len(f.SHA256) != 64 || f.Size == 0 {
			t.Errorf("rendered %s without its digest: %+v", f.Key, f)
		}
	}
	if r.Executable == "" || len(r.ImportPaths) == 0 || slices.Contains(r.ImportPaths, src) || r.Installed["dash"] != "9.9.9" {
		t.Errorf("report: executable %q, import paths %v, installed %v", r.Executable, r.ImportPaths, r.Installed)
	}
}

// TestRequirementsEvent: a missing requirement stops Python before it imports the app.
func TestRequirementsEvent(t *testing.T) {
	py, src, out := fakeApp(t)
	for _, tt := range []struct {
		check     []string
		satisfied bool
		missing   string
	}{
		{[]string{"dash==9.9.9"}, true, ""},
		{[]string{"dash>=10"}, false, "9.9.9 is installed"},
		{[]string{"not-installed-anywhere"}, false, "not installed"},
	} {
		p, err := Start(context.Background(), Options{Python: py, SourceDir: src, OutDir: out, Check: tt.check})
		if err != nil {
			t.Fatal(err)
		}
		req, err := p.Requirements()
		if err != nil {
			t.Fatal(err)
		}
		report, werr := p.Wait()
		if req.Satisfied != tt.satisfied || !strings.Contains(strings.Join(req.Missing, "\n"), tt.missing) {
			t.Errorf("%v: %+v", tt.check, req)
		}
		if tt.satisfied != (werr == nil && report != nil) {
			t.Errorf("%v: report %v, %v; Python must stop only when something is missing", tt.check, report, werr)
		}
	}
}

// TestStoppedPython: a Python that dies before reporting is an error that shows its output.
func TestStoppedPython(t *testing.T) {
	_, src, out := fakeApp(t)
	script := filepath.Join(t.TempDir(), "python")
	os.WriteFile(script, []byte("#!/bin/sh\necho 'boom: no interpreter here' >&2\nexit 7\n"), 0o755)
	p, err := Start(context.Background(), Options{Python: script, SourceDir: src, OutDir: out, Check: []string{}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := p.Requirements(); err == nil || !strings.Contains(err.Error(), "boom: no interpreter here") {
		t.Errorf("Requirements() error = %v", err)
	}
	if _, err := p.Wait(); err == nil || !strings.Contains(err.Error(), "stopped before reporting") {
		t.Errorf("Wait() error = %v", err)
	}
}

// TestBackstop: when Python's own watchdog cannot answer (C code holding the GIL, here a process that
// never speaks), Go stops the process after the timeout plus a grace and says why.
func TestBackstop(t *testing.T) {
	old := backstopGrace
	backstopGrace = 50 * time.Millisecond
	defer func() { backstopGrace = old }()
	fake := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(fake, []byte("#!/bin/sh\nexec sleep 60\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), Options{Python: fake, SourceDir: t.TempDir(), OutDir: t.TempDir(),
		App: entry.Spec{Module: "index"}, Timeout: 10 * time.Millisecond})
	var appErr *AppError
	if !errors.As(err, &appErr) || appErr.Kind != "timeout" {
		t.Fatalf("error = %v, want an AppError of kind timeout", err)
	}
	for _, want := range []string{"importing index", "did not report", "--timeout"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}
