package standin

import (
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
)

// ECR on loopback. With EnvRegistry set (host:port of a registry on 127.0.0.1, which takes RegistryUser
// and RegistryPassword), an ECR repository is a repository of that registry: its repositoryUrl names it,
// getAuthorizationToken answers its credentials, deleting it deletes its images (forceDelete) or is
// refused while it holds any, and a Lambda function refuses an image it does not hold, as AWS does.

// The credentials getAuthorizationToken answers: ECR's user name is always AWS; the password is the token.
const (
	RegistryUser     = "AWS"
	RegistryPassword = "standin-ecr-token"
)

// registry is the loopback registry standing in for ECR, "" when none.
func registry() string { return os.Getenv(EnvRegistry) }

func registryAuth() remote.Option {
	return remote.WithAuth(&authn.Basic{Username: RegistryUser, Password: RegistryPassword})
}

// repositoryURL is an ECR repository's URL: in the loopback registry when there is one.
func (p *server) repositoryURL(repo string) string {
	if r := registry(); r != "" {
		return r + "/" + repo
	}
	return fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/%s", Account, p.region, repo)
}

// checkImage refuses a container function whose image is in the loopback registry but not held by it, as
// Lambda's CreateFunction and UpdateFunctionCode do ("Source image ... does not exist").
func checkImage(typ string, in resource.PropertyMap) error {
	uri := in["imageUri"]
	if typ != "aws:lambda/function:Function" || !uri.IsString() || registry() == "" ||
		!strings.HasPrefix(uri.StringValue(), registry()+"/") {
		return nil
	}
	ref, err := name.ParseReference(uri.StringValue())
	if err != nil {
		return fmt.Errorf("InvalidParameterValueException: image URI %s: %w", uri.StringValue(), err)
	}
	if _, err := remote.Head(ref, registryAuth()); err != nil {
		return fmt.Errorf("InvalidParameterValueException: Source image %s does not exist. Provide a valid source "+
			"image. (%v)", uri.StringValue(), err)
	}
	return nil
}

// deleteRepository deletes an ECR repository's images from the loopback registry (forceDelete), or refuses
// while it holds any (ECR's RepositoryNotEmptyException).
func deleteRepository(typ string, props resource.PropertyMap) error {
	url := props["repositoryUrl"]
	if typ != "aws:ecr/repository:Repository" || !url.IsString() || registry() == "" ||
		!strings.HasPrefix(url.StringValue(), registry()+"/") {
		return nil
	}
	repo, err := name.NewRepository(url.StringValue())
	if err != nil {
		return err
	}
	tags, err := remote.List(repo, registryAuth())
	if err != nil {
		if strings.Contains(err.Error(), "NAME_UNKNOWN") {
			return nil // nothing was ever pushed
		}
		return fmt.Errorf("listing %s: %w", repo, err)
	}
	if len(tags) == 0 {
		return nil
	}
	if force := props["forceDelete"]; !force.IsBool() || !force.BoolValue() {
		return fmt.Errorf("RepositoryNotEmptyException: the repository %s cannot be deleted because it still "+
			"contains images (%d tags)", repo, len(tags))
	}
	digests := map[string]bool{}
	for _, tag := range tags {
		desc, err := remote.Head(repo.Tag(tag), registryAuth())
		if err != nil {
			return fmt.Errorf("reading %s:%s: %w", repo, tag, err)
		}
		digests[desc.Digest.String()] = true
	}
	for d := range digests {
		if err := remote.Delete(repo.Digest(d), registryAuth()); err != nil {
			return fmt.Errorf("deleting %s@%s: %w", repo, d, err)
		}
	}
	return nil
}
