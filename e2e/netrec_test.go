package e2e

import (
	"fmt"
	"strings"
	"sync"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
)

// netRecorder keeps what one tab's Network domain reported: every request with its status, in the order sent.
// Its handle method is a chromedp listener, so it sees the events in order from the tab's first command on.
type netRecorder struct {
	origin string // the preview's origin, "http://127.0.0.1:port"

	mu         sync.Mutex
	reqs       []*netRequest
	byID       map[network.RequestID]*netRequest // the latest request of an id (a redirect reuses the id)
	exceptions []string
}

// netRequest is one request the browser made.
type netRequest struct {
	Method, URL string
	Type        network.ResourceType
	Status      int64  // 0 until a response arrived
	Failed      string // the error text of loadingFailed
	Done        bool   // loadingFinished or loadingFailed seen
}

func newNetRecorder(origin string) *netRecorder {
	return &netRecorder{origin: origin, byID: map[network.RequestID]*netRequest{}}
}

// handle runs in the tab's event loop: it must return fast and send no command.
func (n *netRecorder) handle(ev any) {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		if prev := n.byID[ev.RequestID]; prev != nil && ev.RedirectResponse != nil {
			prev.Status, prev.Done = ev.RedirectResponse.Status, true
		}
		r := &netRequest{Method: ev.Request.Method, URL: ev.Request.URL, Type: ev.Type}
		n.reqs = append(n.reqs, r)
		n.byID[ev.RequestID] = r
	case *network.EventResponseReceived:
		if r := n.byID[ev.RequestID]; r != nil {
			r.Status = ev.Response.Status
		}
	case *network.EventLoadingFinished:
		if r := n.byID[ev.RequestID]; r != nil {
			r.Done = true
		}
	case *network.EventLoadingFailed:
		if r := n.byID[ev.RequestID]; r != nil {
			r.Done, r.Failed = true, ev.ErrorText
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		text := d.Text
		if d.Exception != nil && d.Exception.Description != "" {
			text += " " + d.Exception.Description
		}
		n.exceptions = append(n.exceptions, fmt.Sprintf("%s (%s:%d)", text, d.URL, d.LineNumber+1))
	}
}

// since returns copies of the requests sent from mark on, and the mark after them.
func (n *netRecorder) since(mark int) ([]netRequest, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	out := make([]netRequest, 0, len(n.reqs)-mark)
	for _, r := range n.reqs[mark:] {
		out = append(out, *r)
	}
	return out, len(n.reqs)
}

// uri is the request's path and query on the preview's origin, and false for any other URL (data:, blob:).
func (n *netRecorder) uri(r netRequest) (string, bool) {
	rest, ok := strings.CutPrefix(r.URL, n.origin)
	if !ok || rest != "" && rest[0] != '/' {
		return "", false
	}
	if rest == "" {
		rest = "/"
	}
	return rest, true
}

// failures lists every request that failed or was answered with an error status (400 or more: the preview
// answers 403 AccessDenied for a file missing from the bundle, as the private bucket would).
func (n *netRecorder) failures() []string {
	var out []string
	all, _ := n.since(0)
	for _, r := range all {
		if r.abandoned() {
			continue
		}
		if r.Failed != "" || r.Status >= 400 {
			out = append(out, fmt.Sprintf("%s %s: status %d %s", r.Method, r.URL, r.Status, r.Failed))
		}
	}
	return out
}

// abandoned reports a request the server answered successfully but the page itself dropped before reading the
// answer (net::ERR_ABORTED): Dash's renderer aborts a background callback's poll in flight when the job is
// cancelled. Any error status, and any request that got no answer, still counts as failed.
func (r *netRequest) abandoned() bool {
	return r.Failed == "net::ERR_ABORTED" && r.Status > 0 && r.Status < 400
}

func (n *netRecorder) uncaught() []string {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]string(nil), n.exceptions...)
}
