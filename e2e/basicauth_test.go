package e2e

import (
	"bufio"
	"context"
	"encoding/base64"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/internal/cli"
	"github.com/opendash/opendash/manifest"
)

// TestBrowserBasicAuth runs `open-dash preview --basic-auth alice:<password>` on the single-page example (the same
// viewer-request CloudFront Function code the component deploys with auth.basic, run in goja): anonymous
// requests for the page, a component script on S3 and a callback all answer 401 at the edge; with the
// Authorization header on every request the app renders and its callbacks work.
func TestBrowserBasicAuth(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	artifacts := artifactDir(t)
	const credentials = "alice:correct-horse-battery" // 16 characters at least, as the component wants
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte(credentials))
	page := examples[0].pages[0] // single-page: a graph, a dropdown, a table, server and clientside callbacks
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			s, script := previewCLI(t, ctx, py, "single-page", "--basic-auth", credentials)
			dir := filepath.Join(artifacts, "dash-"+py.DashVersion, "basic-auth")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}

			// Anonymous: the page, a component script (an S3 file) and a callback, all refused at the edge.
			for _, c := range []struct{ method, path, body, authorization string }{
				{"GET", "/", "", ""},
				{"GET", "/" + script, "", ""},
				{"POST", "/_dash-update-component", `{"output":"graph.figure","inputs":[]}`, ""},
				{"GET", "/" + script, "", "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wrong"))},
			} {
				start := s.log.mark()
				status, wwwAuth := send(t, ctx, c.method, s.url+c.path, c.body, c.authorization)
				if status != 401 || !strings.HasPrefix(wwwAuth, "Basic realm=") {
					t.Errorf("%s %s (authorization %q): %d, WWW-Authenticate %q; want 401 with a Basic challenge", c.method, c.path, c.authorization, status, wwwAuth)
				}
				for _, r := range waitLogged(t, ctx, s.log, start, 1) {
					if r.Origin != "edge" {
						t.Errorf("%s %s answered by %s, want the edge (the viewer-request function)", r.Method, r.URI, r.Origin)
					}
				}
			}
			if status, _ := send(t, ctx, "GET", s.url+"/"+script, "", auth); status != 200 {
				t.Errorf("GET /%s with alice's credentials: %d, want 200", script, status)
			}

			browser := startBrowser(t, ctx, chromium)
			anon := openTab(t, browser, s.url, pageTimeout)
			resp, err := chromedp.RunResponse(anon.ctx, chromedp.Navigate(s.url+"/"))
			// Headless Chromium has nobody to ask for the password: it ends the navigation with this error.
			if err != nil && !strings.Contains(err.Error(), "ERR_INVALID_AUTH_CREDENTIALS") {
				t.Fatalf("loading / anonymously: %v", err)
			}
			if err == nil && resp.Status != 401 {
				t.Errorf("anonymous GET / in the browser answered %d, want 401", resp.Status)
			}

			tb := openTab(t, browser, s.url, pageTimeout)
			if _, err := chromedp.Call(tb.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
				Headers: network.Headers{"Authorization": auth}}); err != nil {
				t.Fatal(err)
			}
			start := mark{log: s.log.mark()}
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+page.path)); err != nil {
				t.Fatalf("loading / with credentials: %v", err)
			}
			waitAll(t, tb, dir, "signed-in", s.url, page.ready)
			reqs, next := settle(t, tb, s.log, start)
			for _, a := range page.actions {
				if err := a.do(tb); err != nil {
					t.Fatalf("%s: %v; the page shows %s", a.name, err, tb.bodyText())
				}
				waitAll(t, tb, dir, "signed-in-"+a.name, s.url, a.then)
				var more []loggedRequest
				more, next = settle(t, tb, s.log, next)
				reqs = append(reqs, more...)
			}
			tb.screenshot(t, dir, "signed-in")
			posts := 0
			for _, r := range reqs {
				if r.Status >= 400 || r.Origin == "edge" {
					t.Errorf("signed in: %s %s answered %d by %s", r.Method, r.URI, r.Status, r.Origin)
				}
				if r.Method == "POST" && r.Origin == originServer {
					posts++
				}
			}
			if posts == 0 {
				t.Error("signed in: no callback reached the server function")
			}
			if f := tb.net.failures(); len(f) > 0 {
				t.Errorf("%d request(s) failed:\n  %s", len(f), strings.Join(f, "\n  "))
			}
		})
	}
}

// previewCLI bundles a copy of examples/name and serves it with `open-dash preview` and flags (the CLI
// in-process) until the test ends; it returns the site and one component script's S3 key.
func previewCLI(t *testing.T, ctx context.Context, py dashPython, name string, flags ...string) (*site, string) {
	t.Helper()
	return previewSource(t, ctx, py, copyExample(t, name), flags...)
}

// previewSource is previewCLI for the app folder src (a copy: the bundle is written beside it).
func previewSource(t *testing.T, ctx context.Context, py dashPython, src string, flags ...string) (*site, string) {
	t.Helper()
	name := filepath.Base(src)
	out := filepath.Join(filepath.Dir(src), bundler.OutputDirName)
	res, err := bundler.Bundle(ctx, bundler.Options{SourceDir: src, Python: py.Path, SkipInstall: true, OutDir: out})
	if err != nil {
		t.Fatalf("bundling %s with Dash %s: %v", name, py.DashVersion, err)
	}
	var script string
	for _, f := range res.Manifest.Files {
		if strings.HasPrefix(f.Key, "_dash-component-suites/") && strings.HasSuffix(f.Key, ".js") {
			script = f.Key
			break
		}
	}
	if b := res.Manifest.Route("/" + script); script == "" || b.Origin != manifest.OriginS3 {
		t.Fatalf("the bundle has no component script on S3 (found %q)", script)
	}

	log := &previewLog{}
	stdoutR, stdoutW := io.Pipe()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		args := append([]string{"preview", "--dir", out, "--port", "0", "--python", py.Path}, flags...)
		done <- cli.Run(runCtx, args, stdoutW, log)
		stdoutW.Close()
	}()
	t.Cleanup(func() {
		stop()
		<-done
		if t.Failed() {
			t.Logf("preview log:\n%s", tail(log.since(0), 150))
		}
	})
	// "Previewing DIR at URL (Ctrl-C stops)" once it listens with the worker up.
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	go io.Copy(io.Discard, stdoutR)
	url := regexp.MustCompile(`at (http://\S+)`).FindStringSubmatch(line)
	if err != nil || url == nil {
		t.Fatalf("open-dash preview printed %q (%v); log:\n%s", line, err, tail(log.since(0), 50))
	}
	return &site{url: url[1], log: log}, script
}

// send makes one request without a browser and returns its status and WWW-Authenticate header.
func send(t *testing.T, ctx context.Context, method, url, body, authorization string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if authorization != "" {
		req.Header.Set("Authorization", authorization)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode, resp.Header.Get("WWW-Authenticate")
}

// waitLogged waits for n request lines after from (the preview logs a request once it has answered it).
func waitLogged(t *testing.T, ctx context.Context, log *previewLog, from, n int) []loggedRequest {
	t.Helper()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		if reqs, _ := log.requestsSince(from); len(reqs) >= n {
			return reqs
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			t.Fatalf("the preview logged no request: %v", ctx.Err())
		}
	}
}
