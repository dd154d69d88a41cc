package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/manifest"
)

// bundleFound is the bundle preview and verify use for --source source (they share pickBundle), and the
// note printed about it.
func bundleFound(t *testing.T, source string) (string, string) {
	t.Helper()
	var stderr bytes.Buffer
	cmd := &cobra.Command{}
	cmd.SetErr(&stderr)
	cmd.Flags().String("dir", ".open-dash", "")
	dir, err := pickBundle(cmd, ".open-dash", source)
	if err != nil {
		t.Fatalf("--source %s: %v", source, err)
	}
	return dir, stderr.String()
}

// TestSourceSpelledAnyWay: the same folder means the same bundle for bundle, preview and verify, however it
// is spelled; the bundle goes beside it, with no warning about its own output and no absolute path of this
// machine in the manifest.
func TestSourceSpelledAnyWay(t *testing.T) {
	src := withFakeDash(t)
	beside := filepath.Join(filepath.Dir(src), ".open-dash")
	for _, tt := range []struct{ cwd, source string }{
		{src, "."}, {src, "./"}, {filepath.Dir(src), "app"}, {filepath.Dir(src), "./app/"}, {t.TempDir(), src},
		{filepath.Join(src, "data"), ".."},
	} {
		t.Run(tt.source, func(t *testing.T) {
			t.Chdir(tt.cwd)
			code, _, stderr := run("bundle", "--source", tt.source, "--skip-install")
			if code != 0 {
				t.Fatalf("bundle: exit %d: %s", code, stderr)
			}
			if strings.Contains(stderr, "matched nothing") || !strings.Contains(stderr, "Next: open-dash preview --source "+tt.source+"\n") {
				t.Errorf("bundle's summary:\n%s", stderr)
			}
			if dir, note := bundleFound(t, tt.source); dir != beside || note != "" {
				t.Errorf("preview/verify --source %s: %s (%q), want %s", tt.source, dir, note, beside)
			}
			if _, err := os.Stat(filepath.Join(src, ".open-dash")); !os.IsNotExist(err) {
				t.Errorf("a bundle inside the source (%v)", err)
			}
			data, err := os.ReadFile(filepath.Join(beside, manifest.FileName))
			if err != nil || bytes.Contains(data, []byte(filepath.Dir(src))) {
				t.Errorf("the manifest names a path of this machine (%v)", err)
			}
		})
	}
}

// TestOutInsideTheSourceAndTwoBundles: an --out inside the source is found by --source and never copied into
// the server function, with no warning; with two bundles of one app the newest is used and both are named.
func TestOutInsideTheSourceAndTwoBundles(t *testing.T) {
	src := withFakeDash(t)
	t.Chdir(src)
	code, _, stderr := run("bundle", "--source", ".", "--out", "build", "--skip-install")
	if code != 0 || strings.Contains(stderr, "matched nothing") || strings.Contains(stderr, "warning:") {
		t.Fatalf("bundle --out inside the source: exit %d:\n%s", code, stderr)
	}
	inside := filepath.Join(src, "build")
	if _, err := os.Stat(filepath.Join(inside, "server-functions", "default", "build")); !os.IsNotExist(err) {
		t.Errorf("the server function holds the bundle itself (%v)", err)
	}
	if dir, note := bundleFound(t, "."); dir != inside || note != "" {
		t.Errorf("--source . found %s (%q), want %s", dir, note, inside)
	}
	old := time.Now().Add(-time.Hour)
	os.Chtimes(filepath.Join(inside, manifest.FileName), old, old)
	if code, _, stderr := run("bundle", "--source", ".", "--skip-install", "--quiet"); code != 0 {
		t.Fatalf("second bundle: %s", stderr)
	}
	beside := filepath.Join(filepath.Dir(src), ".open-dash")
	dir, note := bundleFound(t, ".")
	if dir != beside || !strings.Contains(note, "2 bundles of "+src) || !strings.Contains(note, "using the newest, "+beside) ||
		!strings.Contains(note, inside) || !strings.Contains(note, "--dir") {
		t.Errorf("two bundles: %s, note %q", dir, note)
	}
}

// TestNewcomerCommandLines: a mistaken command line is exit 2 with the fix, and Ctrl-C is "interrupted", 130.
func TestNewcomerCommandLines(t *testing.T) {
	for _, tt := range []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"bundle", "myapp"}, 2, "did you mean `open-dash bundle --source myapp`?"},
		{[]string{"preview", "myapp"}, 2, "did you mean `open-dash preview --source myapp`?"},
		{[]string{"bundel"}, 2, `unknown command "bundel"`},
	} {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			if code, _, stderr := run(tt.args...); code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}

	withFakeDash(t)
	src := filepath.Join(t.TempDir(), "blocking")
	if err := os.CopyFS(src, os.DirFS("../../bundler/testdata/apps/blocking")); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(2*time.Second, cancel) // Ctrl-C while the app is being imported
	var stdout, stderr bytes.Buffer
	code := Run(ctx, []string{"bundle", "--source", src, "--skip-install"}, &stdout, &stderr)
	if code != ExitInterrupted || !strings.Contains(stderr.String(), "open-dash: interrupted") ||
		strings.Contains(stderr.String(), "context canceled") {
		t.Errorf("Ctrl-C: exit %d, stderr %q; want %d and \"interrupted\"", code, stderr.String(), ExitInterrupted)
	}
	if entries, _ := os.ReadDir(filepath.Dir(src)); len(entries) != 1 {
		t.Errorf("an interrupted bundle left %d entries beside the source", len(entries)-1)
	}
}
