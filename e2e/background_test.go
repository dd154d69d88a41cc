package e2e

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/preview"
)

// TestBrowserBackgroundCallbacks bundles examples/background with a real Dash and serves it with
// `--instances 3` and an emulated CloudFront timeout of 3 s: a 5 s background job shows its progress and
// running state and completes (polls land on any instance, the job runs in the jobs worker); cancel stops a
// running job; a failing job shows its error in the page.
func TestBrowserBackgroundCallbacks(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			if out, err := exec.Command(py.Path, "-c", "import diskcache, multiprocess, psutil").CombinedOutput(); err != nil {
				t.Skipf("examples/background uses DiskcacheManager, which needs diskcache, multiprocess and psutil in %s "+
					"(Debian: apt-get install -y python3-diskcache python3-multiprocess python3-psutil): %s", py.Path, out)
			}
			browser := startBrowser(t, ctx, chromium)
			src := copyExample(t, "background")
			bundleCtx, cancel := context.WithTimeout(ctx, 5*time.Minute)
			defer cancel()
			res, err := bundler.Bundle(bundleCtx, bundler.Options{SourceDir: src, Python: py.Path, SkipInstall: true,
				OutDir: filepath.Join(filepath.Dir(src), bundler.OutputDirName)})
			if err != nil {
				t.Fatalf("bundling with Dash %s: %v", py.DashVersion, err)
			}
			if n := len(res.Manifest.App.BackgroundCallbacks); n != 2 {
				t.Fatalf("the manifest lists %d background callbacks, want 2: %+v", n, res.Manifest.App.BackgroundCallbacks)
			}
			log := &previewLog{}
			srv, err := preview.Start(ctx, preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Python: py.Path, Log: log,
				Instances: 3, Timeout: 3 * time.Second, JobTimeout: time.Minute})
			if err != nil {
				t.Fatalf("previewing: %v", err)
			}
			t.Cleanup(func() {
				srv.Close()
				if t.Failed() {
					t.Logf("preview log:\n%s", tail(log.since(0), 150))
				}
			})
			tb := openTab(t, browser, srv.URL(), 2*time.Minute)
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(srv.URL()+"/")); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			steps := []struct {
				name  string
				do    func(*tab) error
				conds []cond
			}{
				{"loaded", nil, []cond{textIs("#result", "not run"), textIs("#status", "idle")}},
				// Past the 3 s "CloudFront" timeout: each poll is short, the job itself runs 5 s.
				{"run", click("#run"), []cond{textIs("#status", "running"), {what: "the run button is disabled",
					js: `document.querySelector("#run").disabled`}, {what: "progress reached 3",
					js: `Number(document.querySelector("#progress").value) >= 3`}}},
				{"done", nil, []cond{textIs("#result", "done after 10 steps (run 1)"), textIs("#status", "idle"),
					{what: "the run button is enabled again", js: `!document.querySelector("#run").disabled`}}},
				{"run-again", click("#run"), []cond{textIs("#status", "running"), {what: "progress moved",
					js: `Number(document.querySelector("#progress").value) >= 1 && Number(document.querySelector("#progress").value) < 10`}}},
				{"cancel", click("#cancel"), []cond{textIs("#status", "idle"), textIs("#result", "done after 10 steps (run 1)")}},
				{"fail", click("#fail"), []cond{textHas("#error", "the input 1 is not accepted")}},
			}
			for _, st := range steps {
				if st.do != nil {
					if err := st.do(tb); err != nil {
						t.Fatalf("%s: %v", st.name, err)
					}
				}
				waitAll(t, tb, dir, st.name, srv.URL(), st.conds)
			}
			logged := strings.Join(log.since(0), "\n")
			for _, want := range []string{"ended: done", "ended: cancelled", "ended: failed"} {
				if !deadlineContains(log, want, 20*time.Second) {
					t.Errorf("the preview log never says %q:\n%s", want, tail(log.since(0), 60))
				}
			}
			if strings.Contains(logged, " 504 ") {
				t.Errorf("a request timed out (504): polling must keep every request short")
			}
			// After the cancel the result never changes: the cancelled job wrote nothing.
			if text, err := evalIn[string](tb, `document.querySelector("#result").textContent`); err != nil || text != "done after 10 steps (run 1)" {
				t.Errorf("result after cancel = %q (%v)", text, err)
			}
		})
	}
}

// deadlineContains waits (without timing the app: it only bounds a wait) until the log has text.
func deadlineContains(log *previewLog, text string, wait time.Duration) bool {
	end := time.Now().Add(wait)
	for time.Now().Before(end) {
		if strings.Contains(strings.Join(log.since(0), "\n"), text) {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}
