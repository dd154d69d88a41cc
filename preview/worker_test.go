package preview

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"
)

// These tests run worker.py and testdata/echo_index.py with the machine's python3, through Start: the same
// path `open-dash preview` takes.

func needPython(t *testing.T) string {
	t.Helper()
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 is not on PATH: the worker tests need it (the preview's server function runs in Python)")
	}
	return py
}

func startEcho(t *testing.T, o Options) (*Server, *syncBuffer) {
	t.Helper()
	py := needPython(t)
	src, err := os.ReadFile(filepath.Join("testdata", "echo_index.py"))
	if err != nil {
		t.Fatal(err)
	}
	dir, _ := writeBundle(t, src)
	log := &syncBuffer{}
	o.Dir, o.Addr, o.Python, o.Log = dir, "127.0.0.1:0", py, log
	s, err := Start(context.Background(), o)
	if err != nil {
		t.Fatalf("Start: %v\nlog:\n%s", err, log)
	}
	t.Cleanup(func() { s.Close() })
	return s, log
}

type echoBody struct {
	PID         int    `json:"pid"`
	Cwd         string `json:"cwd"`
	TaskRoot    string `json:"taskRoot"`
	RequestID   string `json:"requestId"`
	RemainingMs int    `json:"remainingMs"`
	Event       Event  `json:"event"`
}

func do(t *testing.T, method, url string, body []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, data
}

func echo(t *testing.T, s *Server) echoBody {
	t.Helper()
	resp, data := do(t, "GET", s.URL()+"/echo", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("GET /echo: status %d, body %s", resp.StatusCode, data)
	}
	var e echoBody
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatalf("GET /echo: %v in %s", err, data)
	}
	return e
}

func TestWorkerEchoRoundTrip(t *testing.T) {
	s, log := startEcho(t, Options{})
	body := []byte{0, 1, 2, 0xfe, 0xff}
	resp, data := do(t, "POST", s.URL()+"/report/7?a=1&a=2", body, http.Header{
		"Content-Type": {"application/octet-stream"},
		"Cookie":       {"session=abc; theme=dark"},
		"X-Multi":      {"one", "two"},
	})
	if resp.StatusCode != 200 {
		t.Fatalf("status %d, body %s\nlog:\n%s", resp.StatusCode, data, log)
	}
	if resp.Header.Get("X-Amzn-Requestid") == "" {
		t.Errorf("no x-amzn-requestid header")
	}
	var e echoBody
	if err := json.Unmarshal(data, &e); err != nil {
		t.Fatal(err)
	}
	ev := e.Event
	host := strings.TrimPrefix(s.URL(), "http://")
	checks := []struct {
		what      string
		got, want any
	}{
		{"rawPath", ev.RawPath, "/report/7"},
		{"rawQueryString", ev.RawQueryString, "a=1&a=2"},
		{"query a", ev.QueryStringParameters["a"], "1,2"},
		{"cookies", strings.Join(ev.Cookies, "|"), "session=abc|theme=dark"},
		{"x-multi", ev.Headers["x-multi"], "one,two"},
		{"x-forwarded-host", ev.Headers["x-forwarded-host"], host},
		{"host", ev.Headers["host"], FunctionURLDomain},
		{"method", ev.RequestContext.HTTP.Method, "POST"},
		{"isBase64Encoded", ev.IsBase64Encoded, true},
		{"body", ev.Body, "AAEC/v8="},
		{"context request id", e.RequestID, ev.RequestContext.RequestID},
		{"cwd is the server function folder", filepath.Base(e.Cwd), "default"},
		{"LAMBDA_TASK_ROOT", e.TaskRoot, e.Cwd},
	}
	for _, c := range checks {
		if fmt.Sprint(c.got) != fmt.Sprint(c.want) {
			t.Errorf("%s = %v, want %v", c.what, c.got, c.want)
		}
	}
	if e.RemainingMs <= 0 || e.RemainingMs > int(DefaultTimeout/time.Millisecond) {
		t.Errorf("context.get_remaining_time_in_millis() = %d, want within the %s timeout", e.RemainingMs, DefaultTimeout)
	}
	if _, err := os.Stat(filepath.Join(e.Cwd, "__pycache__")); err == nil {
		t.Errorf("the worker wrote __pycache__ into the bundle; it would end up in the image")
	}
	eventually(t, "the request's log line", func() bool {
		return strings.Contains(log.String(), "POST /report/7?a=1&a=2 200 server ")
	})
	// Static files are served by the same preview, without the worker.
	resp, data = do(t, "GET", s.URL()+"/", nil, nil)
	if resp.StatusCode != 200 || string(data) != fileBody("index.html") {
		t.Errorf("GET /: %d %q", resp.StatusCode, data)
	}
}

