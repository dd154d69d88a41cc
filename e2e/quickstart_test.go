package e2e

import (
	"bufio"
	"context"
	"io"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// venvLine is the Quick start's virtual environment step, the one line the test runs differently.
var venvLine = regexp.MustCompile(`^python3 -m venv (\S+)(\s+#.*)?$`)

// TestQuickStart runs the shell block of README.md's Quick start as written, in a copy of the repository,
// and checks that it ends in a preview answering the index page and a callback, which `open-dash verify URL
// --source .` from the app's folder (the block bundles and previews with `--source .` too) passes. Only the interpreter is
// substituted: `python3 -m venv DIR` creates DIR from the test's Python (python3 with the stand-in Dash of
// bundler/testdata/fakedash, or OPENDASH_TEST_PYTHON's real Dash) and puts that Python's packages on the
// venv's path, so nothing is downloaded. The README and the commands cannot drift apart unnoticed.
func TestQuickStart(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the quick start builds open-dash and runs Python")
	}
	for _, tool := range []string{"bash", "make", "go"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("the quick start needs %s on PATH", tool)
		}
	}
	py, pthLines := quickStartPython(t)
	lines, err := readmeSection("../README.md", "Quick start")
	if err != nil {
		t.Fatal(err)
	}
	script, venvs := quickStartScript(t, lines)
	if venvs != 1 {
		t.Fatalf("the Quick start must create one virtual environment with `python3 -m venv DIR` (found %d)", venvs)
	}
	if !strings.Contains(lines[len(lines)-1], "open-dash preview") {
		t.Fatalf("the Quick start must end with `open-dash preview`, not %q", lines[len(lines)-1])
	}

	repo := t.TempDir()
	copyRepo(t, "..", repo)
	gopath := t.TempDir()
	goEnv := func(name string) string {
		out, err := exec.Command("go", "env", name).Output()
		if err != nil {
			t.Fatal(err)
		}
		return strings.TrimSpace(string(out))
	}
	cmd := exec.Command("bash", "-e", "-c", script)
	cmd.Dir = repo
	cmd.Env = append(cleanEnv(),
		"GOPATH="+gopath, "GOMODCACHE="+goEnv("GOMODCACHE"), "GOCACHE="+goEnv("GOCACHE"),
		"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=-mod=readonly",
		"OPENDASH_CACHE_DIR="+t.TempDir(), "OPENDASH_PREVIEW_PORT=0", "PIP_NO_INDEX=1",
		"QUICKSTART_PYTHON="+py, "QUICKSTART_PTH="+strings.Join(pthLines, "\n"))
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true} // the preview and its worker stop with the group
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	stderr := &previewLog{} // the whole log: bundle progress, then the preview's
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if f := strings.Fields(sc.Text()); len(f) >= 4 && f[0] == "Previewing" {
				urls <- f[3]
			}
		}
		exited <- cmd.Wait()
	}()
	defer func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		}
	}()

	var url string
	select {
	case url = <-urls:
	case err := <-exited:
		t.Fatalf("the Quick start stopped before the preview served (%v):\n%s", err, strings.Join(stderr.since(0), "\n"))
	case <-time.After(10 * time.Minute):
		t.Fatalf("no preview after 10 minutes:\n%s", strings.Join(stderr.since(0), "\n"))
	}
	client := &http.Client{Timeout: time.Minute}
	status, body := get(t, client, http.MethodGet, url+"/", "")
	if status != 200 || !strings.Contains(body, "_dash-component-suites/") {
		t.Errorf("GET / = %d:\n%.500s\n%s", status, body, strings.Join(stderr.since(0), "\n"))
	}
	callback := `{"output":"graph.figure","outputs":{"id":"graph","property":"figure"},` +
		`"inputs":[{"id":"city","property":"value","value":"Oslo"}],"changedPropIds":["city.value"],"state":[]}`
	status, body = get(t, client, http.MethodPost, url+"/_dash-update-component", callback)
	if status != 200 || !strings.Contains(body, "Oslo") {
		t.Errorf("the dropdown's callback = %d:\n%.500s\n%s", status, body, strings.Join(stderr.since(0), "\n"))
	}
	for _, want := range []string{"install requirements", "examples/.open-dash"} {
		if !strings.Contains(strings.Join(stderr.since(0), "\n"), want) {
			t.Errorf("the log lacks %q:\n%s", want, strings.Join(stderr.since(0), "\n"))
		}
	}
	// What the Quick start says to do next, from the app's folder: verify the preview by that same folder.
	verify := exec.Command(filepath.Join(gopath, "bin", "open-dash"), "verify", url, "--source", ".")
	verify.Dir = filepath.Join(repo, filepath.FromSlash(scriptDir(lines)))
	verify.Env = cmd.Env
	if out, err := verify.CombinedOutput(); err != nil || !strings.Contains(string(out), "passed") {
		t.Errorf("open-dash verify %s --source . in %s: %v\n%s", url, verify.Dir, err, out)
	}
}

