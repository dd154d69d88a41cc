package verify

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"
)

// AcceptEncoding is what every GET asks for. The browser also asks for br, but Go's standard library has no
// Brotli decoder and none is in this module's dependencies, so OpenDash asks for gzip only: CloudFront then
// never answers br, and every body can be decoded and hashed.
const AcceptEncoding = "gzip"

// keepBytes is how much of a decoded body an answer keeps (for JSON and messages); the digest covers it all.
const keepBytes = 32 << 20

// Transient network errors are retried this many times in all, waiting retryWait, then twice that, between.
const defaultRetryWait = 250 * time.Millisecond

var (
	attempts  = 3
	retryWait = defaultRetryWait // tests set it to 0
)

// answer is one HTTP response, read in full.
type answer struct {
	status    int
	header    http.Header
	body      []byte // the decoded body, up to keepBytes
	sha256    string // hex SHA-256 of the whole decoded body
	decodeErr error  // the body could not be decoded (unknown or corrupt Content-Encoding)
}

// fetcher sends requests with retries for transient network errors only: an answer, whatever its status, is
// never retried.
type fetcher struct {
	client *http.Client
	auth   *siteAuth // nil: no credentials
}

// siteAuth is the Authorization header sent to the site's own scheme and host, and nowhere else.
type siteAuth struct {
	scheme, host, header string
}

// newClient is the standard client with timeouts on every stage; redirects are reported, never followed.
func newClient(base *http.Client, timeout time.Duration, conns int) *http.Client {
	var c http.Client
	if base != nil {
		c = *base
	} else {
		c.Transport = &http.Transport{
			Proxy:                 http.ProxyFromEnvironment,
			DialContext:           (&net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			TLSHandshakeTimeout:   10 * time.Second,
			ResponseHeaderTimeout: timeout,
			ForceAttemptHTTP2:     true,
			MaxIdleConnsPerHost:   conns,
			DisableCompression:    true, // Accept-Encoding is set by hand, and bodies decoded here
		}
	}
	c.Timeout = timeout
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &c
}

// fetch sends method url with body (nil for none) and header, and reads the answer.
func (f *fetcher) fetch(ctx context.Context, method, url string, body []byte, header http.Header) (*answer, error) {
	var last error
	for attempt := 1; attempt <= attempts; attempt++ {
		a, err := f.once(ctx, method, url, body, header)
		if err == nil || !transient(ctx, err) || attempt == attempts {
			return a, err
		}
		last = err
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(retryWait * time.Duration(1<<(attempt-1))):
		}
	}
	return nil, last
}

func (f *fetcher) once(ctx context.Context, method, url string, body []byte, header http.Header) (*answer, error) {
	var reader io.Reader
	if body != nil {
		reader = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, url, reader)
	if err != nil {
		return nil, err
	}
	for k, v := range header {
		req.Header[k] = v
	}
	if body != nil && req.Header.Get("X-Amz-Content-Sha256") == "" {
		// What the bundle's body-hash script adds in browsers: with originAuth "oac" Lambda refuses a body
		// without it; behind the edge signer it is recomputed, so it is harmless.
		sum := sha256.Sum256(body)
		req.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
	}
	if req.Header.Get("Accept-Encoding") == "" {
		req.Header.Set("Accept-Encoding", AcceptEncoding)
	}
	req.Header.Set("User-Agent", "open-dash-verify")
	if a := f.auth; a != nil && req.URL.Scheme == a.scheme && req.URL.Host == a.host {
		req.Header.Set("Authorization", a.header)
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	a := &answer{status: resp.StatusCode, header: resp.Header}
	decoded, err := decoder(resp)
	if err != nil {
		a.decodeErr = err
		decoded = resp.Body // still read it, so a broken connection is told apart from a bad encoding
	}
	h := sha256.New()
	var kept bytes.Buffer
	_, err = io.Copy(io.MultiWriter(h, &limitWriter{w: &kept, n: keepBytes}), decoded)
	if err != nil {
		var ce corruptError
		if errors.As(err, &ce) {
			a.decodeErr = err
		} else {
			return nil, err // the connection broke mid-body: transient
		}
	}
	a.body = kept.Bytes()
	a.sha256 = hex.EncodeToString(h.Sum(nil))
	return a, nil
}

// corruptError marks a body whose encoding is broken, as opposed to a connection that broke.
type corruptError struct{ error }

// decoder undoes the response's Content-Encoding (identity or gzip).
func decoder(resp *http.Response) (io.Reader, error) {
	switch enc := strings.ToLower(strings.TrimSpace(resp.Header.Get("Content-Encoding"))); enc {
	case "", "identity":
		return resp.Body, nil
	case "gzip":
		z, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("the body says Content-Encoding gzip but is not gzip: %v", err)
		}
		return &corruptReader{r: z}, nil
	default:
		return nil, fmt.Errorf("the body is encoded %q, which was not asked for (Accept-Encoding: %s)", enc, AcceptEncoding)
	}
}

// corruptReader tags gzip's own errors, so that fetch does not retry a corrupt body as a broken connection.
type corruptReader struct{ r *gzip.Reader }

func (c *corruptReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if err != nil && err != io.EOF && !isNetError(err) {
		err = corruptError{err}
	}
	return n, err
}

func isNetError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne)
}

// limitWriter keeps the first n bytes written to it and drops the rest without failing.
type limitWriter struct {
	w io.Writer
	n int
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// transient reports whether err is a network failure worth another try: not a name that does not resolve, a
// certificate that is not trusted, a malformed URL, or the run being stopped.
func transient(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return false
	}
	var dns *net.DNSError
	if errors.As(err, &dns) && dns.IsNotFound {
		return false
	}
	var unknownCA x509.UnknownAuthorityError
	var hostname x509.HostnameError
	var invalid x509.CertificateInvalidError
	if errors.As(err, &unknownCA) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return false
	}
	if strings.Contains(err.Error(), "unsupported protocol scheme") {
		return false
	}
	return true
}
