package e2e

import (
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/verify"
)

// Apps as their authors write them (issue 25): each is bundled unchanged with a real Dash and served by
// `open-dash preview` to headless Chromium.

// copyTestdata copies e2e/testdata/name into a temp folder (the bundle lands beside the copy).
func copyTestdata(t *testing.T, name string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), name)
	if err := os.CopyFS(dst, os.DirFS(filepath.Join("testdata", name))); err != nil {
		t.Fatal(err)
	}
	return dst
}

// TestBrowserDiskcacheAsDashDocuments: background callbacks in the shape of Dash's documentation
// (diskcache.Cache("./cache") at module level, the manager given to the callback, a job when the page loads)
// bundle with no warning and no cache in the source or the bundle (the app runs in a writable working
// folder), and jobs complete through `preview --instances 3`.
func TestBrowserDiskcacheAsDashDocuments(t *testing.T) {
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			if out, err := exec.Command(py.Path, "-c", "import diskcache, multiprocess, psutil").CombinedOutput(); err != nil {
				t.Skipf("Dash's DiskcacheManager needs diskcache, multiprocess and psutil in %s (Debian: apt-get install -y "+
					"python3-diskcache python3-multiprocess python3-psutil): %s", py.Path, out)
			}
			src := copyTestdata(t, "diskcache")
			s, _ := previewSource(t, ctx, py, src, "--instances", "3")
			for _, dir := range []string{src, filepath.Join(filepath.Dir(src), bundler.OutputDirName, bundler.ServerDir)} {
				if _, err := os.Stat(filepath.Join(dir, "cache")); !os.IsNotExist(err) {
					t.Errorf("%s holds the cache diskcache made while the app was bundled (%v)", dir, err)
				}
			}
			tb := openTab(t, startBrowser(t, ctx, chromium), s.url, 3*time.Minute)
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/")); err != nil {
				t.Fatal(err)
			}
			dir := artifactDir(t)
			// The callback runs when the page loads (n_clicks None): a background job before any click.
			waitAll(t, tb, dir, "diskcache-loaded", s.url, []cond{textIs("#paragraph_id", "Clicked None times")})
			for i, want := range []string{"Clicked 1 times", "Clicked 2 times"} {
				if err := click("#button_id")(tb); err != nil {
					t.Fatal(err)
				}
				waitAll(t, tb, dir, "diskcache-job-"+string(rune('1'+i)), s.url, []cond{textIs("#paragraph_id", want)})
			}
			logged := strings.Join(s.log.since(0), "\n")
			if strings.Contains(logged, "Read-only file system") || strings.Contains(logged, "failed; requests answer 500") {
				t.Errorf("the app did not start in every instance:\n%s", tail(s.log.since(0), 60))
			}
			if f := tb.net.failures(); len(f) > 0 {
				t.Errorf("%d request(s) failed:\n  %s", len(f), strings.Join(f, "\n  "))
			}
		})
	}
}

// TestBrowserOwnStaticRoute: an app with its own /static/<path> route beside Flask's static folder (plotly's
// multi-page recipe) bundles, and the page loads the route's stylesheet and image.
func TestBrowserOwnStaticRoute(t *testing.T) {
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			s, _ := previewSource(t, ctx, py, copyTestdata(t, "ownstatic"))
			tb := openTab(t, startBrowser(t, ctx, chromium), s.url, 2*time.Minute)
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/")); err != nil {
				t.Fatal(err)
			}
			waitAll(t, tb, artifactDir(t), "ownstatic", s.url, []cond{
				shown("#styled"),
				{what: "the route's stylesheet applies", js: `getComputedStyle(document.querySelector("#styled")).color === "rgb(0, 128, 128)"`},
				{what: "the route's image loads", js: `document.querySelector("#logo").complete && document.querySelector("#logo").naturalWidth === 40`},
			})
			for _, path := range []string{"/static/site.css", "/static/logo.svg"} {
				if status, body := get(t, &http.Client{Timeout: time.Minute}, http.MethodGet, s.url+path, ""); status != 200 || body == "" {
					t.Errorf("GET %s = %d %q", path, status, body)
				}
			}
			if f := tb.net.failures(); len(f) > 0 {
				t.Errorf("%d request(s) failed:\n  %s", len(f), strings.Join(f, "\n  "))
			}
		})
	}
}

// TestBrowserPagesMetaTagsNameThePreview: Dash Pages' meta tags (twitter:url, og:image) name the preview's
// own origin, in a pre-rendered page (static, filled in by the preview), the index and a page the server
// renders (a path template); verify against the preview expects exactly those bytes.
func TestBrowserPagesMetaTagsNameThePreview(t *testing.T) {
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			src := copyTestdata(t, "pagesmeta")
			s, _ := previewSource(t, ctx, py, src)
			client := &http.Client{Timeout: time.Minute}
			for _, tc := range []struct{ path, image string }{
				{"/reports", s.url + "/assets/chart.png"}, {"/item/7", s.url + "/assets/chart.png"}, {"/", ""},
			} {
				status, page := get(t, client, http.MethodGet, s.url+tc.path, "")
				want := []string{`property="twitter:url" content="` + s.url + tc.path + `"`}
				if tc.image != "" {
					want = append(want, `property="og:image" content="`+tc.image+`"`)
				}
				for _, w := range want {
					if status != 200 || !strings.Contains(page, w) {
						t.Errorf("GET %s = %d, lacks %s:\n%s", tc.path, status, w, metaTags(page))
					}
				}
				if strings.Contains(page, "opendash-site-origin.invalid") || strings.Contains(page, "http://localhost") {
					t.Errorf("GET %s names another origin than the preview's:\n%s", tc.path, metaTags(page))
				}
			}
			tb := openTab(t, startBrowser(t, ctx, chromium), s.url, 2*time.Minute)
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(s.url+"/reports")); err != nil {
				t.Fatal(err)
			}
			waitAll(t, tb, artifactDir(t), "pagesmeta", s.url, []cond{shown("#reports"), {
				what: "og:image names the preview",
				js:   `document.querySelector('meta[property="og:image"]').content === ` + jsString(s.url+"/assets/chart.png"),
			}})
			rep, err := verify.Run(ctx, verify.Options{URL: s.url, Dir: filepath.Join(filepath.Dir(src), bundler.OutputDirName)})
			if err != nil {
				t.Fatal(err)
			}
			if !rep.OK {
				t.Errorf("verify against the preview failed: %+v", rep.Failures())
			}
		})
	}
}

// metaTags is the meta tags of a page, for messages.
func metaTags(page string) string {
	return strings.Join(regexp.MustCompile(`<meta[^>]*>`).FindAllString(page, -1), "\n")
}
