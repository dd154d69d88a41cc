package bundler

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
)

// A Dash app behind a path-rewriting proxy: browsers request /public/app/..., Flask listens on /app/....
// CloudFront plus the server function are that proxy, so the bundle must serve both sides.
const prefixedApp = `
import dash
from dash import Input, Output, dcc, html


def create_app():
    app = dash.Dash(__name__, requests_pathname_prefix="/public/app/", routes_pathname_prefix="/app/")
    app.layout = html.Div([dcc.Input(id="n", value="4"), html.Div(id="out")])

    @app.callback(Output("out", "children"), Input("n", "value"))
    def square(n):
        return str(int(n) ** 2)

    return app
`

func TestIntegrationPrefixes(t *testing.T) {
	py := realDash(t)
	src := filepath.Join(t.TempDir(), "prefixed")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "app.py"), []byte(prefixedApp), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	m := res.Manifest
	for _, key := range []string{"public/app/", "public/app/_dash-layout", "public/app/_dash-component-suites/dash/dcc/async-dropdown.js"} {
		if _, ok := m.FileForKey(key); !ok {
			t.Errorf("no static file for /%s", key)
		}
		if b := m.Route("/" + key); b.Origin != manifest.OriginS3 {
			t.Errorf("/%s routed to %s", key, b.Origin)
		}
	}
	if _, err := os.Stat(filepath.Join(res.OutDir, ServerDir, serverfn.PrefixFile)); err != nil {
		t.Fatalf("the server function lacks %s: %v", serverfn.PrefixFile, err)
	}

	// The callback, requested under the browser's prefix, reaches the app's Flask route through index.py.
	srv, err := preview.Start(context.Background(), preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Python: py})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	body := `{"output":"out.children","outputs":{"id":"out","property":"children"},` +
		`"inputs":[{"id":"n","property":"value","value":"7"}],"changedPropIds":["n.value"]}`
	resp, err := http.Post(srv.URL()+"/public/app/_dash-update-component", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || !strings.Contains(string(got), `"49"`) {
		t.Fatalf("callback under the requests prefix: %d %s", resp.StatusCode, got)
	}
}
