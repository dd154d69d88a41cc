package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/preview"
)

// pageTimeout bounds everything done with one page: load, interactions, checks.
const pageTimeout = 60 * time.Second

// pageCase is one page of an example app loaded directly by its URL (a deep link).
type pageCase struct {
	name string // subtest and screenshot name
	path string
	// docOrigin is who answers the page's own GET: s3 for the pages the bundler pre-renders, the server for
	// pages with path variables and unknown paths (Dash renders those per request).
	docOrigin string
	ready     []cond   // the page has loaded and its initial callbacks ran
	actions   []action // then, in order
}

var examples = []struct {
	name  string
	app   string // --app; "" for the default
	pages []pageCase
}{
	{"single-page", "", []pageCase{{
		name: "index", path: "/", docOrigin: originS3,
		ready: []cond{
			shown("#graph svg.main-svg"),
			textHas("#graph .gtitle", "Lisbon"), // the figure; its initial callback answers the same
			shown("#table .dash-spreadsheet"),
			textIs("#table td", "Lisbon"),
			textIs("#table td", "Oslo"),
			textIs("#echo", "not clicked"),
		},
		actions: []action{
			{name: "dropdown-oslo", do: pickDropdownOption("city", "Oslo"), then: []cond{
				textHas("#graph .gtitle", "Oslo"), // the server callback ran
				textIs("#city", "Oslo"),
			}},
			{name: "shout", do: click("#shout"), then: []cond{
				textIs("#echo", "clicked 1 times"), // the clientside callback ran
			}},
		},
	}}},
	{"pages", "", []pageCase{
		{name: "home", path: "/", docOrigin: originS3, ready: []cond{
			textIs("h1", "Home"), shown("#home-text"), shown(".nav a"), titleIs("Home"),
		}, actions: []action{
			// A dcc.Link navigates in the page: the router callback renders the page, nothing is loaded.
			{name: "link-report-42", do: click(`.nav a[href="/report/42"]`), then: []cond{
				textIs("#report-title", "Report 42"), titleIs("Report"),
			}},
		}},
		{name: "analytics", path: "/analytics", docOrigin: originS3, ready: []cond{
			textIs("h1", "Analytics"), textIs("#analytics-output", "3 squared is 9"), titleIs("Analytics"),
		}},
		{name: "reports-annual", path: "/reports/annual", docOrigin: originS3, ready: []cond{
			textIs("h1", "Annual report"), shown("#annual-text"), titleIs("Annual report"),
		}},
		{name: "report-42", path: "/report/42", docOrigin: originServer, ready: []cond{
			textIs("#report-title", "Report 42"), titleIs("Report"),
		}},
		{name: "not-found", path: "/no/such/page", docOrigin: originServer, ready: []cond{
			textIs("#not-found", "Nothing here"),
		}},
	}},
	// The classic layout: index.py sets the layout of app.py's app and routes with dcc.Location. Deep
	// links are Dash's catch-all (the server renders the index page), the routing callback draws the page.
	{"classic", "index:app", []pageCase{
		{name: "home", path: "/", docOrigin: originS3, ready: []cond{
			textIs("h1", "Home"), shown("#home-text"), titleIs("OpenDash classic"),
		}, actions: []action{
			{name: "link-sales", do: click(`.nav a[href="/sales"]`), then: []cond{
				textIs("h1", "Sales"), textIs("#sales-total", "North: 120 units"),
			}},
			{name: "region-south", do: pickDropdownOption("region", "South"), then: []cond{
				textIs("#sales-total", "South: 80 units"),
			}},
		}},
		{name: "sales-deep-link", path: "/sales", docOrigin: originServer, ready: []cond{
			textIs("h1", "Sales"), textIs("#sales-total", "North: 120 units"),
		}},
		{name: "not-found", path: "/nowhere", docOrigin: originServer, ready: []cond{
			textIs("#not-found", "No page at /nowhere"),
		}},
	}},
}

