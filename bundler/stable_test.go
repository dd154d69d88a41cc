package bundler

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSameContentOtherTimesSameBundle: a fresh clone or CI checkout (new file times for the app) and a
// reinstall (new times for Dash's files) bundle to byte-identical output. Dash writes file times into asset
// queries (?m=) and component-suite fingerprints; the stand-in Dash reads them where Dash does.
func TestSameContentOtherTimesSameBundle(t *testing.T) {
	fakeDash(t)
	var first map[string][]byte
	for i, when := range []time.Time{time.Unix(1_000_000_000, 0), time.Unix(1_900_000_000, 0)} {
		site := filepath.Join(t.TempDir(), "site-packages")
		if err := os.CopyFS(site, os.DirFS("testdata/fakedash")); err != nil {
			t.Fatal(err)
		}
		src := fixture(t, "good")
		touchAll(t, site, when)
		touchAll(t, src, when)
		t.Setenv("PYTHONPATH", site)
		if _, err := bundle(t, src, Options{NoCache: true}); err != nil {
			t.Fatal(err)
		}
		tree := readBundle(t, filepath.Join(filepath.Dir(src), OutputDirName))
		index := string(tree["assets/index.html"])
		if !strings.Contains(index, "style.css?m=") || strings.Contains(index, "?m="+strconv.FormatInt(when.Unix(), 10)) {
			t.Fatalf("bundle %d: the index page names the file time, not a content time:\n%s", i, index)
		}
		if first == nil {
			first = tree
			continue
		}
		for name, data := range tree {
			if !bytes.Equal(first[name], data) {
				t.Errorf("%s differs between checkouts with other file times", name)
			}
		}
		if len(tree) != len(first) {
			t.Errorf("the bundles hold %d and %d files", len(first), len(tree))
		}
	}
}

func touchAll(t *testing.T, dir string, when time.Time) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		return os.Chtimes(p, when, when)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// readBundle maps every file of a bundle (slash path) to its bytes.
func readBundle(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	tree := map[string][]byte{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		tree[filepath.ToSlash(rel)] = data
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return tree
}
