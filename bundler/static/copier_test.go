package static

import (
	"crypto/sha256"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writeSource(t *testing.T, dir, name, data string) (string, os.FileInfo) {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(p)
	return p, info
}

func listTree(t *testing.T, root string) []string {
	t.Helper()
	var out []string
	filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err == nil && p != root {
			rel, _ := filepath.Rel(root, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	return out
}

// TestCopierPrefetch: a prefetched copy is renamed into place when its key is named with the stat the
// prefetch saw; otherwise the file is copied again. Unclaimed prefetches and the folders made for them go.
func TestCopierPrefetch(t *testing.T) {
	src := t.TempDir()
	a, ai := writeSource(t, src, "a.js", "aaaa")
	b, bi := writeSource(t, src, "b.js", "bb")
	unused, _ := writeSource(t, src, "unused.js", "u")
	elsewhere, ei := writeSource(t, src, "elsewhere.js", "e")

	site := t.TempDir()
	c := NewCopier(site)
	c.Prefetch(a, "_dash-component-suites/dash/deps")
	c.Prefetch(b, "_dash-component-suites/dash/dcc")
	c.Prefetch(unused, "_dash-component-suites/dash/never")
	c.Prefetch(elsewhere, "_dash-component-suites/dash/wrong") // the app lives under a prefix after all
	c.Wait()
	// b changes after its prefetch: the copy Start makes must hold the new content.
	later := time.Now().Add(time.Minute)
	os.WriteFile(b, []byte("BBB"), 0o644)
	os.Chtimes(b, later, later)
	bi, _ = os.Stat(b)

	c.Start("_dash-component-suites/dash/deps/a.v1m2.js", a, ai.Size(), ai.ModTime().UnixNano())
	c.Start("_dash-component-suites/dash/dcc/b.js", b, bi.Size(), bi.ModTime().UnixNano())
	c.Start("app/_dash-component-suites/dash/wrong/elsewhere.js", elsewhere, ei.Size(), ei.ModTime().UnixNano())
	copies := c.Wait()
	if err := c.Discard(); err != nil {
		t.Fatal(err)
	}
	want := []string{"_dash-component-suites", "_dash-component-suites/dash", "_dash-component-suites/dash/dcc",
		"_dash-component-suites/dash/dcc/b.js", "_dash-component-suites/dash/deps",
		"_dash-component-suites/dash/deps/a.v1m2.js", "app", "app/_dash-component-suites",
		"app/_dash-component-suites/dash", "app/_dash-component-suites/dash/wrong",
		"app/_dash-component-suites/dash/wrong/elsewhere.js"}
	if got := listTree(t, site); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("site:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for key, content := range map[string]string{
		"_dash-component-suites/dash/deps/a.v1m2.js":         "aaaa",
		"_dash-component-suites/dash/dcc/b.js":               "BBB",
		"app/_dash-component-suites/dash/wrong/elsewhere.js": "e",
	} {
		data, _ := os.ReadFile(filepath.Join(site, filepath.FromSlash(key)))
		cp := copies[key]
		if string(data) != content || cp == nil || cp.Err != nil || cp.Size != int64(len(content)) ||
			cp.SHA256 != fmt.Sprintf("%x", sha256.Sum256([]byte(content))) || cp.SourceInfo == nil {
			t.Errorf("%s: content %q, copy %+v; want %q", key, data, cp, content)
		}
	}
}

func TestCopierErrors(t *testing.T) {
	site := t.TempDir()
	c := NewCopier(site)
	missing := filepath.Join(t.TempDir(), "missing.js")
	c.Prefetch(missing, "x")
	c.Start("x/missing.js", missing, 1, 1)
	c.Start("x/missing.js", missing, 1, 1) // a key is copied once
	copies := c.Wait()
	if len(copies) != 1 || copies["x/missing.js"].Err == nil || !strings.Contains(copies["x/missing.js"].Err.Error(), "missing.js") {
		t.Errorf("copies = %+v", copies)
	}
	if err := c.Discard(); err != nil {
		t.Fatal(err)
	}
	if got := listTree(t, site); len(got) != 0 {
		t.Errorf("left behind: %v", got)
	}
}