func TestWorkerResponses(t *testing.T) {
	s, _ := startEcho(t, Options{})
	resp, data := do(t, "GET", s.URL()+"/binary", nil, nil)
	want := make([]byte, 256)
	for i := range want {
		want[i] = byte(i)
	}
	if resp.StatusCode != 200 || !bytes.Equal(data, want) || resp.Header.Get("Content-Type") != "application/octet-stream" {
		t.Errorf("/binary: %d %s %x", resp.StatusCode, resp.Header.Get("Content-Type"), data)
	}
	resp, data = do(t, "GET", s.URL()+"/cookies", nil, nil)
	cookies := resp.Header.Values("Set-Cookie")
	if resp.StatusCode != 201 || string(data) != "ok" || len(cookies) != 2 || cookies[1] != "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT" {
		t.Errorf("/cookies: %d %q Set-Cookie %q", resp.StatusCode, data, cookies)
	}
	resp, data = do(t, "GET", s.URL()+"/plain", nil, nil)
	if resp.StatusCode != 200 || string(data) != `"Hello, world!"` {
		t.Errorf("/plain: %d %q", resp.StatusCode, data)
	}
	resp, _ = do(t, "GET", s.URL()+"/nan", nil, nil)
	if resp.StatusCode != 502 {
		t.Errorf("/nan (not JSON-serialisable): status %d, want 502", resp.StatusCode)
	}
	resp, _ = do(t, "GET", s.URL()+fmt.Sprintf("/big?n=%d", MaxPayload+1), nil, nil)
	if resp.StatusCode != 502 {
		t.Errorf("/big over 6 MB: status %d, want 502", resp.StatusCode)
	}
}

func TestWorkerAppStdoutIsNotTheProtocol(t *testing.T) {
	s, log := startEcho(t, Options{})
	resp, data := do(t, "GET", s.URL()+"/print", nil, nil)
	if resp.StatusCode != 200 || !bytes.Contains(data, []byte(`"rawPath": "/print"`)) {
		t.Fatalf("/print: %d %s", resp.StatusCode, data)
	}
	for _, line := range []string{
		`[server stdout] {"ready": {"python": "not the protocol"}}`, // printed at import
		`[server stdout] {"result": {"statusCode": 418}}`,
		"[server stdout] hello from the app",
		"[server stderr] warning from the app",
	} {
		eventually(t, "log line "+line, func() bool { return strings.Contains(log.String(), line) })
	}
}

func TestWorkerRaiseKeepsInstance(t *testing.T) {
	s, log := startEcho(t, Options{})
	before := echo(t, s).PID
	resp, _ := do(t, "GET", s.URL()+"/raise", nil, nil)
	if resp.StatusCode != 502 {
		t.Errorf("/raise: status %d, want 502", resp.StatusCode)
	}
	if after := echo(t, s).PID; after != before {
		t.Errorf("an exception replaced the worker (pid %d → %d); Lambda keeps the instance", before, after)
	}
	for _, want := range []string{"raised ValueError: boom from the fake app", "[server stderr] Traceback"} {
		eventually(t, want, func() bool { return strings.Contains(log.String(), want) })
	}
}

func TestWorkerCrashRecovers(t *testing.T) {
	tests := []struct{ path, wantLog string }{
		{"/exit", "exited with status 3"},
		{"/kill", "killed by signal killed"},
	}
	s, log := startEcho(t, Options{})
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			before := echo(t, s).PID
			resp, _ := do(t, "GET", s.URL()+tt.path, nil, nil)
			if resp.StatusCode != 502 {
				t.Errorf("%s: status %d, want 502", tt.path, resp.StatusCode)
			}
			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, log)
			}
			if alive(before) {
				t.Errorf("the crashed worker %d is still running", before)
			}
			if after := echo(t, s).PID; after == before {
				t.Errorf("the next request was served by the crashed worker %d", before)
			}
		})
	}
}

