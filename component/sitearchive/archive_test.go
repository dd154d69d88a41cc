package sitearchive

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
)

// site writes a bundle with the given files (key -> content) under dir/assets and returns its manifest.
func site(t *testing.T, dir string, files map[string]string, mtime time.Time) *manifest.Manifest {
	t.Helper()
	m := &manifest.Manifest{Origins: manifest.Origins{S3: manifest.S3Origin{Dir: "assets"}}}
	keys := make([]string, 0, len(files))
	for k := range files {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		p := filepath.Join(dir, "assets", filepath.FromSlash(k))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(files[k]), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(files[k]))
		class, cache := manifest.ClassRevalidate, manifest.CacheRevalidate
		if strings.Contains(k, ".v1m") {
			class, cache = manifest.ClassImmutable, manifest.CacheImmutable
		}
		m.Files = append(m.Files, manifest.File{Key: k, Path: k, ContentType: typeOf(k), CacheControl: cache,
			Class: class, Size: int64(len(files[k])), SHA256: hex.EncodeToString(sum[:])})
	}
	return m
}

func typeOf(key string) string {
	switch filepath.Ext(key) {
	case ".png":
		return "image/png"
	case ".css":
		return "text/css; charset=utf-8"
	}
	return "text/html; charset=utf-8"
}

var sample = map[string]string{
	"index.html":          "<html>hi</html>",
	"assets/style.css":    "body{}",
	"assets/logo.png":     "\x89PNG fake",
	"lib/app.v1m0abc.js":  "console.log(1)",
	"pages/a/index.html":  "<html>a</html>",
	"odd name/ü and ~.js": "x",
}

func TestSameContentSameBytes(t *testing.T) {
	cases := []struct {
		name  string
		mtime time.Time
	}{
		{"an old checkout", time.Unix(1_000_000_000, 0)},
		{"a fresh clone", time.Now()},
	}
	var first []byte
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := site(t, dir, sample, c.mtime)
			a, err := Write(dir, m, filepath.Join(dir, ".deploy"))
			if err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(a.Path)
			if err != nil {
				t.Fatal(err)
			}
			if a.Name != "static-"+Digest(m)+".zip" || a.Files != len(sample) {
				t.Errorf("archive = %+v", a)
			}
			if first == nil {
				first = data
			} else if !bytes.Equal(first, data) {
				t.Errorf("same content with other mtimes and folders gave different zips")
			}
		})
	}
}

func TestArchiveLayout(t *testing.T) {
	dir := t.TempDir()
	m := site(t, dir, sample, time.Now())
	a, err := Write(dir, m, filepath.Join(dir, ".deploy"))
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zip.OpenReader(a.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if zr.File[0].Name != IndexEntry {
		t.Fatalf("first entry %q, want %q", zr.File[0].Name, IndexEntry)
	}
	var idx Index
	rc, _ := zr.File[0].Open()
	if err := json.NewDecoder(rc).Decode(&idx); err != nil {
		t.Fatal(err)
	}
	rc.Close()
	if idx.Format != Format || idx.Digest != a.Digest || len(idx.Files) != len(m.Files) {
		t.Fatalf("index = %+v", idx)
	}
	for i, f := range zr.File[1:] {
		want := m.Files[i]
		e := idx.Files[i]
		if f.Name != FilesPrefix+want.Key {
			t.Errorf("entry %d = %q, want %q (key order)", i+1, f.Name, FilesPrefix+want.Key)
		}
		if !f.Modified.Equal(modified) {
			t.Errorf("%s: modified %v, want the fixed %v", f.Name, f.Modified, modified)
		}
		rc, _ := f.Open()
		data, _ := io.ReadAll(rc)
		rc.Close()
		if string(data) != sample[want.Key] {
			t.Errorf("%s: content %q", f.Name, data)
		}
		if e.Key != want.Key || e.ContentType != want.ContentType || e.CacheControl != want.CacheControl ||
			e.Class != want.Class || e.SHA256 != want.SHA256 || e.Size != want.Size || len(e.MD5) != 32 {
			t.Errorf("index entry %+v does not follow %+v", e, want)
		}
		wantMethod := zip.Deflate
		if want.ContentType == "image/png" {
			wantMethod = zip.Store
		}
		if f.Method != wantMethod {
			t.Errorf("%s: method %d, want %d", f.Name, f.Method, wantMethod)
		}
	}
}

func TestDigestFollowsWhatTheSyncWrites(t *testing.T) {
	dir := t.TempDir()
	base := site(t, dir, sample, time.Now())
	cases := []struct {
		name   string
		change func(m *manifest.Manifest)
		same   bool
	}{
		{"nothing", func(*manifest.Manifest) {}, true},
		{"build id only", func(m *manifest.Manifest) { m.BuildID = "other" }, true},
		{"content", func(m *manifest.Manifest) { m.Files[0].SHA256 = "00" }, false},
		{"content type", func(m *manifest.Manifest) { m.Files[0].ContentType = "text/plain" }, false},
		{"cache control", func(m *manifest.Manifest) { m.Files[0].CacheControl = "no-store" }, false},
		{"a file removed", func(m *manifest.Manifest) { m.Files = m.Files[1:] }, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := *base
			m.Files = append([]manifest.File(nil), base.Files...)
			c.change(&m)
			if got := Digest(&m) == Digest(base); got != c.same {
				t.Errorf("same digest = %v, want %v", got, c.same)
			}
		})
	}
}

func TestWriteReusesAndPrunes(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, ".deploy")
	old := site(t, dir, map[string]string{"index.html": "v1"}, time.Now())
	a1, err := Write(dir, old, out)
	if err != nil {
		t.Fatal(err)
	}
	// Same content: the existing file is kept as is (its mtime tells).
	past := time.Unix(1_000_000_000, 0)
	os.Chtimes(a1.Path, past, past)
	if _, err := Write(dir, old, out); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(a1.Path); !info.ModTime().Equal(past) {
		t.Errorf("an unchanged site rewrote its archive")
	}
	m := site(t, dir, map[string]string{"index.html": "v2"}, time.Now())
	a2, err := Write(dir, m, out)
	if err != nil {
		t.Fatal(err)
	}
	entries, _ := os.ReadDir(out)
	if len(entries) != 1 || entries[0].Name() != a2.Name {
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		t.Errorf("%s holds %v, want only %s", out, names, a2.Name)
	}
}

func TestWriteRejectsAChangedBundle(t *testing.T) {
	cases := []struct {
		name   string
		break_ func(dir string)
		want   string
	}{
		{"edited after bundling", func(dir string) {
			os.WriteFile(filepath.Join(dir, "assets", "index.html"), []byte("edited"), 0o644)
		}, "changed after bundling"},
		{"deleted after bundling", func(dir string) { os.Remove(filepath.Join(dir, "assets", "index.html")) },
			"re-run `open-dash bundle`"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			m := site(t, dir, sample, time.Now())
			c.break_(dir)
			out := filepath.Join(dir, ".deploy")
			_, err := Write(dir, m, out)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "index.html") {
				t.Fatalf("error = %v, want one naming index.html and %q", err, c.want)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("a failed write left %d files in %s", len(entries), out)
			}
		})
	}
}
