package e2e

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/security"
	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/internal/oidctest"
)

// oidcEnv is what a browser test of the OIDC sign-in needs: real Dash, Chromium, Node.js and a fake
// provider whose test certificate the function's fetches trust.
type oidcEnv struct {
	pythons   []dashPython
	chromium  string
	ctx       context.Context
	artifacts string
	provider  *oidctest.Provider
}

func newOIDCEnv(t *testing.T) oidcEnv {
	t.Helper()
	t.Setenv(cache.DirEnv, t.TempDir())
	e := oidcEnv{pythons: dashPythons(t), chromium: findChromium(t)}
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH: the OIDC sign-in function runs on Node.js")
	}
	e.ctx, e.artifacts = testContext(t), artifactDir(t)
	e.provider = oidctest.New(t, "dash-client")
	t.Setenv("NODE_EXTRA_CA_CERTS", e.provider.CAFile)
	return e
}

// TestBrowserOIDC runs `open-dash preview --oidc-issuer ... --oidc-client-id ...` (the component's OIDC
// sign-in function, in Node.js) on the single-page example against a fake provider: anonymous scripts and
// callbacks answer 401; a browser opening the page is sent through the provider's sign-in and back, the app
// renders and its callbacks work with the session cookie; after sign-out the session no longer opens anything.
func TestBrowserOIDC(t *testing.T) {
	e := newOIDCEnv(t)
	pythons, chromium, ctx, artifacts, p := e.pythons, e.chromium, e.ctx, e.artifacts, e.provider
	page := examples[0].pages[0]
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			s, script := previewCLI(t, ctx, py, "single-page", "--oidc-issuer", p.URL, "--oidc-client-id", "dash-client",
				"--oidc-allowed-email-domains", "example.com")
			dir := filepath.Join(artifacts, "dash-"+py.DashVersion, "oidc")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			for _, c := range []struct{ method, path, body string }{
				{"GET", "/" + script, ""},
				{"POST", "/_dash-update-component", `{"output":"graph.figure","inputs":[]}`},
			} {
				start := s.log.mark()
				if status, _ := send(t, ctx, c.method, s.url+c.path, c.body, ""); status != http.StatusUnauthorized {
					t.Errorf("anonymous %s %s: %d, want 401", c.method, c.path, status)
				}
				for _, r := range waitLogged(t, ctx, s.log, start, 1) {
					if r.Origin != "edge" {
						t.Errorf("%s %s answered by %s, want the edge", r.Method, r.URI, r.Origin)
					}
				}
			}

			browser := startBrowser(t, ctx, chromium)
			tb := openTab(t, browser, s.url, pageTimeout)
			// The fake provider's certificate is the test's own.
			if _, err := chromedp.Call(tb.ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+page.path)); err != nil {
				t.Fatalf("loading %s: %v", page.path, err)
			}
			waitAll(t, tb, dir, "signed-in", s.url, page.ready)
			_, netNow := tb.net.since(0)
			next := mark{log: s.log.mark(), net: netNow}
			for _, a := range page.actions {
				if err := a.do(tb); err != nil {
					t.Fatalf("%s: %v; the page shows %s", a.name, err, tb.bodyText())
				}
				waitAll(t, tb, dir, "signed-in-"+a.name, s.url, a.then)
				var reqs []loggedRequest
				reqs, next = settle(t, tb, s.log, next)
				for _, r := range reqs {
					if r.Status >= 400 || r.Origin == "edge" {
						t.Errorf("signed in, %s: %s %s answered %d by %s", a.name, r.Method, r.URI, r.Status, r.Origin)
					}
				}
			}
			tb.screenshot(t, dir, "signed-in")
			if url, err := chromedp.Run(tb.ctx, chromedp.Location()); err != nil || url != s.url+page.path {
				t.Errorf("after sign-in the tab is at %q (%v), want %s", url, err, s.url+page.path)
			}

			// Sign out: the link earlier versions documented leads to the sign-out page, whose button POSTs;
			// then the provider's end-session page, and the session cookie is gone.
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/_opendash/sign-out")); err != nil {
				t.Fatalf("opening the sign-out page: %v", err)
			}
			if url, err := chromedp.Run(tb.ctx, chromedp.Location()); err != nil || url != s.url+"/_opendash-sign-out" {
				t.Errorf("the sign-out link went to %q (%v), want the sign-out page", url, err)
			}
			if err := chromedp.Do(tb.ctx, chromedp.Click(chromedp.CSS("form button"))); err != nil {
				t.Fatalf("clicking Sign out: %v", err)
			}
			// The POST answers 303 to the provider: follow the tab's location (a page being replaced cannot be polled).
			var url string
			for deadline := time.Now().Add(10 * time.Second); !strings.HasPrefix(url, p.URL+"/logout?") && time.Now().Before(deadline); {
				time.Sleep(50 * time.Millisecond)
				url, _ = chromedp.Run(tb.ctx, chromedp.Location())
			}
			if !strings.HasPrefix(url, p.URL+"/logout?") {
				t.Errorf("sign-out went to %q, want the provider's end-session endpoint", url)
			}
			cookies, err := chromedp.Call(tb.ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{s.url}})
			if err != nil {
				t.Fatal(err)
			}
			for _, c := range cookies.Cookies {
				if c.Name == "opendash-session" {
					t.Errorf("the session cookie outlived sign-out: %+v", c)
				}
			}
		})
	}
}

// TestBrowserOIDCIdentity: an app behind `open-dash preview --oidc-*` (the auth.oidc function) reads the
// signed-in user from the X-OpenDash-User-* headers in a callback and shows it; a viewer sending its own
// copies of those headers does not change what the app reads.
func TestBrowserOIDCIdentity(t *testing.T) {
	e := newOIDCEnv(t)
	pythons, chromium, ctx, artifacts, p := e.pythons, e.chromium, e.ctx, e.artifacts, e.provider
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "whoami")
			if err := os.CopyFS(src, os.DirFS(filepath.Join("testdata", "whoami"))); err != nil {
				t.Fatal(err)
			}
			s, _ := previewSource(t, ctx, py, src, "--oidc-issuer", p.URL, "--oidc-client-id", "dash-client",
				"--oidc-allowed-emails", "alice@example.com")
			dir := filepath.Join(artifacts, "dash-"+py.DashVersion, "oidc-identity")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			browser := startBrowser(t, ctx, chromium)
			tb := openTab(t, browser, s.url, pageTimeout)
			if _, err := chromedp.Call(tb.ctx, security.SetIgnoreCertificateErrors, security.SetIgnoreCertificateErrorsParams{Ignore: true}); err != nil {
				t.Fatal(err)
			}
			// Forged identity on every request the tab makes: the edge replaces it with the signed-in user's.
			if _, err := chromedp.Call(tb.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{Headers: network.Headers{
				"X-OpenDash-User-Email": "boss@example.com", "X-OpenDash-User-Groups": "admins"}}); err != nil {
				t.Fatal(err)
			}
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/")); err != nil {
				t.Fatalf("loading /: %v", err)
			}
			waitAll(t, tb, dir, "signed-in", s.url, []cond{
				textIs("#who", "Signed in as alice@example.com (u-1)"), textIs("#groups", "Groups: none")})
			tb.screenshot(t, dir, "signed-in")
		})
	}
}
