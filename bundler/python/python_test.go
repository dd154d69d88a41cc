package python

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
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