// scriptDir is the folder the Quick start's commands end in: its `cd` lines, from the repository root.
func scriptDir(lines []string) string {
	dir := "."
	for _, line := range lines {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "cd" {
			dir = filepath.ToSlash(filepath.Join(dir, f[1]))
		}
	}
	return dir
}

// quickStartScript is the README's block with the venv line made from the test's Python; it counts them.
func quickStartScript(t *testing.T, lines []string) (string, int) {
	var b strings.Builder
	venvs := 0
	for _, line := range lines {
		if m := venvLine.FindStringSubmatch(strings.TrimSpace(line)); m != nil {
			venvs++
			dir := m[1]
			line = `"$QUICKSTART_PYTHON" -m venv ` + dir + ` && printf '%s\n' "$QUICKSTART_PTH" > "$(` + `"` + dir +
				`/bin/python" -c 'import sysconfig; print(sysconfig.get_path("purelib"))')/opendash-quickstart.pth"`
		}
		b.WriteString(line + "\n")
	}
	return b.String(), venvs
}

// quickStartPython is the interpreter the venv is made from and the folders its packages are in: the real
// Dash of OPENDASH_TEST_PYTHON, else python3 with the stand-in Dash (which needs Flask there).
func quickStartPython(t *testing.T) (string, []string) {
	py := os.Getenv("OPENDASH_TEST_PYTHON")
	var extra []string
	if py == "" {
		py = "python3"
		if err := exec.Command(py, "-c", "import flask").Run(); err != nil {
			t.Skipf("python3 with Flask is needed for the quick start with the stand-in Dash: %v", err)
		}
		fake, err := filepath.Abs("../bundler/testdata/fakedash")
		if err != nil {
			t.Fatal(err)
		}
		extra = append(extra, fake)
	}
	out, err := exec.Command(py, "-c", "import site, sys; print(sys.executable); print('\\n'.join(site.getsitepackages()))").Output()
	if err != nil {
		t.Fatalf("%s does not run: %v", py, err)
	}
	f := strings.Fields(string(out))
	if stubs := declaredMissing(t, py); stubs != "" {
		extra = append(extra, stubs)
	}
	return f[0], append(extra, f[1:]...)
}

// notInstalled is how `pip check` reports a declared requirement that is absent.
var notInstalled = regexp.MustCompile(`(?m)^\S+ \S+ requires (\S+), which is not installed\.$`)

// declaredMissing covers for a real-Dash environment assembled without some requirement its Dash declares
// (this machine's Dash 4.3 lacks mcp, which PyPI would bring): pip cannot reach an index here, so the
// venv gets metadata-only stand-ins for those, and the bundle's requirement check passes as it would after
// a real pip install. It returns the folder of stand-ins, or "" when pip check finds nothing missing.
func declaredMissing(t *testing.T, py string) string {
	out, _ := exec.Command(py, "-m", "pip", "check").CombinedOutput()
	missing := notInstalled.FindAllStringSubmatch(string(out), -1)
	if len(missing) == 0 {
		return ""
	}
	dir := t.TempDir()
	for _, m := range missing {
		meta := filepath.Join(dir, m[1]+"-999.dist-info", "METADATA")
		if err := os.MkdirAll(filepath.Dir(meta), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(meta, []byte("Metadata-Version: 2.1\nName: "+m[1]+"\nVersion: 999\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("%s lacks %d requirement(s) its packages declare; stand-ins in %s", py, len(missing), dir)
	return dir
}

// cleanEnv is the test's environment without what would let the quick start pass by accident: an active
// virtual environment, PYTHONPATH, GOBIN (the README's PATH line assumes GOPATH/bin) and this package's
// Go overrides.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		name, _, _ := strings.Cut(kv, "=")
		switch name {
		case "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "GOBIN", "GOPATH", "GOFLAGS", "CONDA_PREFIX":
			continue
		}
		env = append(env, kv)
	}
	return env
}

// copyRepo copies the source tree (not .git, build output or bundles) so the quick start writes nowhere real.
func copyRepo(t *testing.T, from, to string) {
	t.Helper()
	err := filepath.WalkDir(from, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		name := d.Name()
		if d.IsDir() && rel != "." && (name == ".git" || name == "bin" || name == "node_modules" || name == "sdks" ||
			name == ".venv" || strings.HasPrefix(name, ".open-dash")) {
			return filepath.SkipDir
		}
		dst := filepath.Join(to, rel)
		if d.IsDir() {
			return os.MkdirAll(dst, 0o755)
		}
		if !d.Type().IsRegular() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		info, _ := d.Info()
		return os.WriteFile(dst, data, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
}

func get(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(context.Background(), method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(data)
}
