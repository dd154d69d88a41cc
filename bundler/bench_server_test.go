package bundler

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// serverBenchRepeat is how many warm index requests and callbacks testdata/bench/server.py times per
// process (each figure is their median).
const serverBenchRepeat = 50

// BenchmarkServerSinglePage measures issue 11's targets for the server function of examples/single-page,
// bundled with the real Dash named by OPENDASH_TEST_PYTHON (`make bench-server`). Every figure is the median
// over the iterations of a per-iteration value; ns/op is the cold start. Metrics:
//
//	floor-s                testdata/bench/floor.py with the index only: the same Python starting, importing
//	                       the app, calling create_app() and rendering the index page; nothing else
//	cold-s                 a fresh Python importing the bundled handler (the app loads at import, as in
//	                       Lambda's INIT) and answering its first request, a GET of the index page
//	cold/floor             their ratio (the target: at most 1.1)
//	first-after-warmer/warm  in one process, the first index request after a warmer event over a warm index
//	                       request (target at most 3)
//	callback-handler/flask the app's server callback through the handler (a function URL event in, the
//	                       response dictionary out, gzip included) over the same callback through Flask's test
//	                       client (target at most 1.2)
//
// Both Python folders are compiled to bytecode first, as the Dockerfile does in the image. What this does not
// measure: Lambda's own start (fetching the image, starting the runtime), which no code of ours can shorten.
func BenchmarkServerSinglePage(b *testing.B) {
	py := realDash(b)
	src := example(b, "single-page")
	res, err := Bundle(context.Background(), Options{SourceDir: src, Python: py, SkipInstall: true})
	if err != nil {
		b.Fatal(err)
	}
	serverDir := filepath.Join(res.OutDir, filepath.FromSlash(res.Manifest.Origins.Server.Dir))
	for _, dir := range []string{src, serverDir} {
		if out, err := exec.Command(py, "-m", "compileall", "-q", dir).CombinedOutput(); err != nil {
			b.Fatalf("compileall %s: %v\n%s", dir, err, out)
		}
	}
	floorScript, _ := filepath.Abs(filepath.Join("testdata", "bench", "floor.py"))
	serverScript, _ := filepath.Abs(filepath.Join("testdata", "bench", "server.py"))
	run := func(what string, args ...string) (float64, []byte) {
		start := time.Now()
		out, err := exec.Command(py, append([]string{"-B"}, args...)...).Output()
		took := time.Since(start).Seconds()
		if err != nil {
			msg := err.Error()
			if ee, ok := err.(*exec.ExitError); ok {
				msg += "\n" + string(ee.Stderr)
			}
			b.Fatalf("%s: %s", what, msg)
		}
		return took, out
	}

	var floor, cold, coldRatio, firstRatio, callbackRatio, warmIndex, handlerCallback []float64
	for i := 0; b.Loop(); i++ {
		// Taking turns at going first, so neither always meets what the other left in the page cache.
		var f, c float64
		b.StopTimer()
		if i%2 == 0 {
			f, _ = run("floor.py", floorScript, src, "")
		}
		b.StartTimer()
		c, _ = run("server.py cold", serverScript, "cold", serverDir)
		b.StopTimer()
		if i%2 == 1 {
			f, _ = run("floor.py", floorScript, src, "")
		}
		floor, cold, coldRatio = append(floor, f), append(cold, c), append(coldRatio, c/f)

		_, out := run("server.py warm", serverScript, "warm", serverDir, strconv.Itoa(serverBenchRepeat))
		var w struct {
			FirstAfterWarmer, WarmIndex, HandlerCallback, FlaskCallback float64
		}
		if err := json.Unmarshal(out, &w); err != nil || w.WarmIndex == 0 || w.FlaskCallback == 0 {
			b.Fatalf("server.py warm printed %q: %v", out, err)
		}
		firstRatio = append(firstRatio, w.FirstAfterWarmer/w.WarmIndex)
		callbackRatio = append(callbackRatio, w.HandlerCallback/w.FlaskCallback)
		warmIndex = append(warmIndex, w.WarmIndex)
		handlerCallback = append(handlerCallback, w.HandlerCallback)
		b.StartTimer()
	}
	b.StopTimer()
	b.ReportMetric(median(cold)*1e9, "ns/op")
	b.ReportMetric(median(floor), "floor-s")
	b.ReportMetric(median(cold), "cold-s")
	b.ReportMetric(median(coldRatio), "cold/floor")
	b.ReportMetric(median(firstRatio), "first-after-warmer/warm")
	b.ReportMetric(median(warmIndex)*1e3, "warm-index-ms")
	b.ReportMetric(median(callbackRatio), "callback-handler/flask")
	b.ReportMetric(median(handlerCallback)*1e3, "callback-ms")
}
