package bundler

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/preview"
)

// TestPreviewLoadsTheEntryAtStart: the preview's worker imports the bundle's handler, which loads exactly the
// recorded entry point when it starts (as a Lambda instance does), logs how long that took and that the
// app's app.run() was ignored, then serves it. An app that makes its background callback cache as Dash's
// documentation does (diskcache.Cache("./cache"), here a stand-in) starts in every instance: each runs it in a
// writable working folder of its own, and the bundle stays as it was.
func TestPreviewLoadsTheEntryAtStart(t *testing.T) {
	fakeDash(t)
	tests := []struct {
		fixture, app, want string
		instances          int
	}{
		{"classic", "index:app", "(index:app)", 1},
		{"runs_at_import", "", "app.py:6 calls Dash.run() while the app is imported; ignored", 1},
		{"background", "", "app loaded in", 3},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			res, err := bundle(t, fixture(t, tt.fixture), Options{App: tt.app})
			if err != nil {
				t.Fatal(err)
			}
			log := &lockedLog{}
			srv, err := preview.Start(context.Background(), preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0",
				Python: "python3", Log: log, Instances: tt.instances})
			if err != nil {
				t.Fatal(err)
			}
			defer srv.Close()
			waitForLog(t, log, "app loaded in") // before any request: loaded when the worker started
			waitForLog(t, log, tt.want)
			resp, err := http.Get(srv.URL() + "/deep/link")
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || !strings.Contains(string(body), "react-entry-point") {
				t.Errorf("a deep link answered %d %q, want the index page from the server", resp.StatusCode, body)
			}
			if strings.Count(log.String(), "app loaded in") != tt.instances || strings.Contains(log.String(), "Read-only") {
				t.Errorf("want the app loaded once per instance (%d), with no read-only error:\n%s", tt.instances, log)
			}
			if _, err := os.Stat(filepath.Join(res.OutDir, ServerDir, "cache")); !os.IsNotExist(err) {
				t.Errorf("the server function's folder gained what the app wrote (%v)", err)
			}
		})
	}
}

type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// waitForLog waits until the preview's log (copied from the worker's pipes as they are read) holds want.
func waitForLog(t *testing.T, log *lockedLog, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(log.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the preview log never says %q:\n%s", want, log.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}
