package serverimage

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/opendash/opendash/bundler/python"
	"github.com/opendash/opendash/bundler/serverfn"
)

// Dependencies: pip, run by the bundling Python, installs requirements.txt for the TARGET (the Lambda base's
// CPython and glibc, the function's CPU) into a folder that becomes the site-packages layer. Wheels only:
// nothing is compiled on this machine, so an arm64 image builds on x86 (and the reverse) without emulation.
// pip reads its own settings from the environment (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS,
// PIP_NO_INDEX, its cache), so private indexes and offline wheelhouses work as they do for pip itself.

// glibcMinor is the glibc of the Lambda base image for a Python minor version: Amazon Linux 2 (glibc 2.26)
// under python3.10 and 3.11, Amazon Linux 2023 (glibc 2.34) from python3.12 on (AWS Lambda runtimes page).
func glibcMinor(pythonMinor string) int {
	if pythonMinor == "3.10" || pythonMinor == "3.11" {
		return 26
	}
	return 34
}

// wheelArch is the CPU name wheels use for a Lambda architecture.
func wheelArch(arch string) string {
	if arch == serverfn.ArchARM64 {
		return "aarch64"
	}
	return "x86_64"
}

// manylinuxTags lists every manylinux platform tag a glibc 2.<glibc> system runs, newest first, one per
// entry: pip takes each --platform literally and does not widen manylinux_2_28 to older tags
// (pypa/pip#10760). The legacy aliases follow their PEP 600 equivalents (manylinux2014 = manylinux_2_17,
// manylinux2010 = 2_12, manylinux1 = 2_5); aarch64 wheels start at 2_17, x86_64 ones at 2_5.
func manylinuxTags(arch string, glibc int) []string {
	cpu := wheelArch(arch)
	oldest := 5
	if cpu == "aarch64" {
		oldest = 17
	}
	var tags []string
	for n := glibc; n >= oldest; n-- {
		tags = append(tags, fmt.Sprintf("manylinux_2_%d_%s", n, cpu))
		switch n {
		case 17:
			tags = append(tags, "manylinux2014_"+cpu)
		case 12:
			tags = append(tags, "manylinux2010_"+cpu)
		case 5:
			tags = append(tags, "manylinux1_"+cpu)
		}
	}
	return tags
}

// pythonInfo is what checkPython learns from the bundling interpreter.
type pythonInfo struct {
	Path    string
	Version string `json:"version"` // "3.11"
	Pip     string `json:"pip"`     // pip's version, "" without pip
	Full    string `json:"full"`    // sys.version: the compiler that writes the bytecode
}

const probePython = `import json, sys
try:
    import pip
    v = pip.__version__
except Exception:
    v = ""
print(json.dumps({"version": "%d.%d" % sys.version_info[:2], "pip": v, "full": sys.version}))`

// checkPython finds the bundling Python and checks it is the image's minor version: the bytecode it
// writes loads only in the same CPython minor (a .pyc of another one is ignored, and /var/task is
// read-only on Lambda, so every cold start would compile the app again).
func (b *build) checkPython(ctx context.Context) error {
	py, err := python.System.Find(b.opts.Python)
	if err != nil {
		return err
	}
	cmd := exec.CommandContext(ctx, py, "-c", probePython)
	cmd.Env = b.opts.Env
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("%s does not run (%v); pass the Python that bundled the app", py, err)
	}
	info := pythonInfo{Path: py}
	if err := json.Unmarshal(bytes.TrimSpace(out), &info); err != nil {
		return fmt.Errorf("%s: unexpected answer %q", py, out)
	}
	if info.Version != b.minor {
		return fmt.Errorf("%s is Python %s, and the bundle's server runs Python %s (its base image): the bytecode "+
			"it compiles would not load there\n  hint: pass the Python that bundled the app (--python), or "+
			"re-bundle with this one", py, info.Version, b.minor)
	}
	b.py = info
	b.note = fmt.Sprintf("%s (Python %s, pip %s)", py, info.Version, info.Pip)
	return nil
}

// requirements reports whether requirements.txt names anything to install (comments and blank lines
// do not count).
func requirements(dir string) (string, bool, error) {
	p := filepath.Join(dir, serverfn.RequirementsFile)
	data, err := os.ReadFile(p)
	if os.IsNotExist(err) {
		return p, false, nil
	}
	if err != nil {
		return p, false, err
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
			return p, true, nil
		}
	}
	return p, false, nil
}

// pipArgs is the pip command line for the target.
func pipArgs(target, reqFile, arch, pythonMinor string) []string {
	args := []string{"-m", "pip", "install", "--target", target,
		"--implementation", "cp", "--python-version", pythonMinor, "--only-binary=:all:",
		"--no-compile", // our compiler writes reproducible bytecode at image paths (compile.go)
		"--disable-pip-version-check", "--no-input", "--progress-bar", "off"}
	for _, tag := range manylinuxTags(arch, glibcMinor(pythonMinor)) {
		args = append(args, "--platform", tag)
	}
	return append(args, "-r", reqFile)
}

