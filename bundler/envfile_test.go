package bundler

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/cache"
)

// envApp reads DATABASE_URL at import, as apps that connect at module level do, and puts TITLE (when set)
// in its layout.
const envApp = `import os
import dash

DATABASE_URL = os.environ["DATABASE_URL"]
app = dash.Dash(__name__)
app.layout = {"type": "Div", "props": {"children": os.environ.get("TITLE", "hello")}}
`

// secretValue is the env file's DATABASE_URL: nothing the bundle writes may hold it.
const secretValue = "postgres://app:s3cr3t-Pa55@db.internal/sales"

// TestBundleEnvFiles: an app that reads os.environ at import bundles with EnvFiles; the file (here inside
// the source folder) is not copied into the server function and no value is in the bundle or the cache
// record; a changed value re-bundles; a value the app renders fails the bundle naming the variable, never
// the value; a name the function could not get is refused with its file and line.
func TestBundleEnvFiles(t *testing.T) {
	fakeDash(t)
	src := filepath.Join(t.TempDir(), "app")
	mustWrite(t, filepath.Join(src, "app.py"), envApp)
	envFile := filepath.Join(src, ".env")
	mustWrite(t, envFile, "DATABASE_URL='"+secretValue+"'\n")

	if _, err := bundle(t, src, Options{}); err == nil || !strings.Contains(err.Error(), "DATABASE_URL") {
		t.Fatalf("without the env file: %v, want the app's KeyError", err)
	}
	res, err := bundle(t, src, Options{EnvFiles: []string{envFile}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(res.OutDir, ServerDir, ".env")); !os.IsNotExist(err) {
		t.Errorf("the env file was copied into the server function: %v", err)
	}
	for _, w := range res.Warnings {
		if strings.Contains(w, ".env") {
			t.Errorf("warning about the env file left out: %s", w)
		}
	}
	noValueIn(t, res.OutDir, secretValue)
	noValueIn(t, os.Getenv(cache.DirEnv), secretValue)

	if res, err = bundle(t, src, Options{EnvFiles: []string{envFile}}); err != nil || !res.Cached {
		t.Fatalf("same env file: cached %v, %v", res != nil && res.Cached, err)
	}
	mustWrite(t, envFile, "DATABASE_URL='"+secretValue+"-2'\n")
	if res, err = bundle(t, src, Options{EnvFiles: []string{envFile}}); err != nil || res.Cached {
		t.Fatalf("changed value: cached %v, %v", res != nil && res.Cached, err)
	}

	// A later file wins; a value the layout shows is a leak.
	leaky := filepath.Join(t.TempDir(), "leaky.env")
	mustWrite(t, leaky, "TITLE=\"Quarterly \\\"numbers\\\" <internal>\"\n")
	_, err = bundle(t, src, Options{EnvFiles: []string{envFile, leaky}})
	if err == nil || !strings.Contains(err.Error(), "the value of TITLE (from the env file "+leaky+") is in assets/") ||
		strings.Contains(err.Error(), "Quarterly") {
		t.Errorf("a rendered value: %v", err)
	}

	for _, c := range []struct{ file, want string }{
		{"AWS_REGION=eu-west-1\n", ":1: AWS_REGION is set by Lambda itself"},
		{"OK=1\nOPENDASH_X=1\n", ":2: OPENDASH_X"},
		{"BROKEN\n", "bad.env:1: expected NAME=value"},
	} {
		bad := filepath.Join(t.TempDir(), "bad.env")
		mustWrite(t, bad, c.file)
		if _, err := bundle(t, src, Options{EnvFiles: []string{bad}}); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("env file %q: %v, want %q", c.file, err, c.want)
		}
	}
	if _, err := bundle(t, src, Options{EnvFiles: []string{filepath.Join(src, "missing.env")}}); err == nil ||
		!strings.Contains(err.Error(), "missing.env") {
		t.Errorf("a missing env file: %v", err)
	}
}

// noValueIn fails when a file under dir holds value.
func noValueIn(t *testing.T, dir, value string) {
	t.Helper()
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err == nil && bytes.Contains(data, []byte(value)) {
			t.Errorf("%s holds an env file's value", p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestContainsValue: a value is found in what Python writes: as is, HTML-escaped (a page) and as
// json.dumps writes it (the layout and callbacks: Dash and Flask keep ensure_ascii, so non-ASCII text is
// \uXXXX, beyond the BMP as a surrogate pair).
func TestContainsValue(t *testing.T) {
	for _, value := range []string{
		"postgres://app:s3cr3t@db/sales",
		`Quarterly "numbers" <internal> & Mike's`,
		"Zürich Büro — Umsätze",
		"tresor 🔑 clé-secrète",
	} {
		out, err := exec.Command("python3", "-c",
			"import html, json, sys; v = sys.argv[1]; print(json.dumps({'v': v})); print(html.escape(v)); print(html.escape(v, quote=False))",
			value).Output()
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if !containsValue([]byte("before "+line+" after"), value) {
				t.Errorf("%q not found in Python's form %d: %s", value, i, line)
			}
		}
	}
	if containsValue([]byte(`{"v": "Zurich Buro"}`), "Zürich Büro") {
		t.Error("a different value was found")
	}
}