// TestBrowserExamples bundles each example with a real Dash, serves the bundle with the preview (routed as
// CloudFront would) and loads its pages in headless Chromium: the pages render and react, nothing the browser
// asks for is missing, and loading a page costs the server function nothing but Dash's callback POSTs.
func TestBrowserExamples(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir()) // bundle records stay out of the user's cache folder
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	artifacts := artifactDir(t)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			browser := startBrowser(t, ctx, chromium)
			for _, ex := range examples {
				t.Run(ex.name, func(t *testing.T) {
					s := serveExampleApp(t, ctx, py, ex.name, ex.app)
					dir := filepath.Join(artifacts, "dash-"+py.DashVersion, ex.name)
					if err := os.MkdirAll(dir, 0o755); err != nil {
						t.Fatal(err)
					}
					for _, pc := range ex.pages {
						t.Run(pc.name, func(t *testing.T) { checkPage(t, browser, s, pc, dir) })
					}
				})
			}
		})
	}
}

// site is a bundled example served by the preview.
type site struct {
	url string
	log *previewLog
}

// serveExample bundles a copy of examples/name with py's Dash and serves it on a free port until the test ends.
func serveExample(t *testing.T, ctx context.Context, py dashPython, name string) *site {
	t.Helper()
	return serveExampleWith(t, ctx, py, name, "", preview.OriginAuthEdge)
}

// serveExampleApp is serveExample with an entry point (--app; "" for the default).
func serveExampleApp(t *testing.T, ctx context.Context, py dashPython, name, app string) *site {
	t.Helper()
	return serveExampleWith(t, ctx, py, name, app, preview.OriginAuthEdge)
}

// serveExampleAuth is serveExample with the preview answering like the given originAuth.
func serveExampleAuth(t *testing.T, ctx context.Context, py dashPython, name, originAuth string) *site {
	t.Helper()
	return serveExampleWith(t, ctx, py, name, "", originAuth)
}

// serveExampleWith bundles examples/name with an entry point (--app; "" for the default) and previews it
// answering like the given originAuth.
func serveExampleWith(t *testing.T, ctx context.Context, py dashPython, name, app, originAuth string) *site {
	t.Helper()
	src := copyExample(t, name)
	bundleCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	res, err := bundler.Bundle(bundleCtx, bundler.Options{SourceDir: src, Python: py.Path, SkipInstall: true,
		OutDir: filepath.Join(filepath.Dir(src), bundler.OutputDirName), App: app})
	if err != nil {
		t.Fatalf("bundling %s with %s (Dash %s): %v", name, py.Path, py.DashVersion, err)
	}
	log := &previewLog{}
	srv, err := preview.Start(ctx, preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Python: py.Path, Log: log,
		OriginAuth: originAuth})
	if err != nil {
		t.Fatalf("previewing %s: %v", res.OutDir, err)
	}
	t.Cleanup(func() {
		srv.Close()
		// The worker loads the app when it starts, as a Lambda instance does, and says how long it took.
		if logged := strings.Join(log.since(0), "\n"); !strings.Contains(logged, "app loaded in") {
			t.Errorf("the preview log never says `app loaded in`:\n%s", tail(log.since(0), 40))
		}
		if t.Failed() {
			t.Logf("preview log:\n%s", tail(log.since(0), 150))
		}
	})
	return &site{url: srv.URL(), log: log}
}

