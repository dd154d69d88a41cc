package e2e

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler/cache"
)

// TestBrowserProtected loads examples/protected (basic auth in a before_request hook) through the preview in
// headless Chromium. Without credentials the app answers 401 itself; with an Authorization header on every
// request the page renders, its callbacks answer, Dash's scripts come from S3 and everything the app protects
// (the page, layout, dependencies, assets, Flask static files) from the server function, never from S3.
func TestBrowserProtected(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	artifacts := artifactDir(t)
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("admin:s3cret"))
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			browser := startBrowser(t, ctx, chromium)
			s := serveExample(t, ctx, py, "protected")
			dir := filepath.Join(artifacts, "dash-"+py.DashVersion, "protected")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}

			anon := openTab(t, browser, s.url, pageTimeout)
			start := s.log.mark()
			// Headless Chromium has nobody to ask for the password: it ends the navigation with this error.
			resp, err := chromedp.RunResponse(anon.ctx, chromedp.Navigate(s.url+"/"))
			if err != nil && !strings.Contains(err.Error(), "ERR_INVALID_AUTH_CREDENTIALS") {
				t.Fatalf("loading / anonymously: %v", err)
			}
			if err == nil && resp.Status != 401 {
				t.Errorf("anonymous GET / answered %d, want 401 from the app", resp.Status)
			}
			reqs, _ := settle(t, anon, s.log, mark{log: start})
			if len(reqs) != 1 || reqs[0].URI != "/" || reqs[0].Origin != originServer || reqs[0].Status != 401 {
				t.Errorf("anonymous visit: preview answered %+v, want only GET / 401 by the server", reqs)
			}

			tb := openTab(t, browser, s.url, pageTimeout)
			if _, err := chromedp.Call(tb.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Authorization": auth}}); err != nil {
				t.Fatal(err)
			}
			start = s.log.mark()
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/")); err != nil {
				t.Fatalf("loading / with credentials: %v", err)
			}
			waitAll(t, tb, dir, "signed-in", s.url, []cond{
				textIs("h1", "Board figures (confidential)"),
				textIs("#revenue", "Q1 revenue: 1.21 M EUR"), // the initial callback answered
			})
			if err := pickDropdownOption("quarter", "Q4")(tb); err != nil {
				t.Fatalf("picking Q4: %v; the page shows %s", err, tb.bodyText())
			}
			waitAll(t, tb, dir, "signed-in-q4", s.url, []cond{textIs("#revenue", "Q4 revenue: 1.76 M EUR")})
			reqs, _ = settle(t, tb, s.log, mark{log: start})
			tb.screenshot(t, dir, "signed-in")

			fromServer := map[string]bool{}
			for _, r := range reqs {
				switch {
				case r.Status >= 400:
					t.Errorf("%s %s answered %d by %s", r.Method, r.URI, r.Status, r.Origin)
				case strings.HasPrefix(r.Path(), "/_dash-component-suites/") || strings.HasPrefix(r.Path(), "/_opendash/"):
					if r.Origin != originS3 {
						t.Errorf("%s %s answered by %s: library code (Dash's, OpenDash's body-hash script) belongs on S3",
							r.Method, r.URI, r.Origin)
					}
				case r.Origin != originServer:
					t.Errorf("%s %s answered by %s: the app protects it, only the server may answer", r.Method, r.URI, r.Origin)
				default:
					fromServer[r.Method+" "+r.Path()] = true
				}
			}
			for _, want := range []string{"GET /", "GET /_dash-layout", "GET /_dash-dependencies", "GET /assets/style.css",
				"GET /static/seal.svg", "POST /_dash-update-component"} {
				if !fromServer[want] {
					t.Errorf("%s: not answered by the server function during the visit", want)
				}
			}
			if f := tb.net.failures(); len(f) > 0 {
				t.Errorf("%d request(s) failed:\n  %s", len(f), strings.Join(f, "\n  "))
			}
		})
	}
}
