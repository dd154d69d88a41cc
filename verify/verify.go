// Package verify proves that a live deployment serves its bundle: every static file by its key with the
// manifest's headers and digest, the index page and Dash Pages deep links, the routes only the server answers,
// one real Dash callback round trip through the edge signer and the server function, and (when told where they
// are) that the function URL, the bucket and plain http are closed. Everything it expects comes from the
// bundle's manifest; Run is the one entry point.
package verify

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/opendash/opendash/manifest"
)

// Defaults for Options.
const (
	DefaultConcurrency = 8
	// DefaultTimeout bounds one request; CloudFront gives up on an origin after 60 s at most, and a cold server
	// function that imports Dash takes seconds.
	DefaultTimeout = 90 * time.Second
)

// Check kinds, in report order.
const (
	KindStatic   = "static"   // a manifest file by its key
	KindPage     = "page"     // "/" and Dash Pages deep links
	KindRouting  = "routing"  // who answers: the server for its routes, nobody for a POST to a static path
	KindCallback = "callback" // one Dash callback round trip
	KindSignIn   = "signin"   // OIDC sign-in's own endpoints at the edge (Options.OIDC)
	KindClosed   = "closed"   // function URL, bucket and plain http refuse the public
)

var kinds = []string{KindStatic, KindPage, KindRouting, KindCallback, KindSignIn, KindClosed}

// Options say what to check and how.
type Options struct {
	// URL is the deployed site, as `pulumi stack output url` prints it (or the preview's http://127.0.0.1:8080).
	URL string
	// Dir is the bundle that was deployed: the folder holding open-dash.output.json.
	Dir string
	// FunctionURL, when set, is the server function's URL: unsigned GET and POST must answer 403.
	FunctionURL string
	// BucketURL, when set, is the bucket's S3 URL (https://<bucket>.s3.<region>.amazonaws.com): a key the bundle
	// holds must answer 403.
	BucketURL string
	// BasicAuth, "USER:PASSWORD", signs in to a site behind the component's auth.basic: sent with every request
	// to the site itself (its scheme and host only: never to the function URL, the bucket or plain http).
	BasicAuth string
	// OIDC says the site signs visitors in with OpenID Connect (the component's auth.oidc), which verify cannot
	// do: it then checks what needs no sign-in (every path asks a visitor without a session to sign in and
	// serves nothing, the sign-in's own endpoints answer, the rest stays closed) and notes what it skipped
	// (signedout.go).
	OIDC bool
	// Concurrency is how many requests are in flight at once; 0 means DefaultConcurrency.
	Concurrency int
	// Timeout bounds each request; 0 means DefaultTimeout.
	Timeout time.Duration
	// Log gets one line per failed check as it is found. nil discards.
	Log io.Writer
	// Progress, for a terminal only, gets a progress line rewritten in place. nil shows none.
	Progress io.Writer
	// Client replaces the standard HTTP client (tests pass a TLS test server's); its redirects and timeout are
	// overridden.
	Client *http.Client

	// httpURL is where the http→https redirect is checked; "" means URL with the http scheme and no port.
	httpURL string
}

// Check is one request and its verdict.
type Check struct {
	Kind    string `json:"kind"`
	Method  string `json:"method"`
	URL     string `json:"url"`           // the path on the site, or the full URL for other hosts
	Key     string `json:"key,omitempty"` // the manifest key checked, for static files and pages
	Status  int    `json:"status,omitempty"`
	Detail  string `json:"detail,omitempty"` // what was sent, when the URL does not say it
	OK      bool   `json:"ok"`
	Problem string `json:"problem,omitempty"` // what is wrong
	Fix     string `json:"fix,omitempty"`     // what to try
	// Skipped says why the check was not made (it counts as neither passed nor failed).
	Skipped string `json:"skipped,omitempty"`
}

// Count is the number of checks of a kind that passed and failed.
type Count struct {
	Passed  int `json:"passed"`
	Failed  int `json:"failed"`
	Skipped int `json:"skipped,omitempty"`
}

// Report is the outcome of Run: every check, in a stable order (by kind, then as planned).
type Report struct {
	URL     string           `json:"url"`
	BuildID string           `json:"buildId"`
	OK      bool             `json:"ok"`
	Counts  map[string]Count `json:"counts"`
	Checks  []Check          `json:"checks"`
}

// Failures returns the checks that failed, in report order.
func (r *Report) Failures() []Check {
	var out []Check
	for _, c := range r.Checks {
		if !c.OK {
			out = append(out, c)
		}
	}
	return out
}

// UnreachableError is returned when the site itself cannot be reached: one error instead of a failure per file.
type UnreachableError struct {
	URL string
	Err error
}