// checkPage loads one page in a fresh tab, waits for it to render, checks where every request went, runs the
// page's actions and checks again. The phases (load, each action) follow each other without a gap, so every
// request of the visit is checked. Screenshots go to dir.
func checkPage(t *testing.T, browser context.Context, s *site, pc pageCase, dir string) {
	tb := openTab(t, browser, s.url, pageTimeout)
	url := s.url + pc.path
	start := mark{log: s.log.mark()}

	if err := chromedp.Do(tb.ctx, chromedp.Navigate(url)); err != nil {
		t.Fatalf("loading %s: %v", url, err)
	}
	waitAll(t, tb, dir, pc.name, url, pc.ready)
	load, next := settle(t, tb, s.log, start)
	tb.screenshot(t, dir, pc.name)

	// Loading the page: every GET from S3 (the document from docOrigin), nothing else but callback POSTs.
	tr := checkRequests(load, pc.path, pc.docOrigin)
	for _, p := range tr.problems {
		t.Errorf("loading %s: %s", url, p)
	}
	if tr.posts == 0 {
		t.Errorf("loading %s: no callback reached the server function, want Dash's initial callbacks", url)
	}
	t.Logf("loading %s: %d GETs, %d callback POSTs, %d problems", pc.path, tr.gets, tr.posts, len(tr.problems))

	for _, a := range pc.actions {
		if err := a.do(tb); err != nil {
			tb.screenshot(t, dir, pc.name+"-"+a.name+"-failed")
			t.Fatalf("%s on %s: %v; the page shows: %s", a.name, url, err, tb.bodyText())
		}
		waitAll(t, tb, dir, pc.name+"-"+a.name, url, a.then)
		var reqs []loggedRequest
		reqs, next = settle(t, tb, s.log, next)
		tb.screenshot(t, dir, pc.name+"-"+a.name)
		tr := checkRequests(reqs, "", "")
		for _, p := range tr.problems {
			t.Errorf("%s on %s: %s", a.name, url, p)
		}
		t.Logf("%s: %d GETs, %d callback POSTs, %d problems", a.name, tr.gets, tr.posts, len(tr.problems))
	}
	// Whatever came after the last phase (nothing, normally).
	rest, _ := settle(t, tb, s.log, next)
	for _, p := range checkRequests(rest, "", "").problems {
		t.Errorf("after the checks on %s: %s", url, p)
	}

	// What the browser saw, including anything off the preview's origin.
	if f := tb.net.failures(); len(f) > 0 {
		t.Errorf("%s: %d request(s) failed:\n  %s", url, len(f), strings.Join(f, "\n  "))
	}
	if ex := tb.net.uncaught(); len(ex) > 0 {
		t.Errorf("%s: uncaught JavaScript exceptions:\n  %s", url, strings.Join(ex, "\n  "))
	}
}

// waitAll waits for each condition in turn; on a timeout it keeps a screenshot and stops the test.
func waitAll(t *testing.T, tb *tab, dir, name, url string, conds []cond) {
	t.Helper()
	for _, c := range conds {
		if err := tb.waitFor(c.js); err != nil {
			tb.screenshot(t, dir, name+"-failed")
			t.Fatalf("%s: waiting until %s: %v\nthe page shows: %s\nfailed requests: %q", url, c.what, err, tb.bodyText(), tb.net.failures())
		}
	}
}

// mark is a position in both records of a visit: the preview's log and the tab's requests.
type mark struct {
	log, net int
}

// settle waits until every request the tab sent to the preview since from has its answer and the preview has
// logged exactly those requests since from, and returns the logged ones and where the next phase starts. It is
// how a phase ends without a sleep: when it returns, nothing of the phase is still on its way.
func settle(t *testing.T, tb *tab, log *previewLog, from mark) ([]loggedRequest, mark) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		// The browser's record first: a request the preview logs after this snapshot cannot be in it.
		sentReqs, netNext := tb.net.since(from.net)
		logged, logNext := log.requestsSince(from.log)
		var sent, pending, answered []string
		for _, r := range sentReqs {
			uri, ok := tb.net.uri(r)
			switch {
			case !ok:
			case !r.Done:
				pending = append(pending, r.Method+" "+uri)
			case r.Status != 0: // answered; a request that failed before reaching the preview has no status
				sent = append(sent, r.Method+" "+uri)
			}
		}
		for _, r := range logged {
			answered = append(answered, r.Method+" "+r.URI)
		}
		diff := sameRequests(sent, answered)
		if len(pending) == 0 && diff == "" {
			return logged, mark{log: logNext, net: netNext}
		}
		select {
		case <-tick.C:
		case <-tb.ctx.Done():
			t.Fatalf("requests did not settle: %v; still pending: %q; %s", tb.ctx.Err(), pending, diff)
		}
	}
}

// tail is the last n lines, joined.
func tail(lines []string, n int) string {
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("… %d lines before", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
