package bundler

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler/extract"
)

// TestIntegrationEntryPoints bundles the shapes real apps take with real Dash, then drives the generated
// handler in the bundled server function: it must import exactly the recorded entry point, never start a
// server, and serve the app's layout.
func TestIntegrationEntryPoints(t *testing.T) {
	py := realDash(t)
	tests := []struct {
		fixture, app string
		entry        string // manifest entry, or "" when bundling must fail
		text         string // in the layout the handler serves
		warn         string // in the warnings and in the handler's log
		kind, errMsg string // the failure, when entry is ""
	}{
		{fixture: "module_level", entry: "app:app", text: "module level"},
		{fixture: "runs_at_import", entry: "app:app", text: "runs at import", warn: "app.py:6 calls Dash.run()"},
		{fixture: "factory", app: "app:make_app()", entry: "app:make_app()", text: "from make_app"},
		{fixture: "classic", app: "index:app", entry: "index:app", text: "classic"},
		{fixture: "several", app: "app:second", entry: "app:second", text: "second"},
		{fixture: "package", app: "pkg.dashboard", entry: "pkg.dashboard:app", text: "from a package"},
		{fixture: "classic", kind: "no_layout", errMsg: "--app index:app"},
		{fixture: "several", kind: "several_apps", errMsg: "--app app:first or --app app:second"},
		{fixture: "module_level", app: "app:server", kind: "not_dash", errMsg: "use --app app:app"},
		{fixture: "blocking", kind: "timeout", errMsg: "time.sleep(3600)"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture+" "+tt.app, func(t *testing.T) {
			src := fixture(t, tt.fixture)
			res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true,
				App: tt.app, Timeout: 3 * time.Second})
			if tt.entry == "" {
				var appErr *extract.AppError
				if !errors.As(err, &appErr) || appErr.Kind != tt.kind || !strings.Contains(err.Error(), tt.errMsg) {
					t.Fatalf("error = %v, want %s mentioning %q", err, tt.kind, tt.errMsg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Manifest.App.Entry.String(); got != tt.entry {
				t.Errorf("entry = %s, want %s", got, tt.entry)
			}
			if tt.warn != "" && !strings.Contains(strings.Join(res.Manifest.Warnings, "\n"), tt.warn) {
				t.Errorf("manifest warnings lack %q: %q", tt.warn, res.Manifest.Warnings)
			}
			resp, log := invokeHandler(t, py, res, "/_dash-layout")
			if resp.StatusCode != 200 || !strings.Contains(resp.Body, tt.text) {
				t.Errorf("handler answered %d %q, want 200 with %q; log:\n%s", resp.StatusCode, resp.Body, tt.text, log)
			}
			if !strings.Contains(log, "app loaded in") || !strings.Contains(log, "("+tt.entry+")") {
				t.Errorf("handler log lacks the load line for %s:\n%s", tt.entry, log)
			}
			if tt.warn != "" && !strings.Contains(log, tt.warn) {
				t.Errorf("handler log lacks %q:\n%s", tt.warn, log)
			}
		})
	}
}

type handlerResponse struct {
	StatusCode int    `json:"statusCode"`
	Body       string `json:"body"`
}

// invokeHandler imports the bundle's handler as Lambda does (task root first on sys.path) and sends one
// GET; it returns the response and what the handler logged.
func invokeHandler(t *testing.T, py string, res *Result, path string) (handlerResponse, string) {
	t.Helper()
	m := res.Manifest
	module := strings.TrimSuffix(m.Origins.Server.Handler, ".handler")
	code := `import json, os, sys
sys.path.insert(0, os.getcwd())
import ` + module + ` as h
event = {"version": "2.0", "rawPath": sys.argv[1], "rawQueryString": "", "headers": {"host": "x.example"},
         "requestContext": {"http": {"method": "GET"}}}
print(json.dumps(h.handler(event, None)))
`
	cmd := exec.Command(py, "-c", code, path)
	cmd.Dir = filepath.Join(res.OutDir, filepath.FromSlash(m.Origins.Server.Dir))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("the handler failed: %v\n%s", err, stderr.String())
	}
	var resp handlerResponse
	if err := json.Unmarshal(out, &resp); err != nil {
		t.Fatalf("handler output is not a response: %v\n%s", err, out)
	}
	return resp, stderr.String()
}