func TestWorkerTimeout(t *testing.T) {
	s, log := startEcho(t, Options{Timeout: 500 * time.Millisecond})
	before := echo(t, s).PID
	started := time.Now()
	resp, _ := do(t, "GET", s.URL()+"/sleep?s=30", nil, nil)
	if resp.StatusCode != 504 || time.Since(started) > 10*time.Second {
		t.Errorf("/sleep past the timeout: status %d after %s, want 504 soon after 500ms", resp.StatusCode, time.Since(started))
	}
	if !strings.Contains(log.String(), "ran past 500ms") {
		t.Errorf("log lacks the timeout:\n%s", log)
	}
	if after := echo(t, s).PID; after == before || alive(before) {
		t.Errorf("the timed-out worker %d was not replaced (now %d, alive %v)", before, after, alive(before))
	}
}

func TestWorkerSerializesRequests(t *testing.T) {
	s, _ := startEcho(t, Options{})
	echo(t, s) // warm
	const n, each = 3, 300 * time.Millisecond
	started := time.Now()
	pids := make(chan int, n)
	for i := 0; i < n; i++ {
		go func() {
			resp, data := do(t, "GET", s.URL()+fmt.Sprintf("/sleep?s=%g", each.Seconds()), nil, nil)
			var e echoBody
			if resp.StatusCode != 200 || json.Unmarshal(data, &e) != nil {
				t.Errorf("/sleep: %d %s", resp.StatusCode, data)
			}
			pids <- e.PID
		}()
	}
	first := <-pids
	for i := 1; i < n; i++ {
		if pid := <-pids; pid != first {
			t.Errorf("requests ran on workers %d and %d; the preview has one instance", first, pid)
		}
	}
	if elapsed := time.Since(started); elapsed < n*each {
		t.Errorf("%d requests of %s each took %s: they overlapped, but one instance serves one at a time", n, each, elapsed)
	}
}

func TestWorkerImportErrorFailsStart(t *testing.T) {
	py := needPython(t)
	dir, _ := writeBundle(t, []byte("import no_such_module_for_open_dash\n\ndef handler(event, context):\n    return None\n"))
	log := &syncBuffer{}
	_, err := Start(context.Background(), Options{Dir: dir, Addr: "127.0.0.1:0", Python: py, Log: log})
	if err == nil {
		t.Fatal("Start succeeded with a handler that cannot be imported")
	}
	for _, want := range []string{"index.py: importing the handler failed", "No module named 'no_such_module_for_open_dash'", "--python"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q lacks %q", err, want)
		}
	}
	if !strings.Contains(log.String(), "[server stderr] ModuleNotFoundError") {
		t.Errorf("Start returned before the traceback reached the log:\n%s", log)
	}
}

func TestCloseLeavesNoProcess(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("process checks read /proc: Linux only")
	}
	s, _ := startEcho(t, Options{})
	resp, data := do(t, "GET", s.URL()+"/spawn", nil, nil)
	if resp.StatusCode != 200 {
		t.Fatalf("/spawn: %d %s", resp.StatusCode, data)
	}
	var pids struct{ Worker, Child int }
	if err := json.Unmarshal(data, &pids); err != nil {
		t.Fatal(err)
	}
	if !alive(pids.Worker) || !alive(pids.Child) {
		t.Fatalf("before Close: worker alive %v, child alive %v", alive(pids.Worker), alive(pids.Child))
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the worker and its child to be gone", func() bool { return !alive(pids.Worker) && !alive(pids.Child) })
	if _, err := http.Get(s.URL() + "/"); err == nil {
		t.Errorf("the preview still answers after Close")
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestContextCancelStops(t *testing.T) {
	py := needPython(t)
	src, _ := os.ReadFile(filepath.Join("testdata", "echo_index.py"))
	dir, _ := writeBundle(t, src)
	ctx, cancel := context.WithCancel(context.Background())
	s, err := Start(ctx, Options{Dir: dir, Addr: "127.0.0.1:0", Python: py})
	if err != nil {
		t.Fatal(err)
	}
	pid := echo(t, s).PID
	cancel()
	done := make(chan error, 1)
	go func() { done <- s.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Wait after cancel: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the preview did not stop when its context was cancelled")
	}
	if runtime.GOOS == "linux" {
		eventually(t, "the worker to be gone", func() bool { return !alive(pid) })
	}
}

// alive reports whether pid runs (a zombie left for init to reap counts as gone).
func alive(pid int) bool {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// The state follows the command name, which is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(data, ')')
	return i >= 0 && i+2 < len(data) && data[i+2] != 'Z'
}
