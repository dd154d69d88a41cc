package python

import (
	"archive/zip"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestFind(t *testing.T) {
	dir := t.TempDir()
	exe := filepath.Join(dir, "python3")
	if err := os.WriteFile(exe, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	venv := filepath.Join(dir, "venv")
	if err := os.MkdirAll(filepath.Join(venv, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	venvPy := filepath.Join(venv, "bin", "python")
	if err := os.WriteFile(venvPy, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	plain := filepath.Join(dir, "not-executable")
	if err := os.WriteFile(plain, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	onPath := func(name string) (string, error) {
		if name == "python3" {
			return exe, nil
		}
		return "", errors.New("not found")
	}
	nowhere := func(string) (string, error) { return "", errors.New("not found") }

	tests := []struct {
		name     string
		explicit string
		venv     string
		lookPath func(string) (string, error)
		want     string
		wantErr  string
	}{
		{name: "explicit wins", explicit: exe, venv: venv, lookPath: onPath, want: exe},
		{name: "virtualenv next", venv: venv, lookPath: onPath, want: venvPy},
		{name: "python3 on PATH last", lookPath: onPath, want: exe},
		{name: "bare name looked up", explicit: "python3", lookPath: onPath, want: exe},
		{name: "no python at all", lookPath: nowhere, wantErr: "no python3 on PATH"},
		{name: "explicit missing", explicit: filepath.Join(dir, "nope"), lookPath: onPath, wantErr: "(from --python) not found"},
		{name: "venv without python", venv: filepath.Join(dir, "empty"), lookPath: onPath, wantErr: "(from $VIRTUAL_ENV) not found"},
		{name: "not executable", explicit: plain, lookPath: onPath, wantErr: "not an executable file"},
		{name: "a folder", explicit: dir, lookPath: onPath, wantErr: "not an executable file"},
		{name: "bare name not on PATH", explicit: "python9", lookPath: onPath, wantErr: `"python9" (from --python) is not on PATH`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := Env{Getenv: func(k string) string {
				if k == "VIRTUAL_ENV" {
					return tt.venv
				}
				return ""
			}, LookPath: tt.lookPath}
			got, err := env.Find(tt.explicit)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Fatalf("Find = %q, %v; want %q", got, err, tt.want)
			}
		})
	}
}

func TestVirtualEnv(t *testing.T) {
	sys, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is needed")
	}
	venv := filepath.Join(t.TempDir(), "venv")
	if out, err := exec.Command(sys, "-m", "venv", "--without-pip", venv).CombinedOutput(); err != nil {
		t.Skipf("python3 -m venv does not work here: %v\n%s", err, out)
	}
	conda := filepath.Join(t.TempDir(), "conda")
	if err := os.MkdirAll(filepath.Join(conda, "conda-meta"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A conda environment's python has sys.prefix == sys.base_prefix == the environment.
	fakeConda := filepath.Join(conda, "python")
	if err := os.WriteFile(fakeConda, []byte("#!/bin/sh\nexec "+sys+" -c 'import sys; sys.prefix = sys.base_prefix = \""+conda+"\"; exec(sys.argv[1])' \"$3\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		py   string
		want bool
	}{
		{"venv", filepath.Join(venv, "bin", "python"), true},
		{"conda", fakeConda, true},
	}
	if os.Getenv("VIRTUAL_ENV") == "" && os.Getenv("CONDA_PREFIX") == "" {
		tests = append(tests, struct {
			name string
			py   string
			want bool
		}{"python3 on PATH", sys, false})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := VirtualEnv(context.Background(), tt.py)
			if err != nil || got != tt.want {
				t.Errorf("VirtualEnv(%s) = %v, %v; want %v", tt.py, got, err, tt.want)
			}
		})
	}
	if _, err := VirtualEnv(context.Background(), filepath.Join(venv, "nope")); err == nil {
		t.Error("a missing interpreter must be an error")
	}
}

// TestExplainPip: pip's "no matching distribution" names the requirement and who asked for it (pip's
// "(from dash)"), whatever pip's version prints, with --skip-install offered; other failures say nothing.
func TestExplainPip(t *testing.T) {
	tests := []struct {
		name, log string
		want      []string // in the cause
	}{
		{"pip 23: the parent on the first line", "ERROR: Could not find a version that satisfies the requirement janus>=1 (from dash) (from versions: none)\nERROR: No matching distribution found for janus>=1",
			[]string{"pip could not install janus>=1, required by dash (a dependency", "offers no version of it at all"}},
		{"newer pip: the parent on both lines", "ERROR: Could not find a version that satisfies the requirement janus (from dash) (from versions: none)\nERROR: No matching distribution found for janus (from dash)",
			[]string{"janus, required by dash"}},
		{"a line of requirements.txt", "ERROR: Could not find a version that satisfies the requirement pandsa (from -r requirements.txt (line 3)) (from versions: none)\nERROR: No matching distribution found for pandsa",
			[]string{"pandsa, required by requirements.txt (line 3)"}},
		{"versions exist, none fits", "ERROR: Could not find a version that satisfies the requirement dash==0.1 (from versions: 2.18.2, 3.2.0)\nERROR: No matching distribution found for dash==0.1",
			[]string{"dash==0.1, required by a line of requirements.txt", "only versions 2.18.2, 3.2.0, none that fits"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cause, hint := explainPip(tt.log)
			for _, w := range tt.want {
				if !strings.Contains(cause, w) {
					t.Errorf("cause %q lacks %q", cause, w)
				}
			}
			if !strings.Contains(hint, "--skip-install") || strings.Contains(hint, "fix the requirements") {
				t.Errorf("hint %q", hint)
			}
		})
	}
	if cause, _ := explainPip("error: subprocess-exited-with-error\nbuilding wheel for x failed"); cause != "" {
		t.Errorf("another failure explained as a missing distribution: %q", cause)
	}
}

// TestInstallNamesTheMissingDistribution runs pip in a virtual environment, offline, on a requirement whose
// own dependency no index has: the error names both and offers --skip-install.
func TestInstallNamesTheMissingDistribution(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH")
	}
	dir := t.TempDir()
	if out, err := exec.Command(py, "-m", "venv", filepath.Join(dir, "venv")).CombinedOutput(); err != nil {
		t.Skipf("python3 -m venv: %v: %s", err, out)
	}
	wheels := filepath.Join(dir, "wheels")
	os.MkdirAll(wheels, 0o755)
	writeWheel(t, filepath.Join(wheels, "topdep-1.0-py3-none-any.whl"), "topdep", "1.0", "nosuchdist>=2")
	app := filepath.Join(dir, "app")
	os.MkdirAll(app, 0o755)
	os.WriteFile(filepath.Join(app, "requirements.txt"), []byte("topdep==1.0\n"), 0o644)
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("PIP_FIND_LINKS", wheels)
	_, err = Install(context.Background(), filepath.Join(dir, "venv", "bin", "python"), app)
	if err == nil {
		t.Fatal("pip succeeded without nosuchdist")
	}
	for _, want := range []string{"pip could not install nosuchdist>=2, required by topdep", "hint: the app's requirements may be fine", "--skip-install"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error lacks %q:\n%v", want, err)
		}
	}
}

// writeWheel writes a pure-Python wheel of name==version that requires requires (made by hand: no build
// tools needed).
func writeWheel(t *testing.T, file, name, version, requires string) {
	t.Helper()
	info := name + "-" + version + ".dist-info/"
	files := map[string]string{
		name + "/__init__.py": "",
		info + "METADATA":     "Metadata-Version: 2.1\nName: " + name + "\nVersion: " + version + "\nRequires-Dist: " + requires + "\n",
		info + "WHEEL":        "Wheel-Version: 1.0\nGenerator: opendash-test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
	}
	var record strings.Builder
	f, err := os.Create(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for _, n := range slices.Sorted(maps.Keys(files)) {
		sum := sha256.Sum256([]byte(files[n]))
		fmt.Fprintf(&record, "%s,sha256=%s,%d\n", n, base64.RawURLEncoding.EncodeToString(sum[:]), len(files[n]))
		w, _ := zw.Create(n)
		w.Write([]byte(files[n]))
	}
	record.WriteString(info + "RECORD,,\n")
	w, _ := zw.Create(info + "RECORD")
	w.Write([]byte(record.String()))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}
