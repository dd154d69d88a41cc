package imagepush

import (
	"context"

	"github.com/opendash/opendash/serverimage"
)

// Builder builds the server image from a bundle's server function folder and pushes it: package
// serverimage in the plugin, a fake in tests that need no Python.
type Builder interface {
	Build(ctx context.Context, opts serverimage.BuildOptions) (*serverimage.Image, error)
	Push(ctx context.Context, img *serverimage.Image, opts serverimage.PushOptions) (*serverimage.Pushed, error)
}

// library is package serverimage: the plugin's image builder.
type library struct{}

func (library) Build(ctx context.Context, opts serverimage.BuildOptions) (*serverimage.Image, error) {
	return serverimage.Build(ctx, opts)
}

func (library) Push(ctx context.Context, img *serverimage.Image, opts serverimage.PushOptions) (*serverimage.Pushed, error) {
	return serverimage.Push(ctx, img, opts)
}
