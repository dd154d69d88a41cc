package imagetest

import (
	"archive/zip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// Wheels: a wheel is a zip of the package's files plus NAME-VERSION.dist-info/{METADATA,WHEEL,RECORD}
// (PEP 427). Tests make the few they need and point pip at the folder (PIP_FIND_LINKS, PIP_NO_INDEX).

// WheelSpec describes one wheel.
type WheelSpec struct {
	Name, Version string
	// Tag is PYTHON-ABI-PLATFORM, e.g. "py3-none-any" or "cp311-cp311-manylinux_2_17_aarch64"; "" means
	// py3-none-any.
	Tag      string
	Files    map[string]string // path inside site-packages -> content
	Requires []string          // Requires-Dist lines
}

var nonName = regexp.MustCompile(`[-_.]+`)

// WriteWheel writes spec as a wheel into dir and returns its path.
func WriteWheel(t testing.TB, dir string, spec WheelSpec) string {
	t.Helper()
	if spec.Tag == "" {
		spec.Tag = "py3-none-any"
	}
	dist := nonName.ReplaceAllString(spec.Name, "_")
	info := fmt.Sprintf("%s-%s.dist-info", dist, spec.Version)
	files := map[string]string{}
	for k, v := range spec.Files {
		files[k] = v
	}
	meta := fmt.Sprintf("Metadata-Version: 2.1\nName: %s\nVersion: %s\n", spec.Name, spec.Version)
	for _, r := range spec.Requires {
		meta += "Requires-Dist: " + r + "\n"
	}
	files[info+"/METADATA"] = meta
	pure := strings.HasSuffix(spec.Tag, "-none-any")
	files[info+"/WHEEL"] = fmt.Sprintf("Wheel-Version: 1.0\nGenerator: opendash-imagetest\nRoot-Is-Purelib: %t\nTag: %s\n", pure, spec.Tag)
	var names []string
	for k := range files {
		names = append(names, k)
	}
	sort.Strings(names)
	var record strings.Builder
	for _, n := range names {
		sum := sha256.Sum256([]byte(files[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
	}
	fmt.Fprintf(&record, "%s/RECORD,,\n", info)
	files[info+"/RECORD"] = record.String()
	names = append(names, info+"/RECORD")

	path := filepath.Join(dir, fmt.Sprintf("%s-%s-%s.whl", dist, spec.Version, spec.Tag))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	zw := zip.NewWriter(f)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(files[n])); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}

// FilesOf reads a package folder (a stand-in Dash, say) as wheel files under prefix ("dash/..."), leaving
// out bytecode caches.
func FilesOf(t testing.TB, dir, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "__pycache__" {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(p, ".pyc") {
			return nil
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[prefix+filepath.ToSlash(rel)] = string(data)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// FakeDashWheels writes wheels of the stand-in Dash and plotly (bundler/testdata/fakedash, version 9.9.9)
// into dir, so a bundle made with the stand-in installs from a wheelhouse. fakedash is that folder. The
// stand-in runs on Flask, so its wheel requires Flask, and dir also gets wheels of the Flask installed in
// python and of what Flask requires: pip resolves them as it would on PyPI, and the image holds all the
// app needs.
func FakeDashWheels(t testing.TB, dir, fakedash, python string) {
	t.Helper()
	for _, pkg := range []string{"dash", "plotly"} {
		spec := WheelSpec{Name: pkg, Version: "9.9.9", Files: FilesOf(t, filepath.Join(fakedash, pkg), pkg+"/")}
		if pkg == "dash" {
			spec.Requires = []string{"Flask>=2"}
		}
		WriteWheel(t, dir, spec)
	}
	InstalledWheels(t, python, dir, "flask", "werkzeug", "jinja2", "markupsafe", "itsdangerous", "click", "blinker")
}

//go:embed installed_wheels.py
var installedWheels []byte

// InstalledWheels writes pure-Python wheels of distributions installed in python into dir (compiled
// extensions left out: MarkupSafe, for one, falls back to its pure-Python code).
func InstalledWheels(t testing.TB, python, dir string, dists ...string) {
	t.Helper()
	runInstalledWheels(t, python, append([]string{dir}, dists...))
}

// ClosureWheels writes wheels of the requirements pinned in reqFile as installed in python, of everything
// they require, and of the distributions of every module the Python code imports (run in python first),
// compiled extensions kept (tagged for this machine's CPU). It returns their names.
func ClosureWheels(t testing.TB, python, dir, reqFile, code string) []string {
	t.Helper()
	return strings.Fields(runInstalledWheels(t, python, []string{dir, "--closure-of", reqFile, code}))
}

func runInstalledWheels(t testing.TB, python string, args []string) string {
	t.Helper()
	script := filepath.Join(t.TempDir(), "installed_wheels.py")
	if err := os.WriteFile(script, installedWheels, 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, append([]string{script}, args...)...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("making wheels from %s (%v): %v\n%s", python, args, err, stderr.String())
	}
	return string(out)
}

// Wheelhouse is the environment that makes pip install from dir alone, with its own empty cache.
func Wheelhouse(t testing.TB, dir string) []string {
	t.Helper()
	env := []string{}
	for _, e := range os.Environ() {
		if !strings.HasPrefix(e, "PIP_") {
			env = append(env, e)
		}
	}
	return append(env, "PIP_FIND_LINKS="+dir, "PIP_NO_INDEX=1", "PIP_CACHE_DIR="+t.TempDir())
}
