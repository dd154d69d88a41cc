package bundler

import (
	"context"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/preview"
)

// TestPreviewLoadsTheEntryAtStart: the preview's worker imports the bundle's handler, which loads exactly the
// recorded entry point when it starts (as a Lambda instance does), logs how long that took and that the
// app's app.run() was ignored, then serves it.
func TestPreviewLoadsTheEntryAtStart(t *testing.T) {
	fakeDash(t)
	tests := []struct{ fixture, app, want string }{
		{"classic", "index:app", "(index:app)"},
		{"runs_at_import", "", "app.py:6 calls Dash.run() while the app is imported; ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.fixture, func(t *testing.T) {
			res, err := bundle(t, fixture(t, tt.fixture), Options{App: tt.app})
			if err != nil {
				t.Fatal(err)
			}
			log := &lockedLog{}
			srv, err := preview.Start(context.Background(), preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0",
				Python: "python3", Log: log})
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
