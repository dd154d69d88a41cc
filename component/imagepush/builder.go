package imagepush

import (
	"context"
	"errors"
	"io"

	"github.com/google/go-containerregistry/pkg/authn"
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Builder builds the server image from a bundle's server function folder and pushes it: the image
// builder library (package serverimage) in the plugin, a fake in tests. Its types follow serverimage's.
type Builder interface {
	Build(ctx context.Context, opts BuildOptions) (*Image, error)
	Push(ctx context.Context, img *Image, opts PushOptions) (*Pushed, error)
}

// BuildOptions say what to build: the folder, the Lambda architecture, the base image's Python minor
// version, a base image reference ("" for AWS's Lambda Python base) and the Python that runs pip.
type BuildOptions struct {
	Dir, Architecture, PythonVersion, BaseImage, Python string
	Log                                                 io.Writer
}

// Image is a built image and what it was built from.
type Image struct {
	Image      v1.Image
	Digest     string // sha256:<hex> of the manifest
	BaseDigest string // the resolved base image's digest
}

// PushOptions say where to push: a repository (registry/name), one tag, the registry's credentials.
type PushOptions struct {
	Repository, Tag string
	Auth            authn.Authenticator
	Log             io.Writer
}

// Pushed is what a push sent: the layers the registry lacked, and their bytes.
type Pushed struct {
	Reference    string
	LayersPushed int
	BytesPushed  int64
}

// errNoBuilder is what a plugin without the image builder answers.
var errNoBuilder = errors.New("this opendash plugin has no image builder; build it from a checkout with " +
	"the serverimage package, or set imageBuilder: docker")

// missingBuilder stands in until the serverimage package is wired in.
type missingBuilder struct{}

func (missingBuilder) Build(context.Context, BuildOptions) (*Image, error) { return nil, errNoBuilder }

func (missingBuilder) Push(context.Context, *Image, PushOptions) (*Pushed, error) {
	return nil, errNoBuilder
}
