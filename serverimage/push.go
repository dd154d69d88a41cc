package serverimage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/opendash/opendash/bundler"
)

// Pushing: go-containerregistry's remote.Write asks the registry for each blob first (HEAD) and uploads
// only what it lacks, retrying throttling (429) and server errors (5xx) with backoff. A transport beneath
// it watches the requests to report which layers were uploaded and how many bytes went out.

// PushOptions say where the image goes.
type PushOptions struct {
	// Repository is REGISTRY/REPOSITORY: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/site-server",
	// "127.0.0.1:5000/site" (localhost, 127.0.0.1 and private addresses are spoken to over plain HTTP).
	Repository string
	// Tag names the push; "" means "opendash-" and the first 12 digits of the image digest. Every push is
	// tagged: ECR lifecycle rules that expire untagged images must never expire a live digest.
	Tag  string
	Auth authn.Authenticator // nil = anonymous
	Log  io.Writer           // one line per layer uploaded or already there (nil = silent)
	// Transport for registry requests; nil means go-containerregistry's default.
	Transport http.RoundTripper
}

// PushedLayer is one layer of the pushed manifest (the base's included, in manifest order).
type PushedLayer struct {
	Digest string
	Size   int64
	Pushed bool   // false: the registry had it (or mounted it from another of its repositories)
	Role   string // LayerDependencies, LayerApp, LayerAssets, or "base"
}

// Pushed is the result of a push.
type Pushed struct {
	Reference   string // repository@sha256:...: what a Lambda function's image URI should be
	Digest      string
	Tag         string // repository:tag
	Layers      []PushedLayer
	BytesPushed int64 // request bodies sent: blobs uploaded and the manifest
}

// LayerBase is the role Pushed gives the base image's layers.
const LayerBase = "base"

// pushBackoff is how remote.Write retries a throttled or failed request: 1 s, 2 s, 4 s, 8 s, 16 s.
var pushBackoff = remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 6}

// retryStatuses are the answers worth another try: throttling (429, ECR's TooManyRequests), timeouts
// and server errors.
var retryStatuses = []int{http.StatusRequestTimeout, http.StatusTooManyRequests, http.StatusInternalServerError,
	http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout}

// Push uploads the image to opts.Repository under opts.Tag and returns its digest reference.
func Push(ctx context.Context, img *Image, opts PushOptions) (*Pushed, error) {
	if img == nil || img.Image == nil {
		return nil, errors.New("image push: no image (build it first)")
	}
	repo, err := name.NewRepository(opts.Repository)
	if err != nil {
		return nil, fmt.Errorf("image push: %q is not a repository (REGISTRY/NAME, e.g. "+
			"123456789012.dkr.ecr.eu-west-1.amazonaws.com/site or 127.0.0.1:5000/site): %w", opts.Repository, err)
	}
	if opts.Tag == "" {
		opts.Tag = "opendash-" + strings.TrimPrefix(img.Digest, "sha256:")[:12]
	}
	tag, err := name.NewTag(repo.String()+":"+opts.Tag, name.StrictValidation)
	if err != nil {
		return nil, fmt.Errorf("image push: tag %q: %w", opts.Tag, err)
	}
	roles, layers, err := layerRoles(img)
	if err != nil {
		return nil, err
	}
	w := &watch{base: opts.Transport, roles: roles, log: opts.Log, uploaded: map[string]bool{}}
	if w.base == nil {
		w.base = remote.DefaultTransport
	}
	auth := opts.Auth
	if auth == nil {
		auth = authn.Anonymous
	}
	start := time.Now()
	err = remote.Write(tag, img.Image, remote.WithContext(ctx), remote.WithAuth(auth), remote.WithTransport(w),
		remote.WithRetryBackoff(pushBackoff), remote.WithRetryStatusCodes(retryStatuses...))
	if err != nil {
		return nil, pushError(repo, err)
	}
	out := &Pushed{Reference: repo.Digest(img.Digest).String(), Digest: img.Digest, Tag: tag.String(),
		BytesPushed: w.sent.Load()}
	for _, l := range layers {
		out.Layers = append(out.Layers, PushedLayer{Digest: l.Digest, Size: l.Size, Role: l.Role, Pushed: w.wasUploaded(l.Digest)})
	}
	if opts.Log != nil {
		fmt.Fprintf(opts.Log, "  pushed %s (%s sent in %s)\n", out.Reference, bundler.HumanBytes(out.BytesPushed), round(time.Since(start)))
	}
	return out, nil
}

