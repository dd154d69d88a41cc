package e2e

import (
	"bufio"
	"context"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/internal/cli"
)

// TestBrowserEnvFile serves testdata/envfile with `open-dash preview --env-file`: the app reads GREETING and
// DATABASE_URL from os.environ in its callback, as it would from the component's environment and secrets,
// and the page in Chromium shows them; the preview's log names the variables, never their values.
func TestBrowserEnvFile(t *testing.T) {
	t.Setenv(cache.DirEnv, t.TempDir())
	pythons := dashPythons(t)
	chromium := findChromium(t)
	ctx := testContext(t)
	envFile := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(envFile, []byte("GREETING=Hello\nDATABASE_URL=\"postgres://app:s3cr3t-pw@db.internal/app\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, py := range pythons {
		t.Run("dash-"+py.DashVersion, func(t *testing.T) {
			src := filepath.Join(t.TempDir(), "envfile")
			if err := os.CopyFS(src, os.DirFS(filepath.Join("testdata", "envfile"))); err != nil {
				t.Fatal(err)
			}
			out := filepath.Join(filepath.Dir(src), bundler.OutputDirName)
			if _, err := bundler.Bundle(ctx, bundler.Options{SourceDir: src, Python: py.Path, SkipInstall: true, OutDir: out}); err != nil {
				t.Fatalf("bundling testdata/envfile with Dash %s: %v", py.DashVersion, err)
			}
			log := &previewLog{}
			url := runPreview(t, ctx, log, "--dir", out, "--port", "0", "--python", py.Path, "--env-file", envFile)

			tb := openTab(t, startBrowser(t, ctx, chromium), url, pageTimeout)
			if err := chromedp.Do(tb.ctx, chromedp.Navigate(url+"/")); err != nil {
				t.Fatal(err)
			}
			want := "Hello, Ada (database db.internal/app)"
			if err := tb.waitFor(textIs("#greeting", want).js); err != nil {
				t.Fatalf("waiting for %q: %v; the page shows %s", want, err, tb.bodyText())
			}
			all := strings.Join(log.since(0), "\n")
			if !strings.Contains(all, "2 variable(s) for the server function: GREETING, DATABASE_URL") || strings.Contains(all, "s3cr3t-pw") {
				t.Errorf("the log must name the variables and no value:\n%s", all)
			}
		})
	}
}

// runPreview runs `open-dash preview` with args (the CLI in-process) until the test ends and returns its URL.
func runPreview(t *testing.T, ctx context.Context, log *previewLog, args ...string) string {
	t.Helper()
	stdoutR, stdoutW := io.Pipe()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan int, 1)
	go func() {
		done <- cli.Run(runCtx, append([]string{"preview"}, args...), stdoutW, log)
		stdoutW.Close()
	}()
	t.Cleanup(func() {
		stop()
		<-done
		if t.Failed() {
			t.Logf("preview log:\n%s", tail(log.since(0), 100))
		}
	})
	line, err := bufio.NewReader(stdoutR).ReadString('\n')
	go io.Copy(io.Discard, stdoutR)
	url := regexp.MustCompile(`at (http://\S+)`).FindStringSubmatch(line)
	if err != nil || url == nil {
		t.Fatalf("open-dash preview printed %q (%v); log:\n%s", line, err, tail(log.since(0), 50))
	}
	return url[1]
}
