package serverimage

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// The base: AWS publishes each Lambda base image as an index of one manifest per platform. The image we
// build is that platform's manifest plus our layers: one single-platform manifest, never an index (Lambda
// refuses indexes with attestations), in the base's own media types (Docker v2 with gzip layers for AWS's
// bases), so nothing in it is a layout Lambda has not run before.

// mediaTypes are the manifest and layer media types the built image uses: the base's.
type mediaTypes struct {
	manifest types.MediaType
	layer    types.MediaType
}

// layerTypeFor picks the gzip layer type that matches a manifest type.
func layerTypeFor(manifest types.MediaType) (mediaTypes, error) {
	switch manifest {
	case types.DockerManifestSchema2:
		return mediaTypes{manifest, types.DockerLayer}, nil
	case types.OCIManifestSchema1:
		return mediaTypes{manifest, types.OCILayer}, nil
	}
	return mediaTypes{}, fmt.Errorf("its manifest is %s; the builder takes Docker v2 (%s) or OCI (%s) manifests",
		manifest, types.DockerManifestSchema2, types.OCIManifestSchema1)
}

// resolveBase fetches the base's manifest for the target platform (its layers are fetched only by a push
// to a registry that lacks them).
func (b *build) resolveBase(ctx context.Context) error {
	b.baseRef = b.opts.BaseImage
	if b.baseRef == "" {
		b.baseRef = DefaultBase(b.minor)
	}
	img, digest, err := pullBase(ctx, b.baseRef, b.platform, b.remoteOptions(ctx))
	if err != nil {
		return err
	}
	mt, err := img.MediaType()
	if err != nil {
		return fmt.Errorf("base image %s: %w", b.baseRef, err)
	}
	if b.layerMT, err = layerTypeFor(mt); err != nil {
		return fmt.Errorf("base image %s: %w", b.baseRef, err)
	}
	b.base, b.baseDig = img, digest
	b.note = fmt.Sprintf("%s@%s (%s)", b.baseRef, digest, b.platform)
	return nil
}

func (b *build) remoteOptions(ctx context.Context) []remote.Option {
	kc := b.opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if b.opts.Transport != nil {
		opts = append(opts, remote.WithTransport(b.opts.Transport))
	}
	return opts
}

// pullBase resolves ref to the manifest for platform: from an index, the entry for that platform; a
// single manifest must be for that platform already.
func pullBase(ctx context.Context, ref string, want v1.Platform, opts []remote.Option) (v1.Image, v1.Hash, error) {
	r, err := name.ParseReference(ref)
	if err != nil {
		return nil, v1.Hash{}, fmt.Errorf("base image %q is not an image reference (REGISTRY/REPOSITORY:TAG or "+
			"...@sha256:DIGEST): %w", ref, err)
	}
	desc, err := remote.Get(r, opts...)
	if err != nil {
		return nil, v1.Hash{}, pullError(ref, err)
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, v1.Hash{}, pullError(ref, err)
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, v1.Hash{}, pullError(ref, err)
		}
		var seen []string
		for _, m := range im.Manifests {
			if m.Platform == nil || !m.MediaType.IsImage() {
				continue
			}
			if platformMatches(*m.Platform, want) {
				img, err := idx.Image(m.Digest)
				if err != nil {
					return nil, v1.Hash{}, pullError(ref, err)
				}
				return img, m.Digest, nil
			}
			seen = append(seen, m.Platform.String())
		}
		return nil, v1.Hash{}, fmt.Errorf("base image %s has no manifest for %s (it has: %s); give a base "+
			"published for that platform with --base-image", ref, want, strings.Join(seen, ", "))
	}
	img, err := desc.Image()
	if err != nil {
		return nil, v1.Hash{}, pullError(ref, err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		return nil, v1.Hash{}, pullError(ref, err)
	}
	got := v1.Platform{OS: cfg.OS, Architecture: cfg.Architecture, Variant: cfg.Variant}
	if !platformMatches(got, want) {
		return nil, v1.Hash{}, fmt.Errorf("base image %s is an image for %s, the function runs on %s: give the "+
			"base's index or its %s manifest", ref, got, want, want)
	}
	return img, desc.Digest, nil
}

// platformMatches compares OS and architecture; arm64's variant is v8 or unset, both the same CPU.
func platformMatches(got, want v1.Platform) bool {
	if got.OS != want.OS || got.Architecture != want.Architecture {
		return false
	}
	return got.Variant == want.Variant || (got.Architecture == "arm64" && (got.Variant == "" || got.Variant == "v8"))
}

// pullError names the base and says what to check for the usual causes.
func pullError(ref string, err error) error {
	hint := "check the reference and that this machine reaches the registry; behind a firewall, point " +
		"--base-image (or the component's baseImage) at a mirror of the image"
	var terr *transport.Error
	if errors.As(err, &terr) {
		switch terr.StatusCode {
		case 401, 403:
			hint = "the registry refused this machine's credentials for it (public.ecr.aws needs none: a stale " +
				"login in ~/.docker/config.json for it can cause this; remove it or log in again)"
		case 404:
			hint = "the registry has no such image: check the repository and tag, or the digest"
		}
	}
	return fmt.Errorf("base image %s: %w\n  hint: %s", ref, err, hint)
}
