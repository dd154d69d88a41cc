// Package serverimage builds the server function's Lambda container image without a Docker daemon
// (go-containerregistry), and pushes it.
//
// It works as google/ko does for Go: the base image's manifest for the target platform, plus layers made
// in-process, content-addressed and byte-for-byte reproducible. The Python parts run in the bundling Python:
// pip installs wheels for the TARGET platform (so an arm64 image builds on x86 without emulation) and
// py_compile writes the bytecode. Build returns an image ready to push; Push sends only what the registry
// lacks.
//
// The layers, in order (an asset edit, the most frequent change to a Dash app, rebuilds and pushes only the
// last one; the same split as the generated Dockerfile, bundler/serverfn/layers.go):
//
//	dependencies  requirements.txt installed into /var/lang/lib/python3.X/site-packages, with bytecode
//	app           the app, the handler and the generated files into /var/task, with bytecode
//	assets        the app's assets/ folder into /var/task/assets
package serverimage // import "github.com/opendash/opendash/serverimage"

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/serverfn"
)

// BuildOptions say what to build and for which platform.
type BuildOptions struct {
	Dir           string // the server function folder: <bundle>/server-functions/default
	Architecture  string // "x86_64" or "arm64" (manifest origins.server.architecture); "" means x86_64
	PythonVersion string // "3.11": the manifest's origins.server.pythonVersion; picks the default base and pip's --python-version
	// BaseImage is "" for public.ecr.aws/lambda/python:<PythonVersion>, else any reference (a tag, or a
	// pinned ...@sha256: digest; an index or a single-platform manifest).
	BaseImage string
	Python    string    // the bundling interpreter: runs pip and the bytecode compiler ("" = python3)
	Log       io.Writer // progress, one short line per step (nil = silent)

	// Handler is the image's CMD ("" = opendash_handler.handler, the manifest's origins.server.handler).
	Handler string
	// Keychain authenticates the base image pull; nil means authn.DefaultKeychain (Docker's and Podman's
	// config files, then anonymous: AWS's public base needs no login).
	Keychain authn.Keychain
	// Transport for registry requests; nil means go-containerregistry's default (HTTPS, and plain HTTP for
	// localhost, 127.0.0.1 and private addresses).
	Transport http.RoundTripper
	// Env is the environment pip and the compiler run in; nil means os.Environ(). pip's own settings
	// (PIP_INDEX_URL, PIP_EXTRA_INDEX_URL, PIP_FIND_LINKS, PIP_NO_INDEX, PIP_CACHE_DIR...) come from here.
	Env []string
	// CacheDir keeps finished dependency layers for reuse while requirements.txt, the target, the Python,
	// pip and its PIP_* settings are unchanged (depscache.go); "" means the OpenDash cache folder
	// ($OPENDASH_CACHE_DIR, else the user cache folder + /opendash) + /image-dependencies.
	CacheDir string
	// NoCache builds the dependencies layer afresh (new releases of unpinned transitive dependencies are
	// picked up) and keeps the result for the next build.
	NoCache bool
}

// Layer is one layer a build added (not the base's).
type Layer struct {
	Role   string // LayerDependencies, LayerApp or LayerAssets
	Digest string // "sha256:..." of the compressed blob
	Size   int64  // compressed size in bytes
	Files  int    // regular files in it
}

// Layer roles, in image order.
const (
	LayerDependencies = "dependencies"
	LayerApp          = "app"
	LayerAssets       = "assets"
)

// Image is a built image, ready to push.
type Image struct {
	Image        v1.Image // go-containerregistry image: base layers (remote, fetched only when pushed) + ours
	Digest       string   // "sha256:..." of the manifest
	BaseImage    string   // the base reference as given or defaulted
	BaseDigest   string   // the base's platform manifest digest: BaseImage@BaseDigest repeats the build exactly
	Architecture string   // "x86_64" or "arm64"
	Layers       []Layer  // the layers this build added, in order
	MediaType    string   // the manifest's media type (the base's: Docker v2 or OCI)
}

// Paths inside the image (AWS's Lambda Python base images).
const (
	TaskRoot   = "/var/task"                            // LAMBDA_TASK_ROOT: the app
	sitePrefix = "/var/lang/lib/python%s/site-packages" // where the base's own pip installs
)

// SitePackages is where the dependencies go for a Python minor version ("3.11").
func SitePackages(pythonMinor string) string { return fmt.Sprintf(sitePrefix, pythonMinor) }

