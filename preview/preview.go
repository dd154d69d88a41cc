// Package preview serves a bundle locally the way the deployed CloudFront distribution routes it: every request
// goes through the manifest's behaviors; S3 behaviors answer from the bundle's static files as a private
// bucket would, and server behaviors become Lambda function URL events handled by the bundle's real
// server-functions/default handler, running in a long-lived Python worker. Nothing is re-derived: routes,
// content types and cache headers all come from open-dash.output.json.
package preview

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/opendash/opendash/bundler/python"
	"github.com/opendash/opendash/manifest"
)

// Defaults for Options.
const (
	DefaultAddr         = "127.0.0.1:8080"
	DefaultTimeout      = 30 * time.Second // CloudFront's default origin response timeout
	DefaultStartTimeout = 2 * time.Minute  // importing Dash and building the app can be slow on a cold disk
)

// Options say what to serve and where.
type Options struct {
	// Dir is the bundle: the .open-dash folder that holds open-dash.output.json.
	Dir string
	// Addr is the listen address; "" means DefaultAddr. Port 0 picks a free port (see Server.URL).
	Addr string
	// Python runs the server function; "" means $VIRTUAL_ENV/bin/python, else python3 on PATH. It needs the
	// app's requirements installed, as the bundle's container image has them.
	Python string
	// Log receives one line per request ("GET /path 200 s3 1.2ms (behavior /assets/*)"), the server function's
	// stdout and stderr (prefixed "[server stdout] " and "[server stderr] "), and warnings. nil discards it.
	Log io.Writer
	// Timeout bounds one server function invocation; past it the viewer gets 504, as from CloudFront, and the
	// worker is restarted. 0 means DefaultTimeout.
	Timeout time.Duration
	// StartTimeout bounds a cold start of the worker (importing the handler). 0 means DefaultStartTimeout.
	StartTimeout time.Duration
	// OriginAuth answers like the deployed originAuth: OriginAuthEdge ("" too; bodies up to 1 MB) or
	// OriginAuthOAC (bodies up to 6 MB, refused without a matching x-amz-content-sha256).
	OriginAuth string
	// BasicAuth, when set, protects every behavior as the component's auth.basic does, by running the same
	// viewer-request CloudFront Function code: requests without one of these users answer 401.
	BasicAuth []Credential
	// OIDC, when set, runs the component's OIDC sign-in function (auth.oidc) in front of every behavior, in
	// Node.js, against the given provider; the callback URL is http://<preview host>/_opendash/callback.
	OIDC *OIDCOptions
	// Instances is how many Lambda instances (workers) serve requests, each with its own temporary folder;
	// requests go to the one idle longest. 0 means 1.
	Instances int
	// JobTimeout bounds one background callback job (the jobs function's timeout). 0 means DefaultJobTimeout.
	JobTimeout time.Duration
	// Env are NAME=value variables for the server function (and the jobs worker), over the preview's own
	// environment: what the component's `environment` and `secrets` give the function on AWS, under the same
	// names (`open-dash preview --env-file`). See CheckEnvName for the names refused.
	Env []string
}

// invoker runs server function invocations; *worker is the real one.
type invoker interface {
	invoke(ctx context.Context, requestID string, event []byte, timeout time.Duration) (json.RawMessage, error)
	close()
}

var _ invoker = (*worker)(nil)

// Server is a running preview.
type Server struct {
	m       *manifest.Manifest
	dir     string
	log     *logger
	fn      invoker // the server function: the Python worker, or a fake in tests
	timeout time.Duration
	// originAuth is OriginAuthEdge or OriginAuthOAC ("" counts as edge).
	originAuth string
	ln         net.Listener
	http       *http.Server

	auth viewerCheck // runs at viewer request: basic auth or OIDC sign-in; nil without either

	jobs *jobs  // background callback jobs; nil when the bundle has none
	tmp  string // the instances' temporary folders and the local job store, removed by Close

	served    chan struct{} // closed when Serve has returned; serveErr is then set
	serveErr  error
	closeOnce sync.Once
}

