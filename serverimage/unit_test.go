package serverimage

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func TestManylinuxTags(t *testing.T) {
	for _, c := range []struct {
		arch        string
		glibc       int
		first, last string
		n           int
		has         []string
		hasNot      []string
	}{
		// Amazon Linux 2 (Python 3.10, 3.11): glibc 2.26.
		{"x86_64", 26, "manylinux_2_26_x86_64", "manylinux1_x86_64", 22 + 3,
			[]string{"manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux_2_17_x86_64", "manylinux_2_5_x86_64"},
			[]string{"manylinux_2_27_x86_64", "manylinux_2_28_x86_64", "linux_x86_64"}},
		// Amazon Linux 2023 (Python 3.12+): glibc 2.34.
		{"x86_64", 34, "manylinux_2_34_x86_64", "manylinux1_x86_64", 30 + 3,
			[]string{"manylinux_2_28_x86_64", "manylinux2014_x86_64"}, []string{"manylinux_2_35_x86_64"}},
		{"arm64", 26, "manylinux_2_26_aarch64", "manylinux2014_aarch64", 10 + 1,
			[]string{"manylinux_2_17_aarch64"}, []string{"manylinux_2_16_aarch64", "manylinux1_aarch64", "manylinux_2_26_x86_64"}},
		{"arm64", 34, "manylinux_2_34_aarch64", "manylinux2014_aarch64", 18 + 1, []string{"manylinux_2_28_aarch64"}, nil},
	} {
		tags := manylinuxTags(c.arch, c.glibc)
		if tags[0] != c.first || tags[len(tags)-1] != c.last || len(tags) != c.n {
			t.Errorf("%s glibc 2.%d: %d tags %s ... %s, want %d, %s ... %s", c.arch, c.glibc, len(tags), tags[0], tags[len(tags)-1], c.n, c.first, c.last)
		}
		for _, h := range c.has {
			if !slices.Contains(tags, h) {
				t.Errorf("%s glibc 2.%d lacks %s", c.arch, c.glibc, h)
			}
		}
		for _, h := range c.hasNot {
			if slices.Contains(tags, h) {
				t.Errorf("%s glibc 2.%d has %s", c.arch, c.glibc, h)
			}
		}
	}
	for minor, want := range map[string]int{"3.10": 26, "3.11": 26, "3.12": 34, "3.13": 34, "3.14": 34} {
		if got := glibcMinor(minor); got != want {
			t.Errorf("glibc for Python %s: 2.%d, want 2.%d", minor, got, want)
		}
	}
	args := strings.Join(pipArgs("/t", "/r.txt", "arm64", "3.12"), " ")
	for _, w := range []string{"--target /t", "--implementation cp", "--python-version 3.12", "--only-binary=:all:",
		"--no-compile", "--platform manylinux_2_34_aarch64", "--platform manylinux2014_aarch64", "-r /r.txt"} {
		if !strings.Contains(args, w) {
			t.Errorf("pip arguments %q lack %q", args, w)
		}
	}
}

func TestPipError(t *testing.T) {
	noWheel := "Looking in links: /w\nERROR: Could not find a version that satisfies the requirement numpy==9.1 (from versions: 1.0, 2.0)\nERROR: No matching distribution found for numpy==9.1\n"
	err := pipError(noWheel, errors.New("exit status 1"), "arm64", "3.11")
	for _, w := range []string{"no wheel of numpy==9.1", "CPython 3.11 on linux/arm64", "glibc 2.26", "versions 1.0, 2.0",
		"imageBuilder: docker", "aarch64", "PIP_FIND_LINKS", "\n  hint: "} {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("%q lacks %q", err, w)
		}
	}
	other := pipError("ERROR: ResolutionImpossible: a conflict\n", errors.New("exit status 1"), "x86_64", "3.12")
	if !strings.Contains(other.Error(), "ResolutionImpossible") || !strings.Contains(other.Error(), "linux/amd64") {
		t.Errorf("%q", other)
	}
}