// layerRoles lists the manifest's layers with their roles: ours by digest, every other one the base's.
func layerRoles(img *Image) (map[string]string, []Layer, error) {
	roles := map[string]string{}
	for _, l := range img.Layers {
		roles[l.Digest] = l.Role
	}
	m, err := img.Image.Manifest()
	if err != nil {
		return nil, nil, fmt.Errorf("image push: %w", err)
	}
	var all []Layer
	for _, d := range m.Layers {
		role := roles[d.Digest.String()]
		if role == "" {
			role = LayerBase
			roles[d.Digest.String()] = role
		}
		all = append(all, Layer{Role: role, Digest: d.Digest.String(), Size: d.Size})
	}
	roles[m.Config.Digest.String()] = "config"
	return roles, all, nil
}

// pushError names the registry and says what to check for the usual causes.
func pushError(repo name.Repository, err error) error {
	hint := "check that this machine reaches the registry"
	var terr *transport.Error
	var nerr net.Error
	switch {
	case errors.As(err, &terr):
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			hint = "the registry refused the credentials: log in again (ECR tokens last 12 hours; " +
				"aws ecr get-login-password), and check the role may push to this repository"
		case http.StatusNotFound:
			hint = "the repository does not exist: create it first (ECR: aws ecr create-repository; the " +
				"component creates its own)"
		case http.StatusTooManyRequests:
			hint = "the registry kept throttling after several retries: push again in a minute"
		}
	case errors.As(err, &nerr):
		hint = "the registry did not answer: check the address, the network and any proxy (HTTPS_PROXY)"
	}
	return fmt.Errorf("image push to %s: %w\n  hint: %s", repo.RegistryStr(), err, hint)
}

// watch is the transport beneath remote.Write: it counts request bodies and notes blob uploads (the
// PUT that completes an upload, ?digest=...) and blobs the registry already has (HEAD answered 200).
type watch struct {
	base  http.RoundTripper
	roles map[string]string
	log   io.Writer

	sent     atomic.Int64
	mu       sync.Mutex
	uploaded map[string]bool
}

var (
	blobHead   = regexp.MustCompile(`/v2/.+/blobs/(sha256:[0-9a-f]{64})$`)
	uploadDone = regexp.MustCompile(`(?:^|&)digest=(sha256(?::|%3A)[0-9a-f]{64})`)
)

func (w *watch) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil && req.Body != http.NoBody && (req.Method == http.MethodPut || req.Method == http.MethodPatch || req.Method == http.MethodPost) {
		req = req.Clone(req.Context())
		req.Body = &countingBody{ReadCloser: req.Body, n: &w.sent}
	}
	resp, err := w.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch {
	case req.Method == http.MethodHead && resp.StatusCode == http.StatusOK:
		if m := blobHead.FindStringSubmatch(req.URL.Path); m != nil {
			w.note(m[1], "already there")
		}
	case req.Method == http.MethodPut && resp.StatusCode == http.StatusCreated && strings.Contains(req.URL.Path, "/blobs/uploads/"):
		if m := uploadDone.FindStringSubmatch(req.URL.RawQuery); m != nil {
			digest := strings.Replace(m[1], "%3A", ":", 1)
			w.mu.Lock()
			w.uploaded[digest] = true
			w.mu.Unlock()
			w.note(digest, "pushed")
		}
	case req.Method == http.MethodPost && resp.StatusCode == http.StatusCreated && req.URL.Query().Get("mount") != "":
		w.note(req.URL.Query().Get("mount"), "mounted from "+req.URL.Query().Get("from"))
	}
	return resp, nil
}

func (w *watch) note(digest, what string) {
	if w.log == nil {
		return
	}
	role := w.roles[digest]
	if role == "" {
		return // not a blob of this image (cannot happen) or an unknown request: stay quiet
	}
	w.mu.Lock() // uploads run in parallel
	defer w.mu.Unlock()
	fmt.Fprintf(w.log, "  %-13s %s %s\n", role, short(digest), what)
}

func (w *watch) wasUploaded(digest string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.uploaded[digest]
}

// short is a digest as people read it: sha256:0123456789ab.
func short(digest string) string {
	if len(digest) > len("sha256:")+12 {
		return digest[:len("sha256:")+12]
	}
	return digest
}

type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}