func (e *UnreachableError) Error() string {
	cause := e.Err
	var ue *url.Error
	if errors.As(cause, &ue) {
		cause = ue.Err // the URL is said once
	}
	return fmt.Sprintf("cannot reach %s: %v; check the URL (`pulumi stack output url`), your network and proxy settings", e.URL, cause)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// Run reads the bundle's manifest and checks the site at o.URL. The report says what passed and failed; the
// error is for what stops the run: no manifest, a bad URL or flag, a site that cannot be reached.
func Run(ctx context.Context, o Options) (*Report, error) {
	if o.Dir == "" {
		o.Dir = ".open-dash"
	}
	m, err := manifest.Read(o.Dir)
	if err != nil {
		return nil, err
	}
	site, err := parseURL("the site URL", o.URL)
	if err != nil {
		return nil, err
	}
	for _, u := range []struct{ name, value string }{{"--function-url", o.FunctionURL}, {"--bucket-url", o.BucketURL}} {
		if u.value != "" {
			if _, err := parseURL(u.name, u.value); err != nil {
				return nil, err
			}
		}
	}
	if o.Concurrency <= 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	r := &runner{
		o:    o,
		m:    m,
		site: strings.TrimSuffix(site.String(), "/"),
		f:    &fetcher{client: newClient(o.Client, o.Timeout, o.Concurrency)},
	}
	if o.BasicAuth != "" && o.OIDC {
		return nil, errors.New("basic auth and OIDC: a site signs in one way; give the basic-auth credentials of a " +
			"site behind auth.basic, or OIDC for a site behind auth.oidc")
	}
	if o.BasicAuth != "" {
		if user, _, ok := strings.Cut(o.BasicAuth, ":"); !ok || user == "" {
			return nil, fmt.Errorf("basic auth %q: want USER:PASSWORD", o.BasicAuth)
		}
		r.f.auth = &siteAuth{scheme: site.Scheme, host: site.Host,
			header: "Basic " + base64.StdEncoding.EncodeToString([]byte(o.BasicAuth))}
	}
	if r.o.httpURL == "" && site.Scheme == "https" {
		r.o.httpURL = "http://" + site.Hostname() + "/"
	}

	// One request first: a site that cannot be reached is one clear error, not one per file.
	root := r.prefix()
	if _, err := r.f.fetch(ctx, http.MethodGet, r.site+escape(root), nil, nil); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnreachableError{URL: r.site + root, Err: err}
	}
	if o.OIDC {
		return r.run(ctx, r.planSignedOut())
	}
	return r.run(ctx, r.plan())
}

func parseURL(name, raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%s %q is not an http(s) URL; give it like https://d111111abcdef8.cloudfront.net", name, raw)
	}
	return u, nil
}

// runner holds what every check needs.
type runner struct {
	o    Options
	m    *manifest.Manifest
	site string // scheme://host[:port], no trailing slash
	f    *fetcher
}

// task is one planned check; run returns its verdict, or an error when the site stopped answering.
type task struct {
	kind string
	run  func(ctx context.Context) (Check, error)
}

// run executes tasks o.Concurrency at a time and assembles the report. A network failure reaching the site
// (after retries) stops everything with an UnreachableError.
func (r *runner) run(ctx context.Context, tasks []task) (*Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make([]Check, len(tasks))
	var (
		mu      sync.Mutex
		done    int
		failed  int
		stopErr error
		wg      sync.WaitGroup
	)
	queue := make(chan int)
	for range min(r.o.Concurrency, len(tasks)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range queue {
				c, err := tasks[i].run(ctx)
				mu.Lock()
				if err != nil {
					if stopErr == nil && ctx.Err() == nil {
						stopErr = err
						cancel()
					}
					mu.Unlock()
					continue
				}
				results[i] = c
				done++
				if !c.OK {
					failed++
					r.clearProgress()
					if r.o.Log != nil {
						fmt.Fprintln(r.o.Log, FailureLine(c))
					}
				}
				r.progress(done, failed, len(tasks))
				mu.Unlock()
			}
		}()
	}
feed:
	for i := range tasks {
		select {
		case queue <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(queue)
	wg.Wait()
	r.clearProgress()
	if stopErr != nil {
		return nil, stopErr
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	rep := &Report{URL: r.site, BuildID: r.m.BuildID, OK: true, Counts: map[string]Count{}}
	for _, kind := range kinds {
		for i, c := range results {
			if tasks[i].kind != kind {
				continue
			}
			n := rep.Counts[kind]
			switch {
			case c.Skipped != "":
				n.Skipped++
			case c.OK:
				n.Passed++
			default:
				n.Failed++
				rep.OK = false
			}
			rep.Counts[kind] = n
			rep.Checks = append(rep.Checks, c)
		}
	}
	return rep, nil
}

func (r *runner) progress(done, failed, total int) {
	if r.o.Progress != nil {
		fmt.Fprintf(r.o.Progress, "\r\033[Kverify: %d/%d checks, %d failed", done, total, failed)
	}
}

func (r *runner) clearProgress() {
	if r.o.Progress != nil {
		fmt.Fprint(r.o.Progress, "\r\033[K")
	}
}

// prefix is where the browser finds the app: "/" or "/app/".
func (r *runner) prefix() string {
	p := r.m.App.RequestsPathnamePrefix
	if p == "" {
		return "/"
	}
	return p
}

// escape percent-encodes a path as a browser would send it.
func escape(p string) string {
	return (&url.URL{Path: p}).EscapedPath()
}

// siteError turns a failure to reach the site into the error that stops the run.
func (r *runner) siteError(path string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	return &UnreachableError{URL: r.site + path, Err: err}
}
