package bundler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBundleEnvFileThroughAnotherPath: an env file inside the source folder, named by a path that reaches
// it through a symbolic link (or the source through one), is still left out of the server function.
func TestBundleEnvFileThroughAnotherPath(t *testing.T) {
	fakeDash(t)
	root := t.TempDir()
	src := filepath.Join(root, "real", "app")
	mustWrite(t, filepath.Join(src, "app.py"), envApp)
	mustWrite(t, filepath.Join(src, "bundle.env"), "DATABASE_URL='"+secretValue+"'\n")
	if err := os.Symlink(filepath.Join(root, "real"), filepath.Join(root, "link")); err != nil {
		t.Skip(err)
	}
	res, err := bundle(t, src, Options{EnvFiles: []string{filepath.Join(root, "link", "app", "bundle.env")}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.OutDir, ServerDir, "bundle.env")); !os.IsNotExist(err) {
		t.Errorf("the env file was copied into the server function: %v", err)
	}
	noValueIn(t, res.OutDir, secretValue)
}

// TestInsideSource: a file whose name starts with two dots is inside the source; a sibling of the source
// (or the source itself) is not.
func TestInsideSource(t *testing.T) {
	src := filepath.Join(t.TempDir(), "app")
	for _, c := range []struct {
		file string
		want []string
	}{
		{filepath.Join(src, ".env"), []string{".env"}},
		{filepath.Join(src, "..secrets.env"), []string{"..secrets.env"}},
		{filepath.Join(src, "config", "bundle.env"), []string{filepath.Join("config", "bundle.env")}},
		{filepath.Join(filepath.Dir(src), "bundle.env"), nil},
		{filepath.Join(filepath.Dir(src), "app2", ".env"), nil},
		{src, nil},
	} {
		got := insideSource(src, c.file)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("insideSource(%s) = %q, want %q", c.file, got, c.want)
		}
	}
}
