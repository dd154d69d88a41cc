package bundler

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// serverIndexPage renders "/" through the bundle's server function (its handler, the way Lambda calls it)
// with dash imported from site: what a server with its own install of Dash answers.
const serverIndexPage = `
import json, sys
sys.path.insert(0, sys.argv[1])
import opendash_handler as index  # the generated handler, as Lambda imports it
resp = index.handler({"rawPath": "/", "rawQueryString": "", "headers": {"host": "example.com"},
                      "requestContext": {"http": {"method": "GET"}}}, None)
assert resp["statusCode"] == 200, resp
print(resp["body"])
`

// TestIntegrationSameContentOtherTimes bundles examples/single-page with real Dash twice, each time from a
// checkout and an install of Dash with other file times, and runs the server function against a third
// install: the bundles are byte-identical and the server renders the same URLs as the static index page.
func TestIntegrationSameContentOtherTimes(t *testing.T) {
	py := realDash(t)
	dashDir := pythonOutput(t, py, "import dash, os; print(os.path.dirname(dash.__file__))")
	install := func(when time.Time) string {
		site := filepath.Join(t.TempDir(), "site-packages")
		if err := os.CopyFS(filepath.Join(site, "dash"), os.DirFS(dashDir)); err != nil {
			t.Fatal(err)
		}
		touchAll(t, site, when)
		return site
	}
	var first map[string][]byte
	var out string
	for _, when := range []time.Time{time.Unix(1_100_000_000, 0), time.Unix(1_800_000_000, 0)} {
		src := example(t, "single-page")
		touchAll(t, src, when)
		t.Setenv("PYTHONPATH", install(when))
		res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true, NoCache: true})
		if err != nil {
			t.Fatal(err)
		}
		out = res.OutDir
		tree := readBundle(t, out)
		if first == nil {
			first = tree
			continue
		}
		for name, data := range tree {
			if !bytes.Equal(first[name], data) {
				t.Errorf("%s differs between checkouts and installs with other file times", name)
			}
		}
	}

	static := pageURLs(string(first["assets/index.html"]))
	cmd := exec.Command(py, "-c", serverIndexPage, filepath.Join(out, "server-functions", "default"))
	cmd.Env = append(os.Environ(), "PYTHONPATH="+install(time.Unix(1_500_000_000, 0)))
	page, err := cmd.Output()
	if err != nil {
		t.Fatalf("the server function could not render /: %v", err)
	}
	if served := pageURLs(string(page)); !slices.Equal(served, static) {
		t.Errorf("the server function renders other URLs than the static index page:\nserver %v\nstatic %v", served, static)
	}
	if !slices.ContainsFunc(static, func(u string) bool { return strings.Contains(u, "_dash-component-suites/") }) {
		t.Errorf("no component-suite script in the index page: %v", static)
	}
}

// pageURLs lists the same-site script and link URLs of a page, sorted.
func pageURLs(page string) []string {
	var urls []string
	for _, m := range urlAttr.FindAllStringSubmatch(page, -1) {
		if strings.HasPrefix(m[1], "/") && !strings.HasPrefix(m[1], "//") {
			urls = append(urls, m[1])
		}
	}
	slices.Sort(urls)
	return urls
}
