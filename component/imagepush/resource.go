// Package imagepush is the custom resource opendash:index:ServerImage: the push of a DashSite's server
// image (imageBuilder "native"). The opendash plugin serves it; the component registers it. It is a
// resource of its own, not code in the component, because only a resource's provider knows whether it
// runs for real: the engine calls Create and Update with a dry-run flag during `pulumi preview`, and never
// under `pulumi.RunWithMocks`, so nothing is built or pushed there.
package imagepush

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opendash/opendash/serverimage"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Token is the resource's Pulumi type token.
const Token = "opendash:index:ServerImage"

// Source is what an image is made of. A change to any of it is a new image; nothing else (the folder's
// path, the Python that runs pip, the registry's credentials) changes the resource.
type Source struct {
	SourceDigest  string `pulumi:"sourceDigest"`
	Architecture  string `pulumi:"architecture"`
	PythonVersion string `pulumi:"pythonVersion"`
	BaseImage     string `pulumi:"baseImage,optional"`
	RepositoryUrl string `pulumi:"repositoryUrl"`
}

// Args are the resource's inputs.
type Args struct {
	Source
	Dir    string `pulumi:"dir"`
	Python string `pulumi:"python,optional"`
	// The registry's credentials: the ECR token changes on every run, so they are never part of a diff.
	RegistryUsername string `pulumi:"registryUsername,optional" provider:"secret"`
	RegistryPassword string `pulumi:"registryPassword,optional" provider:"secret"`
}

// State is what the resource records: its source and the pushed image.
type State struct {
	Source
	Digest      string `pulumi:"digest"`
	ImageUri    string `pulumi:"imageUri"`
	Tag         string `pulumi:"tag"`
	BaseDigest  string `pulumi:"baseDigest"`
	BytesPushed int    `pulumi:"bytesPushed"`
}

// ServerImage is the resource's controller. Builder nil means the plugin's image builder.
type ServerImage struct {
	Builder Builder
}

// Annotate documents the resource for the schema.
func (r *ServerImage) Annotate(a infer.Annotator) {
	a.SetToken("index", "ServerImage")
	a.Describe(&r, "A DashSite server image, built without Docker from a bundle's server function folder and "+
		"pushed to a registry (imageBuilder \"native\"). Created by DashSite; not meant to be used on its own. "+
		"Deleting it deletes nothing: the repository's lifecycle policy expires old images.")
}

// Annotate documents the inputs.
func (s *Source) Annotate(a infer.Annotator) {
	a.Describe(&s.SourceDigest, "Digest of the server function folder: a new digest builds and pushes a new image.")
	a.Describe(&s.Architecture, "Lambda architecture of the image: x86_64 or arm64.")
	a.Describe(&s.PythonVersion, "Python minor version of the base image, e.g. 3.12.")
	a.Describe(&s.BaseImage, "Base image reference. Default: AWS's Lambda Python base image for pythonVersion.")
	a.Describe(&s.RepositoryUrl, "Repository to push to (registry host/name), e.g. an ECR repository's URL.")
}

// Annotate documents the inputs that are not the image's source.
func (in *Args) Annotate(a infer.Annotator) {
	a.Describe(&in.Dir, "The server function folder (relative to the program's folder, or absolute).")
	a.Describe(&in.Python, "Python that runs pip for the dependencies layer. Default: python3 on PATH.")
	a.Describe(&in.RegistryUsername, "Registry user name. Default: anonymous.")
	a.Describe(&in.RegistryPassword, "Registry password (ECR: the authorization token's).")
}

// Annotate documents the outputs.
func (s *State) Annotate(a infer.Annotator) {
	a.Describe(&s.Digest, "The image manifest's digest, sha256:<hex>.")
	a.Describe(&s.ImageUri, "The image by digest, repositoryUrl@sha256:<hex>: what a Lambda function runs.")
	a.Describe(&s.Tag, "The image's own tag in the repository ("+TagPrefix+"<start of the digest>); the "+
		"newest push is also tagged "+LiveTag+".")
	a.Describe(&s.BaseDigest, "The digest of the base image the image was built on.")
	a.Describe(&s.BytesPushed, "Bytes the last push sent: layers the registry already had are not sent.")
}

// WireDependencies: the outputs come from the image's source alone (a change to it leaves them unknown
// in a preview), and are never secret (the credentials flow into nothing).
func (r *ServerImage) WireDependencies(f infer.FieldSelector, args *Args, state *State) {
	source := []infer.InputField{f.InputField(&args.SourceDigest), f.InputField(&args.Architecture),
		f.InputField(&args.PythonVersion), f.InputField(&args.BaseImage), f.InputField(&args.RepositoryUrl)}
	for _, out := range []any{&state.Digest, &state.ImageUri, &state.Tag, &state.BaseDigest, &state.BytesPushed} {
		f.OutputField(out).DependsOn(source...)
		f.OutputField(out).NeverSecret()
	}
}

