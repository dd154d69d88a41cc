package cli

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestPreviewReadsSiteConfig: open-dash.toml's auth.basic (a password by environment variable) protects the
// preview as it will the deployed site; a password the preview cannot read is an error naming the user.
func TestPreviewReadsSiteConfig(t *testing.T) {
	src := withFakeDash(t)
	if code, _, stderr := run("bundle", "--source", src, "--skip-install", "--quiet"); code != 0 {
		t.Fatalf("bundle: %s", stderr)
	}
	config := "[site]\noriginAuth = \"oac\"\n[site.auth.basic]\nusers = { alice = { env = \"PREVIEW_TEST_PASSWORD\" }, bob = { secret = \"bobPassword\" } }\n"
	os.WriteFile(filepath.Join(src, "open-dash.toml"), []byte(config), 0o644)

	code, _, stderr := run("preview", "--source", src, "--port", "0")
	if code != 1 || !strings.Contains(stderr, "auth.basic.users.alice: the environment variable PREVIEW_TEST_PASSWORD is not set") {
		t.Fatalf("without the variable: exit %d, %s", code, stderr)
	}
	t.Setenv("PREVIEW_TEST_PASSWORD", "a-long-preview-password")
	code, _, stderr = run("preview", "--source", src, "--port", "0")
	if code != 1 || !strings.Contains(stderr, "auth.basic.users.bob: the Pulumi config secret bobPassword exists only in a deploy") {
		t.Fatalf("with a config secret: exit %d, %s", code, stderr)
	}
	os.WriteFile(filepath.Join(src, "open-dash.toml"), []byte(strings.Replace(config, `, bob = { secret = "bobPassword" }`, "", 1)), 0o644)

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	var log strings.Builder
	done := make(chan int)
	go func() {
		code := Run(ctx, []string{"preview", "--source", src, "--port", "0"}, pw, &syncWriter{w: &log})
		pw.Close()
		done <- code
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("preview: %v", err)
	}
	go io.Copy(io.Discard, pr)
	url := strings.TrimSuffix(strings.Fields(line)[3], "\n")
	client := &http.Client{Timeout: time.Minute}
	for _, c := range []struct {
		password string
		want     int
	}{{"", 401}, {"wrong", 401}, {"a-long-preview-password", 200}} {
		req, _ := http.NewRequest("GET", url+"/", nil)
		if c.password != "" {
			req.SetBasicAuth("alice", c.password)
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != c.want {
			t.Errorf("GET / with password %q = %d, want %d", c.password, resp.StatusCode, c.want)
		}
	}
	cancel()
	<-done
	if !strings.Contains(log.String(), "originAuth oac, auth.basic (users alice)") {
		t.Errorf("the log does not say what came from open-dash.toml:\n%s", log.String())
	}
}

// syncWriter serialises writes from the preview's goroutines.
type syncWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}