// DefaultBase is AWS's Lambda base image for a Python minor version.
func DefaultBase(pythonMinor string) string { return serverfn.BaseImageRepo + ":" + pythonMinor }

// Build makes the image: the steps below, in order, each one a short progress line.
func Build(ctx context.Context, opts BuildOptions) (*Image, error) {
	b, err := newBuild(opts)
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(b.tmp)
	for _, s := range []struct {
		name string
		run  func(context.Context) error
	}{
		{"read source", b.readSource},           // what Build reads from Dir, sorted (source.go)
		{"check python", b.checkPython},         // the bundling Python is the image's minor version, with pip (pip.go)
		{"resolve base", b.resolveBase},         // the base's manifest for the target platform (base.go)
		{"install dependencies", b.installDeps}, // pip for the target platform, wheels only (pip.go)
		{"compile bytecode", b.compile},         // unchecked-hash .pyc at image paths (compile.go)
		{"make layers", b.makeLayers},           // deterministic tar+gzip layers (tar.go)
		{"configure", b.configure},              // CMD, working dir, history (config.go)
	} {
		start := time.Now()
		if err := s.run(ctx); err != nil {
			// A StepError, as the bundler's: `--json` reports the step apart from the message.
			return nil, &bundler.StepError{Step: "image build: " + s.name, Err: err}
		}
		b.logf("  %-22s %s %s", s.name, round(time.Since(start)), b.note)
		b.note = ""
	}
	return b.image, nil
}

// build is one Build in progress: every step reads what earlier steps left here.
type build struct {
	opts     BuildOptions
	minor    string // "3.11"
	platform v1.Platform
	tmp      string // scratch folder: pip's target, compiled bytecode
	note     string // the current step's detail for its progress line

	files    []sourceEntry // readSource
	py       pythonInfo    // checkPython
	base     v1.Image      // resolveBase
	baseRef  string
	baseDig  v1.Hash
	layerMT  mediaTypes
	site     string       // pip's --target (installDeps); "" when there is nothing to install
	deps     *builtLayer  // the dependencies layer, kept from an earlier build (installDeps), or nil
	depsHash string       // its key in the cache; "" when nothing is to be kept
	pyc      string       // root of the compiled bytecode, by image path (compile)
	layers   []builtLayer // makeLayers
	image    *Image       // configure
}

func newBuild(opts BuildOptions) (*build, error) {
	if opts.Architecture == "" {
		opts.Architecture = serverfn.ArchX86
	}
	platform, err := lambdaPlatform(opts.Architecture)
	if err != nil {
		return nil, err
	}
	minor, err := serverfn.PythonMinor(opts.PythonVersion)
	if err != nil {
		return nil, fmt.Errorf("image build: %w", err)
	}
	if !slices.Contains(serverfn.SupportedPythonMinors, minor) { // glibcMinor knows these bases
		return nil, fmt.Errorf("image build: AWS Lambda has no Python %s base image; supported: %s (the bundle's "+
			"origins.server.pythonVersion)", minor, strings.Join(serverfn.SupportedPythonMinors, ", "))
	}
	if opts.Dir == "" {
		return nil, fmt.Errorf("image build: no server function folder given (<bundle>/server-functions/default)")
	}
	if opts.Dir, err = filepath.Abs(opts.Dir); err != nil {
		return nil, err
	}
	if opts.Handler == "" {
		opts.Handler = serverfn.Handler
	}
	if opts.Env == nil {
		opts.Env = os.Environ()
	}
	tmp, err := os.MkdirTemp("", "open-dash-image-")
	if err != nil {
		return nil, fmt.Errorf("image build: scratch folder: %w", err)
	}
	return &build{opts: opts, minor: minor, platform: platform, tmp: tmp}, nil
}

func (b *build) logf(format string, args ...any) {
	if b.opts.Log != nil {
		fmt.Fprintf(b.opts.Log, format+"\n", args...)
	}
}

// lambdaPlatform maps a Lambda architecture to the OCI platform its image must have.
func lambdaPlatform(arch string) (v1.Platform, error) {
	switch arch {
	case serverfn.ArchX86:
		return v1.Platform{OS: "linux", Architecture: "amd64"}, nil
	case serverfn.ArchARM64:
		return v1.Platform{OS: "linux", Architecture: "arm64"}, nil
	}
	return v1.Platform{}, fmt.Errorf("image build: architecture %q is not one Lambda runs; use %s or %s",
		arch, serverfn.ArchX86, serverfn.ArchARM64)
}

func round(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