// Create builds and pushes the image; during preview it only says the outputs are unknown.
func (r *ServerImage) Create(ctx context.Context, req infer.CreateRequest[Args]) (infer.CreateResponse[State], error) {
	if req.DryRun {
		return infer.CreateResponse[State]{Output: State{Source: req.Inputs.Source}}, nil
	}
	state, err := r.push(ctx, req.Inputs)
	if err != nil {
		return infer.CreateResponse[State]{}, err
	}
	return infer.CreateResponse[State]{ID: req.Name, Output: state}, nil
}

// Update pushes the image of a changed source (Diff lets nothing else through).
func (r *ServerImage) Update(ctx context.Context, req infer.UpdateRequest[Args, State]) (infer.UpdateResponse[State], error) {
	if req.DryRun {
		out := req.State
		out.Source = req.Inputs.Source
		return infer.UpdateResponse[State]{Output: out}, nil
	}
	state, err := r.push(ctx, req.Inputs)
	if err != nil {
		return infer.UpdateResponse[State]{}, err
	}
	return infer.UpdateResponse[State]{Output: state}, nil
}

// Diff reports a change only when the image's source changed; every change is an update (a new push to
// the repository), never a replacement: the old image stays for the function until it moves.
func (r *ServerImage) Diff(_ context.Context, req infer.DiffRequest[Args, State]) (infer.DiffResponse, error) {
	changed := req.State.Source.changes(req.Inputs.Source)
	diff := make(map[string]p.PropertyDiff, len(changed))
	for _, k := range changed {
		diff[k] = p.PropertyDiff{Kind: p.Update, InputDiff: true}
	}
	return infer.DiffResponse{HasChanges: len(changed) > 0, DetailedDiff: diff}, nil
}

// changes names the fields of s that differ in o.
func (s Source) changes(o Source) []string {
	var out []string
	for _, f := range []struct {
		name     string
		old, new string
	}{
		{"sourceDigest", s.SourceDigest, o.SourceDigest},
		{"architecture", s.Architecture, o.Architecture},
		{"pythonVersion", s.PythonVersion, o.PythonVersion},
		{"baseImage", s.BaseImage, o.BaseImage},
		{"repositoryUrl", s.RepositoryUrl, o.RepositoryUrl},
	} {
		if f.old != f.new {
			out = append(out, f.name)
		}
	}
	return out
}

// push builds the image, pushes it under its own tag, then moves LiveTag to it. A failure leaves the
// previous state (and so the functions' image) as it was.
func (r *ServerImage) push(ctx context.Context, in Args) (State, error) {
	repo := strings.TrimSuffix(in.RepositoryUrl, "/")
	if _, err := name.NewRepository(repo); err != nil {
		return State{}, fmt.Errorf("repositoryUrl %q is not a repository reference (registry/name): %w", repo, err)
	}
	log := progress(ctx)
	builder := r.Builder
	if builder == nil {
		builder = defaultBuilder
	}
	img, err := builder.Build(ctx, serverimage.BuildOptions{Dir: in.Dir, Architecture: in.Architecture,
		PythonVersion: in.PythonVersion, BaseImage: in.BaseImage, Python: in.Python, Log: log})
	if err != nil {
		return State{}, fmt.Errorf("building the server image from %s: %w", in.Dir, err)
	}
	auth := authn.Anonymous
	if in.RegistryUsername != "" || in.RegistryPassword != "" {
		auth = &authn.Basic{Username: in.RegistryUsername, Password: in.RegistryPassword}
	}
	tag := Tag(img.Digest)
	pushed, err := builder.Push(ctx, img, serverimage.PushOptions{Repository: repo, Tag: tag, Auth: auth, Log: log})
	if err != nil {
		return State{}, fmt.Errorf("pushing the server image to %s: %w", repo, err)
	}
	live, err := name.NewTag(repo + ":" + LiveTag)
	if err != nil {
		return State{}, err
	}
	if err := remote.Tag(live, img.Image, remote.WithAuth(auth), remote.WithContext(ctx)); err != nil {
		return State{}, fmt.Errorf("tagging the server image %s as %s in %s (so the lifecycle policy keeps it): %w",
			img.Digest, LiveTag, repo, err)
	}
	return State{
		Source:      in.Source,
		Digest:      img.Digest,
		ImageUri:    repo + "@" + img.Digest,
		Tag:         tag,
		BaseDigest:  img.BaseDigest,
		BytesPushed: int(pushed.BytesPushed),
	}, nil
}

// defaultBuilder is the plugin's image builder.
var defaultBuilder Builder = library{}

// progress writes the builder's progress lines as the resource's status in the engine's display.
func progress(ctx context.Context) *lineWriter {
	logger := p.GetLogger(ctx)
	return &lineWriter{emit: logger.InfoStatus}
}

// lineWriter hands each complete line written to it to emit. The builder writes from several goroutines
// at once (layers upload in parallel), so writes are serialised.
type lineWriter struct {
	emit func(string)
	mu   sync.Mutex
	buf  []byte
}

func (w *lineWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, b...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(b), nil
		}
		if line := strings.TrimSpace(string(w.buf[:i])); line != "" {
			w.emit(line)
		}
		w.buf = w.buf[i+1:]
	}
}
