package preview

import (
	"bufio"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/opendash/opendash/component/edgeoidc"
)

// OIDCOptions run the component's OIDC sign-in function in front of the preview (Options.OIDC).
type OIDCOptions struct {
	Issuer, ClientID    string
	Scopes              []string
	AllowedEmails       []string
	AllowedEmailDomains []string
	AllowedGroups       []string
	AllowAnyUser        bool
	// Node is the node executable; "" means node on PATH.
	Node string
}

//go:embed oidc_harness.js
var oidcHarness string

// oidcEdge is the OIDC Lambda@Edge function's code, exactly as deployed but with http callback URLs, running
// in one Node.js process that answers one event at a time.
type oidcEdge struct {
	mu   sync.Mutex
	cmd  *exec.Cmd
	in   io.WriteCloser
	out  *bufio.Reader
	dir  string
	exit chan struct{}
	stop func()
}

// Check refuses options the sign-in function cannot work with (the component's checks of auth.oidc).
func (o OIDCOptions) Check() error {
	if err := o.config().Check(); err != nil {
		return fmt.Errorf("oidc: %w", err)
	}
	return nil
}

func (o OIDCOptions) config() edgeoidc.Config {
	return edgeoidc.Config{Issuer: o.Issuer, ClientID: o.ClientID, Scopes: o.Scopes, AllowedEmails: o.AllowedEmails,
		AllowedEmailDomains: o.AllowedEmailDomains, AllowedGroups: o.AllowedGroups, AllowAnyUser: o.AllowAnyUser, Scheme: "http"}
}

func startOIDC(o OIDCOptions, log *logger) (*oidcEdge, error) {
	if err := o.Check(); err != nil {
		return nil, err
	}
	// The session key is made for the run (the deployed function reads its own from Secrets Manager).
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cfg := o.config()
	cfg.SessionKey = hex.EncodeToString(key)
	node := o.Node
	if node == "" {
		var err error
		if node, err = exec.LookPath("node"); err != nil {
			return nil, errors.New("oidc: the sign-in function runs on Node.js, and node is not on PATH; install Node.js 18 or later")
		}
	}
	dir, err := os.MkdirTemp("", "open-dash-oidc-")
	if err != nil {
		return nil, err
	}
	files := edgeoidc.Files(cfg)
	files["harness.js"] = oidcHarness
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
			os.RemoveAll(dir)
			return nil, err
		}
	}
	e := &oidcEdge{dir: dir, exit: make(chan struct{})}
	e.cmd = exec.Command(node, "harness.js")
	e.cmd.Dir = dir
	e.cmd.Stderr = newLineWriter(log, "[oidc] ")
	if e.in, err = e.cmd.StdinPipe(); err == nil {
		var stdout io.ReadCloser
		if stdout, err = e.cmd.StdoutPipe(); err == nil {
			e.out = bufio.NewReaderSize(stdout, 1<<16)
			err = e.cmd.Start()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("oidc: starting %s: %w", node, err)
	}
	go func() { _ = e.cmd.Wait(); close(e.exit) }()
	var once sync.Once
	e.stop = func() {
		once.Do(func() {
			e.in.Close() // the harness ends at the end of its input
			select {
			case <-e.exit:
			default:
				_ = e.cmd.Process.Kill()
				<-e.exit
			}
			os.RemoveAll(dir)
		})
	}
	return e, nil
}

// edgeEvent is a Lambda@Edge viewer-request event for r.
func edgeEvent(r *http.Request) map[string]any {
	headers := map[string][]map[string]string{"host": {{"key": "Host", "value": r.Host}}}
	for name, values := range r.Header {
		for _, v := range values {
			lower := strings.ToLower(name)
			headers[lower] = append(headers[lower], map[string]string{"key": name, "value": v})
		}
	}
	request := map[string]any{"clientIp": "127.0.0.1", "method": r.Method, "uri": r.URL.Path,
		"querystring": r.URL.RawQuery, "headers": headers}
	return map[string]any{"Records": []any{map[string]any{"cf": map[string]any{
		"config": map[string]string{"eventType": edgeoidc.EventType}, "request": request}}}}
}

// edgeResult is what the function returned: a response has a status; a request passed on has none.
type edgeResult struct {
	Result *struct {
		Status  string                         `json:"status"`
		Headers map[string][]map[string]string `json:"headers"`
		Body    string                         `json:"body"`
	} `json:"result"`
	Error string `json:"error"`
}

func (e *oidcEdge) close() { e.stop() }

// viewerRequest runs the function on r: it answers itself (sign-in, refusals, 503 when it fails, as
// CloudFront answers a failing function) or passes the request on with the headers it set.
func (e *oidcEdge) viewerRequest(w http.ResponseWriter, r *http.Request, _ string, log *logger) *http.Request {
	line, err := json.Marshal(edgeEvent(r))
	var res edgeResult
	if err == nil {
		e.mu.Lock()
		if _, err = e.in.Write(append(line, '\n')); err == nil {
			var out []byte
			if out, err = e.out.ReadBytes('\n'); err == nil {
				err = json.Unmarshal(out, &res)
			}
		}
		e.mu.Unlock()
	}
	if err == nil && (res.Error != "" || res.Result == nil) {
		err = fmt.Errorf("the function failed: %s", res.Error)
	}
	if err != nil {
		log.Printf("error: %s %s: the OIDC sign-in function: %v; CloudFront answers 503", r.Method, r.URL.Path, err)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return nil
	}
	if res.Result.Status == "" { // the request goes on
		passed := http.Header{}
		for name, values := range res.Result.Headers {
			for _, h := range values {
				passed[name] = append(passed[name], h["value"])
			}
		}
		return passedOn(r, passed)
	}
	status := 0
	if _, err := fmt.Sscan(res.Result.Status, &status); err != nil || status < 100 {
		status = http.StatusBadGateway
	}
	for _, values := range res.Result.Headers {
		for _, h := range values {
			w.Header().Add(h["key"], h["value"])
		}
	}
	w.WriteHeader(status)
	_, _ = io.WriteString(w, res.Result.Body)
	return nil
}
