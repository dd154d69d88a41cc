package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// envApp reads its settings where a deployed app gets them from `environment` and `secrets`: os.environ,
// inside a callback (the page itself is static: it was rendered when the app was bundled).
const envApp = `import os
import dash


def create_app():
    app = dash.Dash(__name__)
    app.layout = {"type": "Div", "props": {"id": "greeting"}}

    @app.callback("greeting.children", "name.value")
    def greet(name):
        return "%s, %s: %s" % (os.environ["GREETING"], name, os.environ["DATABASE_URL"])

    return app
`

// TestPreviewEnvFile: an app reading variables from os.environ renders them from `preview --env-file`
// files (a later file wins), and the log names the variables, never their values.
func TestPreviewEnvFile(t *testing.T) {
	src := withFakeDash(t)
	if err := os.WriteFile(filepath.Join(src, "app.py"), []byte(envApp), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := run("bundle", "--source", src, "--skip-install", "--quiet"); code != 0 {
		t.Fatalf("bundle: %s", stderr)
	}
	dir := t.TempDir()
	base, local := filepath.Join(dir, ".env"), filepath.Join(dir, ".env.local")
	writeText(t, base, "# shared settings\nGREETING=Hello\nDATABASE_URL=\"postgres://app:s3cr3t-pw@db.internal/app\"\n")
	writeText(t, local, "export GREETING='Bonjour $USER'\n")

	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	var log bytes.Buffer // the preview serialises its writes; read once it has stopped
	done := make(chan int)
	go func() {
		code := Run(ctx, []string{"preview", "--source", src, "--port", "0", "--env-file", base, "--env-file", local}, pw, &log)
		pw.Close()
		done <- code
	}()
	stop := func() { cancel(); <-done }
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Previewing ") {
		stop()
		t.Fatalf("first line %q, %v; log:\n%s", line, err, log.String())
	}
	go io.Copy(io.Discard, pr)
	url := strings.Fields(line)[3]

	body := `{"output":"greeting.children","inputs":[{"id":"name","property":"value","value":"Ada"}]}`
	var got struct {
		Response map[string]map[string]string `json:"response"`
	}
	status := 0
	resp, err := (&http.Client{Timeout: time.Minute}).Post(url+"/_dash-update-component", "application/json", strings.NewReader(body))
	if err == nil {
		status = resp.StatusCode
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
	}
	stop()
	want := "Bonjour $USER, Ada: postgres://app:s3cr3t-pw@db.internal/app"
	if err != nil || status != 200 || got.Response["greeting"]["children"] != want {
		t.Fatalf("callback: %d %+v (%v), want %q; log:\n%s", status, got, err, want, log.String())
	}
	for _, want := range []string{"env file " + base + ": 2 variable(s) for the server function: GREETING, DATABASE_URL",
		"env file " + local + ": 1 variable(s) for the server function: GREETING"} {
		if !strings.Contains(log.String(), want) {
			t.Errorf("the log lacks %q:\n%s", want, log.String())
		}
	}
	if strings.Contains(log.String(), "s3cr3t-pw") {
		t.Errorf("a value reached the log:\n%s", log.String())
	}
}

// TestPreviewEnvFileErrors: a bad file stops the preview before it starts, naming the file and line, never
// a value.
func TestPreviewEnvFileErrors(t *testing.T) {
	dir := t.TempDir()
	tests := []struct{ name, text, want string }{
		{"not NAME=value", "GREETING=hi\ns3cr3t-pw\n", ".env:2: expected NAME=value"},
		{"a name Lambda sets", "AWS_REGION=s3cr3t-pw\n", ".env:1: AWS_REGION is set by Lambda itself"},
		{"OpenDash's own", "OPENDASH_SECRETS=s3cr3t-pw\n", ".env:1: OPENDASH_SECRETS: names starting with OPENDASH_ are OpenDash's own"},
		{"the preview's own", "TMPDIR=s3cr3t-pw\n", ".env:1: TMPDIR is set by the preview itself"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, ".env")
			writeText(t, path, tt.text)
			code, _, stderr := run("preview", "--env-file", path, "--dir", dir)
			if code != 1 || !strings.Contains(stderr, path+tt.want[len(".env"):]) {
				t.Errorf("exit %d, stderr %q; want 1 and %q", code, stderr, tt.want)
			}
			if strings.Contains(stderr, "s3cr3t-pw") {
				t.Errorf("the error shows the value: %q", stderr)
			}
		})
	}
	if code, _, stderr := run("preview", "--env-file", filepath.Join(dir, "none.env")); code != 1 || !strings.Contains(stderr, "none.env") {
		t.Errorf("a missing file: exit %d, %q", code, stderr)
	}
}

func writeText(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}

// importEnvApp connects at import, as apps that build an engine at module level do.
const importEnvApp = `import os
import dash

ENGINE_URL = os.environ["DATABASE_URL"]
app = dash.Dash(__name__)
app.layout = {"type": "Div", "props": {"children": "sales"}}
`

// TestBundleEnvFile: `bundle --env-file` gives an app that reads os.environ at import its variables; the
// progress names them, never a value, and the same file then serves `preview --env-file`.
func TestBundleEnvFile(t *testing.T) {
	src := withFakeDash(t)
	writeText(t, filepath.Join(src, "app.py"), importEnvApp)
	env := filepath.Join(t.TempDir(), "bundle.env")
	const value = "postgres://app:s3cr3t-pw@db.internal/app"
	writeText(t, env, "DATABASE_URL="+value+"\n")

	if code, _, stderr := run("bundle", "--source", src, "--skip-install"); code != 1 || !strings.Contains(stderr, "DATABASE_URL") {
		t.Errorf("without --env-file: exit %d\n%s", code, stderr)
	}
	code, stdout, stderr := run("bundle", "--source", src, "--skip-install", "--env-file", env, "--json")
	if code != 0 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if strings.Contains(stdout+stderr, value) {
		t.Errorf("a value in the output:\n%s\n%s", stdout, stderr)
	}
	code, _, stderr = run("bundle", "--source", src, "--skip-install", "--env-file", env, "--no-cache")
	if code != 0 || !strings.Contains(stderr, "from the env file: DATABASE_URL") || strings.Contains(stderr, value) {
		t.Errorf("exit %d; want the variable named, not its value:\n%s", code, stderr)
	}
}
