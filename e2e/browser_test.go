package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// findChromium returns the browser to drive: $OPENDASH_CHROMIUM, else chromium, chromium-browser or
// google-chrome on PATH. It skips when there is none.
func findChromium(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("OPENDASH_CHROMIUM"); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			t.Fatalf("OPENDASH_CHROMIUM=%s: %v; point it at a Chromium or Chrome executable", p, err)
		}
		return path
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("no Chromium found: install it (Debian: apt-get install -y chromium) or set OPENDASH_CHROMIUM to a Chromium or Chrome executable")
	return ""
}

// lockedBuffer collects the browser's own output for failure messages.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startBrowser starts a headless Chromium with a fresh profile and returns a context for its tabs; the browser
// stops when the test ends. The flags keep it off the network: without them Chromium here tries to reach
// Google's services and fails.
func startBrowser(t *testing.T, ctx context.Context, execPath string) context.Context {
	t.Helper()
	output := &lockedBuffer{}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(execPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("hide-scrollbars", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 1000),
		chromedp.CombinedOutput(output),
	)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
	})
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting %s: %v\n%s", execPath, err, output.String())
	}
	return browserCtx
}

// tab is one browser tab with its network recorder; every page check gets a fresh one.
type tab struct {
	ctx  context.Context // bounded: everything a page check does with the page
	life context.Context // the tab's own context, for diagnostics after ctx ran out
	net  *netRecorder
}

// openTab opens a tab that records its network events from its first command on, with the HTTP cache off so
// every load asks the preview again (a cached file would hide where it comes from). Page work on it stops after
// timeout; the tab closes when the test ends.
func openTab(t *testing.T, browserCtx context.Context, origin string, timeout time.Duration) *tab {
	t.Helper()
	rec := newNetRecorder(origin)
	life, closeTab := chromedp.NewContext(browserCtx, chromedp.WithListener(rec.handle))
	t.Cleanup(closeTab)
	// The first command attaches the tab for the life of the context it gets, so not the bounded one.
	if _, err := chromedp.Call(life, network.SetCacheDisabled, network.SetCacheDisabledParams{CacheDisabled: true}); err != nil {
		t.Fatalf("opening a tab: %v", err)
	}
	ctx, cancel := context.WithTimeout(life, timeout)
	t.Cleanup(cancel)
	return &tab{ctx: ctx, life: life, net: rec}
}

// diagnostics is a short context for screenshots and failure messages, usable after ctx ran out.
func (tb *tab) diagnostics() (context.Context, context.CancelFunc) {
	return context.WithTimeout(tb.life, 10*time.Second)
}

// waitFor waits until the JavaScript expression is truthy (re-evaluated on every animation frame), bounded by
// the tab's deadline. It gives up early when a request of the tab failed: the page will not get there.
func (tb *tab) waitFor(expr string) error {
	for {
		_, err := chromedp.Run(tb.ctx, chromedp.Poll[chromedp.Void](expr, chromedp.WithPollingTimeout(2*time.Second)))
		if !errors.Is(err, chromedp.ErrPollingTimeout) {
			return err
		}
		if f := tb.net.failures(); len(f) > 0 {
			return fmt.Errorf("gave up: %d request(s) failed", len(f))
		}
	}
}

// evalIn evaluates a JavaScript expression in the tab.
func evalIn[T any](tb *tab, expr string) (T, error) {
	return chromedp.Run(tb.ctx, chromedp.Evaluate[T](expr))
}

// screenshot writes a PNG of the whole page to dir/name.png.
func (tb *tab) screenshot(t *testing.T, dir, name string) {
	t.Helper()
	ctx, cancel := tb.diagnostics()
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Errorf("screenshot %s: %v", name, err)
		return
	}
	file := filepath.Join(dir, name+".png")
	if err := os.WriteFile(file, png, 0o644); err != nil {
		t.Errorf("screenshot %s: %v", name, err)
	}
}

// bodyText is the page's visible text, shortened, for failure messages.
func (tb *tab) bodyText() string {
	ctx, cancel := tb.diagnostics()
	defer cancel()
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
	if err != nil {
		return fmt.Sprintf("(page text unavailable: %v)", err)
	}
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 600 {
		text = text[:600] + "…"
	}
	return text
}
