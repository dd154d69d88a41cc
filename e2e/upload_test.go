package e2e

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
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

// TestBrowserUploadOriginAuth uploads files through dcc.Upload in Chromium against the preview in both
// originAuth modes: behind OAC (the page's body-hash script must hash each callback POST, or the preview
// answers 403 as Lambda would) a 3 MB file reaches the callback; behind the edge signer the same upload is
// refused with its 413 and a 300 kB one works.
func TestBrowserUploadOriginAuth(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	files := t.TempDir()
	big, bigSum := writeUpload(t, files, "big.bin", 3*1024*1024)
	small, smallSum := writeUpload(t, files, "small.bin", 300*1024)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			dir := bundleUploadApp(t, ctx, py)
			browser := startBrowser(t, ctx, chromium)
			tests := []struct {
				name, mode, file, sum string
				size                  int
				wantStatus            int
				wantOrigin            string
			}{
				{"oac-3MB", preview.OriginAuthOAC, big, bigSum, 3 * 1024 * 1024, 200, "server"},
				{"oac-300kB", preview.OriginAuthOAC, small, smallSum, 300 * 1024, 200, "server"},
				{"edge-3MB", preview.OriginAuthEdge, big, bigSum, 3 * 1024 * 1024, 413, "edge"},
				{"edge-300kB", preview.OriginAuthEdge, small, smallSum, 300 * 1024, 200, "server"},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					s := previewBundle(t, ctx, py, dir, tt.mode)
					tb := openTab(t, browser, s.url, pageTimeout)
					if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/")); err != nil {
						t.Fatal(err)
					}
					if err := tb.waitFor(textIs("#result", "no file").js); err != nil {
						t.Fatalf("the upload page did not render: %v; it shows %s", err, tb.bodyText())
					}
					start := s.log.mark()
					if err := chromedp.Do(tb.ctx, chromedp.SetUploadFiles(chromedp.CSS(`#upload input[type="file"]`),
						[]string{tt.file})); err != nil {
						t.Fatalf("choosing %s: %v", tt.file, err)
					}
					post := waitCallback(t, tb, s.log, start)
					if post.Status != tt.wantStatus || post.Origin != tt.wantOrigin {
						t.Fatalf("the upload's callback POST: %s, want status %d from %s; log:\n%s", post.Line,
							tt.wantStatus, tt.wantOrigin, tail(s.log.since(start), 20))
					}
					if tt.wantStatus != 200 {
						if got, _ := evalIn[string](tb, `document.querySelector("#result").textContent`); got != "no file" {
							t.Errorf("a refused upload changed the page: %q", got)
						}
						return
					}
					want := fmt.Sprintf("received %s: %d bytes, sha256 %s", filepath.Base(tt.file), tt.size, tt.sum[:16])
					if err := tb.waitFor(textIs("#result", want).js); err != nil {
						t.Fatalf("waiting for %q: %v; the page shows %s", want, err, tb.bodyText())
					}
				})
			}
		})
	}
}

// TestBrowserExamplesOAC runs the examples' page checks against the preview answering like originAuth "oac":
// every callback of every page (Dash Pages' router included) carries the body hash Lambda requires.
func TestBrowserExamplesOAC(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	artifacts := artifactDir(t)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			browser := startBrowser(t, ctx, chromium)
			for _, ex := range examples {
				t.Run(ex.name, func(t *testing.T) {
					s := serveExampleWith(t, ctx, py, ex.name, ex.app, preview.OriginAuthOAC)
					dir := filepath.Join(artifacts, "oac-dash-"+py.DashVersion, ex.name)
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

// writeUpload writes size deterministic, incompressible-looking bytes and returns the path and their SHA-256.
func writeUpload(t *testing.T, dir, name string, size int) (string, string) {
	t.Helper()
	data := make([]byte, 0, size+sha256.Size)
	block := sha256.Sum256([]byte(name))
	for len(data) < size {
		data = append(data, block[:]...)
		block = sha256.Sum256(block[:])
	}
	data = data[:size]
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	return path, hex.EncodeToString(sum[:])
}

// bundleUploadApp bundles a copy of testdata/upload with py's Dash and returns the bundle folder.
func bundleUploadApp(t *testing.T, ctx context.Context, py dashPython) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), "upload")
	if err := os.CopyFS(src, os.DirFS(filepath.Join("testdata", "upload"))); err != nil {
		t.Fatal(err)
	}
	bundleCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	res, err := bundler.Bundle(bundleCtx, bundler.Options{SourceDir: src, Python: py.Path, SkipInstall: true,
		OutDir: filepath.Join(filepath.Dir(src), bundler.OutputDirName)})
	if err != nil {
		t.Fatalf("bundling testdata/upload with %s (Dash %s): %v", py.Path, py.DashVersion, err)
	}
	return res.OutDir
}

// previewBundle serves dir with the given origin auth mode until the test ends.
func previewBundle(t *testing.T, ctx context.Context, py dashPython, dir, mode string) *site {
	t.Helper()
	log := &previewLog{}
	srv, err := preview.Start(ctx, preview.Options{Dir: dir, Addr: "127.0.0.1:0", Python: py.Path, Log: log, OriginAuth: mode})
	if err != nil {
		t.Fatalf("previewing %s: %v", dir, err)
	}
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("preview log:\n%s", tail(log.since(0), 60))
		}
	})
	return &site{url: srv.URL(), log: log}
}

// waitCallback waits until the preview has answered a callback POST logged after mark and returns it.
func waitCallback(t *testing.T, tb *tab, log *previewLog, mark int) loggedRequest {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		reqs, _ := log.requestsSince(mark)
		for _, r := range reqs {
			if r.Method == "POST" && strings.HasSuffix(r.Path(), "/_dash-update-component") {
				return r
			}
		}
		select {
		case <-tick.C:
		case <-tb.ctx.Done():
			t.Fatalf("no callback POST reached the preview: %v; the page shows %s", tb.ctx.Err(), tb.bodyText())
		}
	}
}
