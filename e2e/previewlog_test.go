package e2e

import (
	"bytes"
	"regexp"
	"strconv"
	"strings"
	"sync"
)

// previewLog is the preview's Log writer: it keeps every line so a test can look at the requests logged
// since a mark (one line per request: "GET /path 200 s3 1.2ms (behavior /assets/*)").
type previewLog struct {
	mu      sync.Mutex
	partial []byte
	lines   []string
}

func (l *previewLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.partial = append(l.partial, p...)
	for {
		i := bytes.IndexByte(l.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		l.lines = append(l.lines, string(l.partial[:i]))
		l.partial = l.partial[i+1:]
	}
}

// mark is the position of the next line, for since.
func (l *previewLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.lines)
}

// since returns the lines written from mark on.
func (l *previewLog) since(mark int) []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.lines[mark:]...)
}

// requestsSince returns the requests logged from mark on, in the order the preview answered them, and the mark
// after them.
func (l *previewLog) requestsSince(mark int) ([]loggedRequest, int) {
	l.mu.Lock()
	lines := l.lines[mark:len(l.lines):len(l.lines)]
	next := len(l.lines)
	l.mu.Unlock()
	var reqs []loggedRequest
	for _, line := range lines {
		if r, ok := parseRequestLine(line); ok {
			reqs = append(reqs, r)
		}
	}
	return reqs, next
}

// loggedRequest is one request line of the preview's log.
type loggedRequest struct {
	Method, URI string
	Status      int
	Origin      string // s3, server, cloudfront or edge
	Line        string
}

// Path is the URI without its query string.
func (r loggedRequest) Path() string {
	path, _, _ := strings.Cut(r.URI, "?")
	return path
}

var requestLine = regexp.MustCompile(`^([A-Z]+) (\S+) (\d{3}) (s3|server|cloudfront|edge) \S+ \(behavior [^)]*\)$`)

// parseRequestLine reads a request line; the worker's output and warnings are not requests.
func parseRequestLine(line string) (loggedRequest, bool) {
	m := requestLine.FindStringSubmatch(line)
	if m == nil {
		return loggedRequest{}, false
	}
	status, _ := strconv.Atoi(m[3])
	return loggedRequest{Method: m[1], URI: m[2], Status: status, Origin: m[4], Line: line}, true
}
