package component

import (
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/version"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	ecrx "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Image builders (the imageBuilder argument).
const (
	// ImageBuilderNative builds the server image in-process, without Docker, and pushes it with the
	// opendash plugin's ServerImage resource.
	ImageBuilderNative = "native"
	// ImageBuilderDocker builds it with the Docker daemon from the bundle's Dockerfile (awsx's ecr.Image).
	ImageBuilderDocker = "docker"

	// KeepImages is how many images the native builder's repository keeps besides the live one, for
	// rollbacks; its lifecycle policy expires older ones.
	KeepImages = 10
)

// imageBuilder puts the bundle's server image in a registry, and returns the image the server and jobs
// functions run: a reference by digest, so a new image is a new value and an unchanged one changes nothing.
type imageBuilder interface {
	image(ctx *pulumi.Context, name string, b *siteBundle, s *settings, opts []pulumi.ResourceOption) (pulumi.StringOutput, error)
}

// builderFor returns the image builder an (already checked) imageBuilder argument names.
func builderFor(s *settings) imageBuilder {
	if s.ImageBuilder == ImageBuilderDocker {
		return dockerImage{}
	}
	return nativeImage{}
}

// resolveImageBuilder checks imageBuilder and baseImage and returns imageBuilder with its default.
func resolveImageBuilder(dashSite string, args *DashSiteArgs) (string, error) {
	switch args.ImageBuilder {
	case "", ImageBuilderNative:
		if args.BaseImage != "" {
			if _, err := name.ParseReference(args.BaseImage); err != nil {
				return "", fmt.Errorf("DashSite %q: baseImage %q is not an image reference (REGISTRY/REPOSITORY:TAG or "+
					"REGISTRY/REPOSITORY@sha256:DIGEST): %w", dashSite, args.BaseImage, err)
			}
		}
		return ImageBuilderNative, nil
	case ImageBuilderDocker:
		if args.BaseImage != "" {
			return "", fmt.Errorf("DashSite %q: baseImage (%s) is for imageBuilder %q; with %q the bundle's "+
				"Dockerfile names the base: drop baseImage or use imageBuilder %q", dashSite, args.BaseImage,
				ImageBuilderNative, ImageBuilderDocker, ImageBuilderNative)
		}
		return ImageBuilderDocker, nil
	}
	return "", fmt.Errorf("DashSite %q: imageBuilder %q is neither %q (build without Docker, the default) nor %q "+
		"(build with the Docker daemon)", dashSite, args.ImageBuilder, ImageBuilderNative, ImageBuilderDocker)
}

// dockerImage is awsx's repository and image: the Docker daemon builds the bundle's Dockerfile.
type dockerImage struct{}

func (dockerImage) image(ctx *pulumi.Context, name string, b *siteBundle, s *settings, opts []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	t := &s.transform
	origin := b.manifest.Origins.Server
	platform, err := platformOf(origin.Architecture)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("DashSite %q: %s: %w", name, b.dir, err)
	}
	repo, err := ecrx.NewRepository(ctx, name+"-server-repo", with(t.Repository, &ecrx.RepositoryArgs{
		ForceDelete: pulumi.Bool(true), // images are rebuilt from the bundle: destroy must not stall on them
	}), opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// Lambda rejects an image index with attestations. awsx v2.22.0's Image has no provenance or SBOM switch:
	// it is pulumi-docker v4's Image, which sends the build to the Docker Engine API (BuilderVersion picks the
	// classic builder or BuildKit). Attestations are added when the client asks for them, as the buildx CLI
	// does by default, and this path does not ask; not verified here (no Docker daemon).
	image, err := ecrx.NewImage(ctx, name+"-server-image", with(t.Image, &ecrx.ImageArgs{
		RepositoryUrl: repo.Url,
		Context:       pulumi.String(b.path(origin.Dir)),
		Dockerfile:    pulumi.String(b.path(origin.Dockerfile)),
		Platform:      pulumi.String(platform),
	}), opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return image.ImageUri, nil
}

// platformOf maps a Lambda architecture to the Docker platform its image is built for.
func platformOf(arch string) (string, error) {
	switch arch {
	case ArchX86_64:
		return "linux/amd64", nil
	case ArchARM64:
		return "linux/arm64", nil
	}
	return "", fmt.Errorf("architecture %q is neither %s nor %s", arch, ArchX86_64, ArchARM64)
}

// nativeImage is an ECR repository with a lifecycle policy, and the opendash plugin's ServerImage, which
// builds the image in-process and pushes it with the stack's own AWS credentials.
type nativeImage struct{}

// serverImage is the ServerImage resource as a Go program sees it.
type serverImage struct {
	pulumi.CustomResourceState
	Digest   pulumi.StringOutput `pulumi:"digest"`
	ImageUri pulumi.StringOutput `pulumi:"imageUri"`
}

func (nativeImage) image(ctx *pulumi.Context, name string, b *siteBundle, s *settings, opts []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	t := &s.transform
	origin := b.manifest.Origins.Server
	dir := b.path(origin.Dir)
	digest, err := sourceDigest(dir)
	if err != nil {
		return pulumi.StringOutput{}, fmt.Errorf("DashSite %q: reading the server function folder %s: %w", name, dir, err)
	}
	repo, err := ecr.NewRepository(ctx, name+"-server-repo", with(t.ImageRepository, &ecr.RepositoryArgs{
		ForceDelete:        pulumi.Bool(true),        // images are rebuilt from the bundle: destroy must not stall on them
		ImageTagMutability: pulumi.String("MUTABLE"), // the live tag moves to each new image
	}), opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	_, err = ecr.NewLifecyclePolicy(ctx, name+"-server-repo-lifecycle", with(t.ImageLifecyclePolicy, &ecr.LifecyclePolicyArgs{
		Repository: repo.Name,
		Policy:     pulumi.String(imagepush.LifecyclePolicy(KeepImages)),
	}), opts...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	// The repository as parent: the token comes from the provider (region, profile, role) that made it, for
	// that provider's own registry, where the repository is. Asked without the repository's outputs, so it is
	// known in a preview too (an unknown secret input would be one more unknown for mocks to echo back).
	token := ecr.GetAuthorizationTokenOutput(ctx, ecr.GetAuthorizationTokenOutputArgs{}, pulumi.Parent(repo))
	var img serverImage
	err = ctx.RegisterResource(imagepush.Token, name+"-server-image", pulumi.Map{
		"sourceDigest":     pulumi.String(digest),
		"architecture":     pulumi.String(origin.Architecture),
		"pythonVersion":    pulumi.String(origin.PythonVersion),
		"baseImage":        pulumi.String(s.BaseImage),
		"repositoryUrl":    repo.RepositoryUrl,
		"dir":              pulumi.String(dir),
		"python":           pulumi.String(s.Python),
		"registryUsername": pulumi.ToSecret(token.UserName()),
		"registryPassword": pulumi.ToSecret(token.Password()),
	}, &img, plus(opts, pulumi.Version(PluginVersion()), pulumi.PluginDownloadURL(version.PluginDownloadURL))...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return img.ImageUri, nil
}

// sourceDigest digests the server function folder at program time (everything the image builder reads
// from it, not its files' times): the ServerImage's sourceDigest. Tests replace it.
var sourceDigest = serverimage.SourceDigest

// PluginVersion is the version of the opendash plugin that serves this build's custom resources: the Go
// component registers ServerImage with it (and with the release's download URL, so Pulumi fetches that
// plugin by itself), and the plugin reports it. It is version.Plugin: the release this build was stamped
// with or a Go program requires, else 0.1.0-dev, what `make install-plugin` installs from an untagged
// checkout.
func PluginVersion() string { return version.Plugin() }

// annotateImage documents imageBuilder and baseImage.
func annotateImage(a *DashSiteArgs, an infer.Annotator) {
	an.Describe(&a.ImageBuilder, "How the server image is built: \""+ImageBuilderNative+"\" (the default) builds it "+
		"in-process without Docker, pip fetching the dependencies' wheels for the function's architecture (no "+
		"emulation), and the opendash plugin pushes only the layers the registry lacks; \""+ImageBuilderDocker+
		"\" builds the bundle's Dockerfile with the Docker daemon (needs Docker, and QEMU for another "+
		"architecture): for requirements with no wheel for the target, or that need system libraries.")
	an.SetDefault(&a.ImageBuilder, ImageBuilderNative)
	an.Describe(&a.BaseImage, "imageBuilder \"native\": the base image, instead of AWS's Lambda Python base image "+
		"for the bundle's Python (public.ecr.aws/lambda/python:3.X): a mirror inside a private network, or a "+
		"pinned REPOSITORY@sha256:... so that a build repeats exactly.")
}
