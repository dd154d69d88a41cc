package e2e

import (
	"bytes"
	"context"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/internal/cli"
)

// TestDocsEnvFileBlock runs the shell block of docs/cli.md's "Variables your app reads at import" as written,
// from the folder of an app that reads DATABASE_URL when it is imported (the stand-in Dash, python3): the
// bundle succeeds, holds neither the value nor the env file, and the preview's server function loads the app
// with the variable. Only the port differs (OPENDASH_PREVIEW_PORT=0).
func TestDocsEnvFileBlock(t *testing.T) {
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed for the stand-in Dash: %v", err)
	}
	fake, err := filepath.Abs("../bundler/testdata/fakedash")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", fake)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir())
	t.Setenv("OPENDASH_PREVIEW_PORT", "0")
	t.Setenv("DATABASE_URL", "") // only the env file may give it
	os.Unsetenv("DATABASE_URL")

	lines, err := docsBlock("../docs/cli.md", "### Variables your app reads at import")
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 2 || !strings.HasPrefix(lines[0], "open-dash bundle ") || !strings.HasPrefix(lines[1], "open-dash preview ") {
		t.Fatalf("the block is no longer a bundle and a preview line: %q", lines)
	}

	src := filepath.Join(t.TempDir(), "app")
	if err := os.CopyFS(src, os.DirFS("../bundler/testdata/apps/good")); err != nil {
		t.Fatal(err)
	}
	const secret = "postgresql://app:s3cr3t-value@db.internal/sales"
	appPy := filepath.Join(src, "app.py")
	code, err := os.ReadFile(appPy)
	if err != nil {
		t.Fatal(err)
	}
	code = append([]byte("import os\nENGINE_URL = os.environ[\"DATABASE_URL\"]  # read at import\n"), code...)
	for name, data := range map[string]string{"app.py": string(code), "bundle.env": "DATABASE_URL=" + secret + "\n"} {
		if err := os.WriteFile(filepath.Join(src, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	t.Chdir(src)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr bytes.Buffer
	if code := cli.Run(ctx, shellFields(lines[0])[1:], &stdout, &stderr); code != 0 {
		t.Fatalf("%s: exit %d\n%s", lines[0], code, stderr.String())
	}
	out := filepath.Join(filepath.Dir(src), ".open-dash")
	filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if d.Name() == "bundle.env" {
			t.Errorf("the bundle holds the env file: %s", p)
		}
		if data, _ := os.ReadFile(p); bytes.Contains(data, []byte("s3cr3t-value")) {
			t.Errorf("the bundle holds the variable's value: %s", p)
		}
		return nil
	})

	log := &previewLog{}
	url := runPreview(t, ctx, log, shellFields(lines[1])[2:]...)
	resp, err := http.Get(url + "/api/items/1") // a server route: the app must have loaded with the variable
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /api/items/1 through the server function = %d:\n%s", resp.StatusCode, strings.Join(log.since(0), "\n"))
	}
	all := strings.Join(log.since(0), "\n")
	if !strings.Contains(all, "app loaded") || strings.Contains(all, "KeyError") {
		t.Errorf("the server function did not load the app with the env file's variable:\n%s", all)
	}
}

// docsBlock returns the lines of the first ```sh block after heading in a Markdown page.
func docsBlock(page, heading string) ([]string, error) {
	raw, err := os.ReadFile(page)
	if err != nil {
		return nil, err
	}
	_, after, ok := strings.Cut(string(raw), "\n"+heading+"\n")
	if !ok {
		return nil, &fs.PathError{Op: "find heading " + heading, Path: page, Err: fs.ErrNotExist}
	}
	_, block, ok := strings.Cut(after, "```sh\n")
	if !ok {
		return nil, &fs.PathError{Op: "find a sh block after " + heading, Path: page, Err: fs.ErrNotExist}
	}
	block, _, _ = strings.Cut(block, "```")
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(block), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// shellFields splits a documented command line into its words, without its trailing # comment.
func shellFields(line string) []string {
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	return strings.Fields(line)
}