func TestWithDefaults(t *testing.T) {
	got := withDefaults([]string{"A=1", "PIP_ROOT_USER_ACTION=warn"}, "PIP_ROOT_USER_ACTION=ignore", "B=2")
	if !slices.Equal(got, []string{"A=1", "PIP_ROOT_USER_ACTION=warn", "B=2"}) {
		t.Errorf("%q: the user's own setting must win", got)
	}
}

func TestPlatformMatches(t *testing.T) {
	arm := v1.Platform{OS: "linux", Architecture: "arm64"}
	amd := v1.Platform{OS: "linux", Architecture: "amd64"}
	for _, c := range []struct {
		got, want v1.Platform
		ok        bool
	}{
		{v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}, arm, true},
		{arm, arm, true},
		{amd, amd, true},
		{v1.Platform{OS: "linux", Architecture: "arm", Variant: "v7"}, arm, false},
		{v1.Platform{OS: "windows", Architecture: "amd64"}, amd, false},
		{v1.Platform{OS: "unknown", Architecture: "unknown"}, amd, false}, // an attestation manifest
	} {
		if got := platformMatches(c.got, c.want); got != c.ok {
			t.Errorf("%s for %s: %t", c.got, c.want, got)
		}
	}
}

func TestPinned(t *testing.T) {
	d := "sha256:" + strings.Repeat("a", 64)
	for ref, want := range map[string]string{
		"public.ecr.aws/lambda/python:3.12":    "public.ecr.aws/lambda/python@" + d,
		"127.0.0.1:5000/base@" + d:             "127.0.0.1:5000/base@" + d,
		"mirror.example.com:443/lambda/python": "mirror.example.com:443/lambda/python@" + d,
	} {
		if got := pinned(ref, d); got != want {
			t.Errorf("pinned(%s) = %s, want %s", ref, got, want)
		}
	}
}

// SourceDigest: equal folders give equal digests whatever their times and permissions; every change of
// path, content or executable bit changes it; what the image leaves out does not count.
func TestSourceDigest(t *testing.T) {
	files := map[string]string{"opendash_handler.py": "h", "app.py": "a", "assets/x.css": "c", "pages/p.py": "p"}
	a, b := t.TempDir(), t.TempDir()
	writeFiles(t, a, files)
	writeFiles(t, b, files)
	os.Chmod(filepath.Join(b, "app.py"), 0o600)
	os.MkdirAll(filepath.Join(b, "__pycache__"), 0o755)
	writeFiles(t, b, map[string]string{"__pycache__/app.cpython-311.pyc": "x", "Dockerfile": "FROM x", ".dockerignore": "x", "pages/p.pyc": "x"})
	da, err := SourceDigest(a)
	if err != nil {
		t.Fatal(err)
	}
	if db, _ := SourceDigest(b); da != db || !strings.HasPrefix(da, "sha256:") {
		t.Fatalf("equal folders: %s and %s", da, db)
	}
	for name, change := range map[string]func(dir string){
		"content":        func(d string) { writeFiles(t, d, map[string]string{"assets/x.css": "C"}) },
		"new file":       func(d string) { writeFiles(t, d, map[string]string{"assets/y.css": ""}) },
		"renamed":        func(d string) { os.Rename(filepath.Join(d, "pages"), filepath.Join(d, "views")) },
		"executable bit": func(d string) { os.Chmod(filepath.Join(d, "app.py"), 0o755) },
		"empty folder":   func(d string) { os.MkdirAll(filepath.Join(d, "data"), 0o755) },
	} {
		d := t.TempDir()
		writeFiles(t, d, files)
		change(d)
		if got, err := SourceDigest(d); err != nil || got == da {
			t.Errorf("%s: digest unchanged (%v)", name, err)
		}
	}
	link := t.TempDir()
	writeFiles(t, link, files)
	os.Symlink("/etc/passwd", filepath.Join(link, "passwd"))
	if _, err := SourceDigest(link); err == nil || !strings.Contains(err.Error(), "symbolic link") {
		t.Errorf("a symbolic link: %v", err)
	}
}
