package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestPreviewCommandLine(t *testing.T) {
	empty := t.TempDir()
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr string
	}{
		{"--dir and --source", []string{"preview", "--dir", "x", "--source", "y"}, 2, "pass --dir or --source, not both"},
		{"bad port", []string{"preview", "--port", "70000"}, 2, "is not a TCP port"},
		{"no instances", []string{"preview", "--instances", "0"}, 2, "play 1 to 64 Lambda instances"},
		{"no bundle anywhere", []string{"preview"}, 1, "bundle your app first"},
		{"source never bundled", []string{"preview", "--source", empty}, 1, "no bundle of " + empty},
	}
	t.Chdir(t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := run(tt.args...)
			if code != tt.code || !strings.Contains(stderr, tt.stderr) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, stderr, tt.code, tt.stderr)
			}
		})
	}
}

// TestPreviewPortEnv: a $OPENDASH_PREVIEW_PORT that is not a port is a wrong command line, not ignored.
func TestPreviewPortEnv(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, v := range []string{"abc", "70000", "-1"} {
		t.Setenv(PortEnv, v)
		if code, _, stderr := run("preview"); code != 2 || !strings.Contains(stderr, "is not a port") {
			t.Errorf("%s=%s: exit %d, stderr %q; want 2 and the variable named", PortEnv, v, code, stderr)
		}
	}
	t.Setenv(PortEnv, "abc")
	if code, _, stderr := run("preview", "--port", "0"); strings.Contains(stderr, "is not a port") {
		t.Errorf("--port given: the variable must not matter (exit %d, %q)", code, stderr)
	}
}

// TestPreviewFindsTheBundle: bundle with --source, then `preview --source` (and plain `preview` from the
// folder above, which names what to pass) serve the bundle where bundle put it.
func TestPreviewFindsTheBundle(t *testing.T) {
	src := withFakeDash(t)
	if code, _, stderr := run("bundle", "--source", src, "--skip-install", "--quiet"); code != 0 {
		t.Fatalf("bundle: %s", stderr)
	}
	t.Chdir(filepath.Dir(filepath.Dir(src)))
	code, _, stderr := run("preview")
	if code != 1 || !strings.Contains(stderr, "--source "+filepath.Join(filepath.Base(filepath.Dir(src)), "app")) {
		t.Errorf("preview without a bundle here: exit %d, %q", code, stderr)
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	port := fmt.Sprint(busy.Addr().(*net.TCPAddr).Port)
	if code, _, stderr := run("preview", "--source", src, "--port", port); code != 1 ||
		!strings.Contains(stderr, "127.0.0.1:"+port+" is in use") || !strings.Contains(stderr, "pass another --port") {
		t.Errorf("a port in use: exit %d, %q; want the port and --port named", code, stderr)
	}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int)
	var log syncBuffer
	go func() {
		code := Run(ctx, []string{"preview", "--source", src, "--port", "0"}, pw, &log)
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "Previewing "+filepath.Join(filepath.Dir(src), ".open-dash")) {
		t.Fatalf("first line %q, %v", line, err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.TrimSuffix(strings.Fields(line)[3], "\n")
	resp, err := (&http.Client{Timeout: time.Minute}).Get(url + "/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("GET / = %d", resp.StatusCode)
	}
	cancel()
	<-done
	if strings.Contains(log.String(), "serving") || strings.Contains(log.String(), "Previewing") {
		t.Errorf("a second banner on stderr:\n%s", log.String())
	}
}

// syncBuffer is a bytes.Buffer safe for the preview's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
