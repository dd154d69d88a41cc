package serverfn

import (
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// writeTree creates files under root; a value "->target" makes a symlink instead.
func writeTree(t *testing.T, root string, files map[string]string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		p := filepath.Join(root, filepath.FromSlash(n))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		content := files[n]
		if target, ok := strings.CutPrefix(content, "->"); ok {
			if err := os.Symlink(target, p); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if strings.HasSuffix(n, "/") {
			continue // a folder only
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// testOptions is a valid environment for a source folder.
func testOptions(src string) Options {
	return Options{
		SourceDir:     src,
		PythonVersion: "3.11.7",
		Installed:     map[string]string{"dash": "2.18.2", "Flask": "3.1.3", "plotly": "5.24.1"},
		MustPin:       []string{"dash", "plotly"},
	}
}

// readTree returns every file under root as "path mode" -> content, symlinks flagged.
func readTree(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		info, err := os.Lstat(p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel) + " " + info.Mode().String()
		switch {
		case info.Mode()&os.ModeSymlink != 0:
			out[key] = "SYMLINK"
		case d.IsDir():
			out[key] = "DIR"
		default:
			b, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			out[key] = string(b)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustPlan(t *testing.T, o Options) *Bundle {
	t.Helper()
	b, err := Plan(o)
	if err != nil {
		t.Fatalf("Plan: %v", err)
	}
	return b
}

func containsAll(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s %q does not contain %q", what, got, w)
		}
	}
}