// installDeps runs pip for the target into a scratch folder.
func (b *build) installDeps(ctx context.Context) error {
	reqFile, any, err := requirements(b.opts.Dir)
	if err != nil {
		return err
	}
	if !any {
		b.note = "nothing to install (no requirements)"
		return nil
	}
	if b.py.Pip == "" {
		return fmt.Errorf("%s has no pip, which installs the image's dependencies\n  hint: install pip into it "+
			"(python -m ensurepip), or pass another Python with --python", b.py.Path)
	}
	if reused, err := b.reuseDeps(reqFile); err != nil || reused {
		return err
	}
	target := filepath.Join(b.tmp, "site-packages")
	cmd := exec.CommandContext(ctx, b.py.Path, pipArgs(target, reqFile, b.opts.Architecture, b.minor)...)
	cmd.Dir = b.opts.Dir // relative paths in requirements.txt resolve as in the Dockerfile (WORKDIR /var/task)
	cmd.Env = withDefaults(b.opts.Env, "PIP_ROOT_USER_ACTION=ignore", "PYTHONDONTWRITEBYTECODE=1")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return pipError(out.String(), err, b.opts.Architecture, b.minor)
	}
	// Console scripts start with this machine's interpreter path (#!/home/.../python): useless in the image.
	if err := os.RemoveAll(filepath.Join(target, "bin")); err != nil {
		return err
	}
	dists, _ := filepath.Glob(filepath.Join(target, "*.dist-info"))
	b.site = target
	b.note = fmt.Sprintf("%d distributions for %s", len(dists), b.targetName())
	return nil
}

// reuseDeps looks for the dependencies layer of an earlier build with the same inputs (depscache.go).
func (b *build) reuseDeps(reqFile string) (bool, error) {
	dir, err := b.depsCacheDir()
	if err != nil {
		b.logf("  note: the dependencies layer is not kept for later builds: %v", err)
		return false, nil
	}
	key, err := b.depsKey(reqFile)
	if err != nil {
		return false, err
	}
	b.depsHash = key
	if b.opts.NoCache {
		return false, nil
	}
	l, err := loadDeps(dir, key)
	if err != nil || l == nil {
		return false, err
	}
	b.deps = l
	b.note = fmt.Sprintf("reused the layer of an earlier build (same requirements, target, Python, pip and PIP_* settings; %s)", dir)
	return true, nil
}

// targetName says what pip installed for: "CPython 3.11 on linux/arm64 (manylinux, glibc 2.26)".
func (b *build) targetName() string {
	return fmt.Sprintf("CPython %s on %s (manylinux, glibc 2.%d)", b.minor, b.platform, glibcMinor(b.minor))
}

var (
	noMatch  = regexp.MustCompile(`No matching distribution found for (\S+)`)
	versions = regexp.MustCompile(`Could not find a version that satisfies the requirement (\S+) \(from versions: ([^)]*)\)`)
)

// pipError explains a failed pip run. A requirement without a wheel for the target is the expected
// failure of a wheels-only build: name it, the platform, and the ways out.
func pipError(out string, err error, arch, pythonMinor string) error {
	tail := lastLines(out, 25)
	platform := fmt.Sprintf("CPython %s on linux/%s (manylinux, glibc 2.%d)", pythonMinor,
		map[string]string{serverfn.ArchX86: "amd64", serverfn.ArchARM64: "arm64"}[arch], glibcMinor(pythonMinor))
	if m := noMatch.FindStringSubmatch(out); m != nil {
		found := ""
		if v := versions.FindStringSubmatch(out); v != nil && strings.TrimSpace(v[2]) != "none" {
			found = fmt.Sprintf(" (pip found wheels of versions %s, none of them the one asked for)", strings.TrimSpace(v[2]))
		}
		return fmt.Errorf("no wheel of %s for %s%s: the native image builder installs wheels only, "+
			"it compiles nothing on this machine; pip said:\n%s\n  hint: build the image with Docker "+
			"(the component's imageBuilder: docker), which can compile it from source; or require a version "+
			"that publishes a manylinux wheel for %s, or add such a wheel to a wheelhouse pip reads "+
			"(PIP_FIND_LINKS)", m[1], platform, found, tail, wheelArch(arch))
	}
	return fmt.Errorf("pip install for %s failed (%v); pip said:\n%s\n  hint: the requirements come from the "+
		"bundle's requirements.txt; pip's own settings (PIP_INDEX_URL, PIP_FIND_LINKS, ...) apply", platform, err, tail)
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return "    " + strings.Join(lines, "\n    ")
}

// withDefaults adds KEY=VALUE settings the environment does not set already (the user's own win).
func withDefaults(env []string, defaults ...string) []string {
	out := append([]string(nil), env...)
	for _, d := range defaults {
		key := d[:strings.IndexByte(d, '=')+1]
		set := false
		for _, e := range env {
			if strings.HasPrefix(e, key) {
				set = true
				break
			}
		}
		if !set {
			out = append(out, d)
		}
	}
	return out
}
