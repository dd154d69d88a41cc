// Package python finds the user's Python and installs an app's requirements into it.
package python

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
)

// Env is what Find looks at; tests replace it.
type Env struct {
	Getenv   func(string) string
	LookPath func(string) (string, error)
}

// System is the real environment.
var System = Env{Getenv: os.Getenv, LookPath: exec.LookPath}

// Find picks the interpreter: the explicit one, else $VIRTUAL_ENV/bin/python, else python3 on PATH.
// It returns an absolute path and checks that the file can be executed.
func (e Env) Find(explicit string) (string, error) {
	var candidate, from string
	switch {
	case explicit != "":
		candidate, from = explicit, "--python"
	case e.Getenv("VIRTUAL_ENV") != "":
		candidate, from = filepath.Join(e.Getenv("VIRTUAL_ENV"), "bin", "python"), "$VIRTUAL_ENV"
	default:
		path, err := e.LookPath("python3")
		if err != nil {
			return "", errors.New("no python3 on PATH: install Python 3, activate your virtualenv, or pass --python /path/to/python")
		}
		candidate, from = path, "PATH"
	}
	if !strings.ContainsRune(candidate, os.PathSeparator) {
		path, err := e.LookPath(candidate)
		if err != nil {
			return "", fmt.Errorf("python %q (from %s) is not on PATH; pass the interpreter's full path to --python", candidate, from)
		}
		candidate = path
	}
	abs, err := filepath.Abs(candidate)
	if err != nil {
		return "", err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("python %s (from %s) not found: %w; pass an existing interpreter to --python", abs, from, err)
	}
	if info.IsDir() || info.Mode()&0o111 == 0 {
		return "", fmt.Errorf("python %s (from %s) is not an executable file; pass an interpreter to --python", abs, from)
	}
	return abs, nil
}

// Install runs `python -m pip install -r requirements.txt` in dir. It returns false without running pip when
// dir has no requirements.txt.
func Install(ctx context.Context, py, dir string) (bool, error) {
	req := filepath.Join(dir, "requirements.txt")
	if _, err := os.Stat(req); errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	cmd := exec.CommandContext(ctx, py, "-m", "pip", "install", "--disable-pip-version-check",
		"--no-input", "-q", "-r", "requirements.txt")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return true, ctx.Err()
		}
		log := strings.TrimRight(out.String(), "\n")
		if cause, hint := explainPip(log); cause != "" {
			return true, fmt.Errorf("pip install -r %s into %s failed: %s:\n%s\n  hint: %s", req, py, cause, log, hint)
		}
		return true, fmt.Errorf("pip install -r %s into %s failed (%v):\n%s\n  hint: fix what pip names above; if this "+
			"environment already holds what the app needs, pass --skip-install", req, py, err, log)
	}
	return true, nil
}

// pipNotFound is how pip says it found no distribution for a requirement: "Could not find a version that
// satisfies the requirement X (from P) (from versions: none)", then "No matching distribution found for X",
// "(from P)" also there in newer pips. P is the distribution that requires X, or "-r requirements.txt (line 3)".
var pipNotFound = regexp.MustCompile(`(?m)^ERROR: (?:Could not find a version that satisfies the requirement|No matching distribution found for) (\S+)(?: \(from (.*?)\))?(?: \(from versions: ([^)]*)\))?\s*$`)

// explainPip names the requirement pip could not find and who asked for it, from pip's output; "" when pip
// failed some other way.
func explainPip(log string) (cause, hint string) {
	var requirement, parent, versions string
	for _, m := range pipNotFound.FindAllStringSubmatch(log, -1) {
		requirement = m[1]
		from, vs := m[2], m[3]
		if v, ok := strings.CutPrefix(from, "versions: "); ok { // no "(from P)": the versions came first
			from, vs = "", v
		}
		if from != "" {
			parent = from
		}
		if vs != "" {
			versions = vs
		}
	}
	if requirement == "" {
		return "", ""
	}
	who := "a line of requirements.txt"
	switch {
	case strings.HasPrefix(parent, "-r "):
		who = strings.TrimPrefix(parent, "-r ")
	case parent != "":
		who = parent + " (a dependency pip was installing for the app's requirements)"
	}
	found := "no version of it at all"
	if versions != "" && versions != "none" {
		found = "only versions " + versions + ", none that fits"
	}
	cause = fmt.Sprintf("pip could not install %s, required by %s: the package index it reached offers %s", requirement, who, found)
	hint = "the app's requirements may be fine: if this environment already holds what the app needs, pass " +
		"--skip-install; otherwise let pip reach a package index that has " + requirement + " (network, " +
		"PIP_INDEX_URL, pip.conf), or check its name and version and this Python's version"
	return cause, hint
}

// venvProbe prints 1 in an environment of its own: a venv or virtualenv (sys.prefix differs from
// sys.base_prefix, as Python itself decides) or a conda environment (conda-meta in its prefix).
const venvProbe = `import os, sys
print(int(sys.prefix != getattr(sys, "base_prefix", sys.prefix) or os.path.isdir(os.path.join(sys.prefix, "conda-meta"))))`

// VirtualEnv reports whether py runs in a virtual or conda environment, where pip changes nothing but
// that environment (and no externally-managed system Python refuses it, PEP 668).
func VirtualEnv(ctx context.Context, py string) (bool, error) {
	out, err := exec.CommandContext(ctx, py, "-I", "-c", venvProbe).Output()
	if err != nil {
		return false, fmt.Errorf("cannot ask %s whether it is a virtual environment: %w; pass an interpreter that runs to --python", py, err)
	}
	return strings.TrimSpace(string(out)) == "1", nil
}
