package deploy_test

import (
	"context"
	"encoding/json"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/internal/standin"
	"github.com/opendash/opendash/serverimage/imagetest"
)

// ecr is the native image's side of the harness: a registry on loopback standing in for the account's ECR
// (Debian's docker-registry, asking for the credentials the stand-in getAuthorizationToken answers), a
// synthetic Lambda Python base image in another, anonymous registry (as public.ecr.aws is), and a
// wheelhouse pip installs the image's dependencies from (PyPI is not reachable).
type ecr struct {
	registry imagetest.RealRegistry
	base     string // the base image reference, open-dash.toml's baseImage
}

// nativeImage readies h for imageBuilder "native" and writes open-dash.toml's [site] table with baseImage.
func (h *harness) nativeImage(t *testing.T, site string) *ecr {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys, pip; print(sys.executable, '%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Skipf("the native image needs python3 with pip (the image builder runs pip in the bundling Python): %v", err)
	}
	python, minor, _ := strings.Cut(strings.TrimSpace(string(out)), " ")
	e := &ecr{registry: imagetest.StartReal(t, standin.RegistryUser, standin.RegistryPassword)}
	public := imagetest.InProcess(t, nil)
	e.base = imagetest.PushBase(t, public+"/lambda/python", minor, false).Ref

	wheels := t.TempDir()
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	imagetest.FakeDashWheels(t, wheels, fake, python)
	h.env = append(h.env, standin.EnvRegistry+"="+e.registry.Addr,
		"PIP_FIND_LINKS="+wheels, "PIP_NO_INDEX=1", "PIP_CACHE_DIR="+t.TempDir())
	config := "[site]\nbaseImage = \"" + e.base + "\"\n" + site
	if err := os.WriteFile(filepath.Join(h.app, "open-dash.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	return e
}

// blobs are the digests of every blob the registry stores (layers, configs and manifests).
func (e *ecr) blobs(t *testing.T) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	root := filepath.Join(e.registry.Storage, "docker", "registry", "v2", "blobs")
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && d.Name() == "data" {
			out["sha256:"+filepath.Base(filepath.Dir(p))] = true
		}
		if os.IsNotExist(err) {
			return nil
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// tags lists a repository's tags ("" URL: none).
func (e *ecr) tags(t *testing.T, repositoryURL string) []string {
	t.Helper()
	repo, err := name.NewRepository(repositoryURL)
	if err != nil {
		t.Fatal(err)
	}
	tags, err := remote.List(repo, e.auth())
	if err != nil && !strings.Contains(err.Error(), "NAME_UNKNOWN") {
		t.Fatal(err)
	}
	return tags
}

func (e *ecr) auth() remote.Option {
	return remote.WithAuth(&authn.Basic{Username: standin.RegistryUser, Password: standin.RegistryPassword})
}

// layerSizes are the layers of an image (repository@digest) by digest.
func (e *ecr) layerSizes(t *testing.T, ref string) map[string]int64 {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(r, e.auth())
	if err != nil {
		t.Fatalf("pulling %s: %v", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, l := range m.Layers {
		out[l.Digest.String()] = l.Size
	}
	return out
}

// stackResource is one resource of the stack's last checkpoint.
type stackResource struct {
	URN     string         `json:"urn"`
	Type    string         `json:"type"`
	Outputs map[string]any `json:"outputs"`
}

// resources reads the stack's checkpoint from the state bucket (Pulumi's DIY backend layout).
func (h *harness) resources(t *testing.T, project, stack string) []stackResource {
	t.Helper()
	ctx := context.Background()
	list, err := h.s3(t).ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(stateBucket), Prefix: aws.String(".pulumi/stacks/")})
	if err != nil {
		t.Fatal(err)
	}
	key := ""
	for _, o := range list.Contents {
		if strings.HasSuffix(*o.Key, "/"+project+"/"+stack+".json") {
			key = *o.Key
		}
	}
	obj, err := h.s3(t).GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(stateBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("reading the checkpoint %s: %v", key, err)
	}
	defer obj.Body.Close()
	var cp struct {
		Checkpoint struct {
			Latest struct {
				Resources []stackResource `json:"resources"`
			} `json:"latest"`
		} `json:"checkpoint"`
	}
	if err := json.NewDecoder(obj.Body).Decode(&cp); err != nil {
		t.Fatal(err)
	}
	return cp.Checkpoint.Latest.Resources
}

// image is what the stack says of the server image: the ServerImage's outputs, the repository and the image
// every container function runs.
type image struct {
	digest, uri, repository string
	bytesPushed             int64
	functions               []string // the imageUri of each container function
}

func (h *harness) image(t *testing.T) image {
	t.Helper()
	var img image
	for _, r := range h.resources(t, "opendash-single-page", "dev") {
		str := func(k string) string { s, _ := r.Outputs[k].(string); return s }
		switch r.Type {
		case imagepush.Token:
			n, _ := r.Outputs["bytesPushed"].(float64)
			img.digest, img.uri, img.repository, img.bytesPushed = str("digest"), str("imageUri"), str("repositoryUrl"), int64(n)
		case "aws:lambda/function:Function":
			if str("packageType") == "Image" {
				img.functions = append(img.functions, str("imageUri"))
			}
		}
	}
	if img.digest == "" || len(img.functions) == 0 {
		t.Fatalf("the stack has no ServerImage or no container function: %+v", img)
	}
	for _, f := range img.functions {
		if f != img.uri {
			t.Errorf("a function runs %s, the ServerImage pushed %s", f, img.uri)
		}
	}
	return img
}

// checkAssetEditImage: after an asset edit the ServerImage pushed a new image whose only new layer is small
// (the assets layer), nothing else but its config and manifest reached the registry, and every container
// function runs it.
func (h *harness) checkAssetEditImage(t *testing.T, e *ecr, before image, held map[string]bool) {
	t.Helper()
	after := h.image(t)
	if after.digest == before.digest {
		t.Fatalf("the asset edit left the image as it was (%s)", after.digest)
	}
	old := e.layerSizes(t, before.uri)
	var added []string
	var addedBytes int64
	for d, size := range e.layerSizes(t, after.uri) {
		if _, ok := old[d]; !ok {
			added, addedBytes = append(added, d), addedBytes+size
		}
	}
	if len(added) != 1 || addedBytes > 64<<10 {
		t.Errorf("the asset edit made %d new layers (%d bytes); want one small one (the assets layer)", len(added), addedBytes)
	}
	var stored []string
	for d := range e.blobs(t) {
		if !held[d] {
			stored = append(stored, d)
		}
	}
	// The new layer, the image's config and its manifest.
	if len(stored) != 3 || !slices.Contains(stored, after.digest) || (len(added) == 1 && !slices.Contains(stored, added[0])) {
		t.Errorf("the asset edit stored %v in the registry; want the new layer %v, a config and the manifest %s",
			stored, added, after.digest)
	}
	t.Logf("asset edit: new layer %d bytes, %d bytes pushed (the first deploy pushed %d)", addedBytes,
		after.bytesPushed, before.bytesPushed)
	if after.bytesPushed <= 0 || after.bytesPushed >= before.bytesPushed || after.bytesPushed > addedBytes+32<<10 {
		t.Errorf("the asset edit pushed %d bytes (the first deploy %d, the new layer %d)", after.bytesPushed,
			before.bytesPushed, addedBytes)
	}
}