// Start reads the bundle's manifest, listens, and boots the server function worker. It returns once both are
// up, or with an error that names the file at fault and the fix (bad manifest, missing files, a handler that
// fails to import). Cancelling ctx stops the preview like Close.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Dir == "" {
		return nil, errors.New("no bundle folder given: pass the .open-dash folder written by `open-dash bundle`")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	m, err := manifest.Read(dir)
	if err != nil {
		return nil, err
	}
	warnings, err := checkFiles(dir, m)
	if err != nil {
		return nil, err
	}
	serverDir := filepath.Join(dir, filepath.FromSlash(m.Origins.Server.Dir))
	module := m.Origins.Server.Handler[:max(strings.LastIndex(m.Origins.Server.Handler, "."), 0)]
	handlerFile := filepath.Join(serverDir, filepath.FromSlash(strings.ReplaceAll(module, ".", "/"))+".py")
	if _, err := os.Stat(handlerFile); err != nil {
		return nil, fmt.Errorf("%s: the server function's handler %q is missing (%v); re-run `open-dash bundle`", handlerFile, m.Origins.Server.Handler, err)
	}
	py, err := python.System.Find(o.Python)
	if err != nil {
		return nil, err
	}
	originAuth, err := checkOriginAuth(o.OriginAuth)
	if err != nil {
		return nil, err
	}
	if err := checkEnv(o.Env); err != nil {
		return nil, err
	}
	mismatch, err := checkPython(ctx, py, dir, m)
	if err != nil {
		return nil, err
	}
	warnings = append(warnings, mismatch...)

	s := &Server{
		m:       m,
		dir:     dir,
		log:     &logger{w: o.Log},
		timeout: o.Timeout,
		served:  make(chan struct{}),

		originAuth: originAuth,
	}
	if s.log.w == nil {
		s.log.w = io.Discard
	}
	if s.auth, err = newViewerCheck(o, s.log); err != nil {
		return nil, err
	}
	if s.timeout <= 0 {
		s.timeout = DefaultTimeout
	}
	startTimeout := o.StartTimeout
	if startTimeout <= 0 {
		startTimeout = DefaultStartTimeout
	}
	pool, err := s.startInstances(py, serverDir, handlerFile, startTimeout, o)
	if err != nil {
		s.closeAuth()
		return nil, err
	}
	s.fn = pool

	addr := o.Addr
	if addr == "" {
		addr = DefaultAddr
	}
	s.ln, err = net.Listen("tcp", addr)
	if err != nil {
		s.closeInstances()
		s.closeAuth()
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, fmt.Errorf("%s is in use (another preview?): pass another --port, or --port 0 to pick a free one", addr)
		}
		return nil, fmt.Errorf("listening on %s: %w; choose another --host or --port (--port 0 picks a free one)", addr, err)
	}
	s.http = &http.Server{Handler: s, ReadHeaderTimeout: 30 * time.Second}
	go func() {
		if err := s.http.Serve(s.ln); !errors.Is(err, http.ErrServerClosed) {
			s.serveErr = err
		}
		close(s.served)
	}()
	go func() {
		select {
		case <-ctx.Done():
			s.Close()
		case <-s.served:
		}
	}()

	for _, warning := range warnings {
		s.log.Printf("warning: %s", warning)
	}
	version, err := pool.start(ctx)
	if err != nil {
		s.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("preview stopped while the server function was starting: %w", ctx.Err())
		}
		return nil, err
	}
	if want := m.Origins.Server.PythonVersion; !samePython(version, want) {
		s.log.Printf("warning: the preview runs the server function on Python %s (%s), the Lambda image on Python %s; behaviour may differ", version, py, want)
	}
	return s, nil // the caller announces it (open-dash preview prints one line: where, and how to stop)
}

// samePython reports whether the local interpreter's version (3.11.7) is the image's minor version (3.11).
func samePython(local, image string) bool {
	return image == "" || local == image || strings.HasPrefix(local, image+".")
}

// workerEnv is the worker's environment: the user's (for their virtualenv and credentials) plus what Lambda
// would set, and no bytecode files written into the bundle (they would end up in the next image).
func workerEnv(serverDir string) []string {
	return append(os.Environ(),
		"PYTHONUNBUFFERED=1",
		"PYTHONDONTWRITEBYTECODE=1",
		"LAMBDA_TASK_ROOT="+serverDir,
		"AWS_LAMBDA_FUNCTION_NAME=open-dash-preview",
		"AWS_LAMBDA_FUNCTION_VERSION=$LATEST",
		"OPEN_DASH_PREVIEW=1",
	)
}

// URL is where the preview listens, e.g. "http://127.0.0.1:8080" (an unspecified host is given as loopback).
func (s *Server) URL() string {
	addr := s.ln.Addr().(*net.TCPAddr)
	host := addr.IP.String()
	switch {
	case addr.IP == nil || addr.IP.IsUnspecified() && addr.IP.To4() != nil:
		host = "127.0.0.1"
	case addr.IP.IsUnspecified():
		host = "::1"
	}
	return "http://" + net.JoinHostPort(host, fmt.Sprint(addr.Port))
}

// Close stops the worker (and everything it started) and the HTTP server. It is safe to call more than once.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		// The workers first: requests waiting on them then fail fast instead of holding up the shutdown.
		s.closeInstances()
		s.closeAuth()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := s.http.Shutdown(ctx); err != nil {
			s.http.Close()
		}
		<-s.served
	})
	return s.serveErr
}

func (s *Server) closeAuth() {
	if s.auth != nil {
		s.auth.close()
	}
}

// Wait blocks until the preview stops (Close, or ctx given to Start cancelled) and returns why, if not asked.
func (s *Server) Wait() error {
	<-s.served
	return s.serveErr
}

// Via is the Via header on every answer of the preview (CloudFront's says "1.1 <id>.cloudfront.net (CloudFront)").
const Via = "1.1 open-dash-preview"

// ServeHTTP routes one viewer request as CloudFront would and logs it with the origin that answered:
// s3, server, cloudfront (a method the behavior refuses) or edge (an edge function answered: the signer
// refused a body, or the viewer-request function refused the credentials).
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	started := time.Now()
	rec := &statusRecorder{ResponseWriter: w}
	rec.Header().Set("Via", Via) // as CloudFront names itself; `open-dash verify` then names this log
	requestID := newRequestID()
	viewerURI := r.URL.RequestURI()

	if _, hasRoot := s.m.FileForKey(DefaultRootObject); r.URL.Path == "/" && hasRoot {
		// CloudFront's default root object: applied to the root URL before a behavior is chosen. The component
		// sets it only when the bundle has index.html (an app that protects "/" answers it itself).
		r = r.Clone(r.Context())
		r.URL.Path, r.URL.RawPath = "/"+DefaultRootObject, ""
	}
	b := s.m.Route(r.URL.EscapedPath())
	origin := b.Origin
	switch {
	case !slices.Contains(b.AllowedMethods, r.Method):
		origin = "cloudfront"
		rec.Header().Set("Content-Type", "text/html")
		rec.WriteHeader(http.StatusForbidden)
		fmt.Fprintf(rec, methodNotAllowedHTML, b.PathPattern)
	default:
		next := r
		if s.auth != nil {
			if next = s.auth.viewerRequest(rec, r, b.Origin, s.log); next == nil {
				origin = "edge" // the viewer-request function answered
				break
			}
		}
		if b.Origin == manifest.OriginS3 {
			s.serveS3(rec, next, s3Key(next.URL.Path), requestID)
		} else {
			origin = s.serveFunction(rec, next, requestID)
		}
	}
	s.log.Printf("%s %s %d %s %s (behavior %s)", r.Method, viewerURI, rec.status(), origin,
		time.Since(started).Round(100*time.Microsecond), b.PathPattern)
}

// statusRecorder remembers the status sent, for the log.
type statusRecorder struct {
	http.ResponseWriter
	code int
}

func (r *statusRecorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
	r.ResponseWriter.WriteHeader(code)
}

func (r *statusRecorder) Write(p []byte) (int, error) {
	if r.code == 0 {
		r.code = http.StatusOK
	}
	return r.ResponseWriter.Write(p)
}

func (r *statusRecorder) status() int {
	if r.code == 0 {
		return 499 // nothing sent: the viewer went away first
	}
	return r.code
}

// newRequestID makes a UUID-shaped id, as Lambda's and S3's request ids are.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
