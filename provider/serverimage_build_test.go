package provider

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/serverimage/imagetest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// TestServerImageBuildsAndPushes runs the plugin's ServerImage with the real image builder: an arm64 image
// of a small server function on a synthetic Lambda base (pulled anonymously, as AWS's public base is),
// pushed with the given credentials to a private repository of an in-process registry. Then an asset edit:
// the update pushes the one changed layer, not the image.
func TestServerImageBuildsAndPushes(t *testing.T) {
	python, minor := bundlingPython(t)
	host := privateRegistry(t, thisRunsToken)
	base := imagetest.PushBase(t, host+"/lambda/python", minor, false)
	wheels := t.TempDir()
	imagetest.WriteWheel(t, wheels, imagetest.WheelSpec{Name: "tinylib", Version: "1.0",
		Files: map[string]string{"tinylib/__init__.py": "NAME = 'tinylib'\n"}})
	t.Setenv("PIP_FIND_LINKS", wheels)
	t.Setenv("PIP_NO_INDEX", "1")
	t.Setenv("OPENDASH_CACHE_DIR", t.TempDir())

	dir := filepath.Join(t.TempDir(), "server-functions", "default")
	for file, body := range map[string]string{
		"opendash_handler.py": "import app\n\ndef handler(event, context=None):\n    return {'statusCode': 200, 'body': app.NAME}\n",
		"app.py":              "import tinylib\nNAME = tinylib.NAME\n",
		"requirements.txt":    "tinylib==1.0\n",
		"Dockerfile":          "FROM scratch\n",
		"assets/style.css":    "body { color: red }\n",
	} {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, file)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, file), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	repo := host + "/site-server-repo"
	inputs := func(sourceDigest string) property.Map {
		return serverImageInputs(dir, repo, sourceDigest, registryPassword).
			Set("pythonVersion", property.New(minor)).
			Set("python", property.New(python)).
			Set("baseImage", property.New(base.Ref))
	}
	s := newImageServer(t, nil) // the plugin's own builder
	created, err := s.Create(p.CreateRequest{Urn: imageURN, Properties: inputs("sha256:first")})
	if err != nil {
		t.Fatal(err)
	}
	digest := created.Properties.Get("digest").AsString()
	if tagged(t, repo, imagepush.LiveTag) != digest || tagged(t, repo, imagepush.Tag(digest)) != digest {
		t.Fatalf("image %s is not in the registry under its tags", digest)
	}
	if got := created.Properties.Get("baseDigest").AsString(); got != base.Platforms["arm64"] {
		t.Errorf("baseDigest = %s, want the base's arm64 manifest %s", got, base.Platforms["arm64"])
	}
	auth := remote.WithAuth(&authn.Basic{Username: registryUser, Password: registryPassword})
	ref, err := name.NewDigest(created.Properties.Get("imageUri").AsString())
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref, auth)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Architecture != "arm64" || cfg.Config.WorkingDir != "/var/task" {
		t.Errorf("config: architecture %s, working dir %s; want arm64 and /var/task", cfg.Architecture, cfg.Config.WorkingDir)
	}
	firstBytes := created.Properties.Get("bytesPushed").AsNumber()

	// An asset edit: a new source, one new layer pushed.
	if err := os.WriteFile(filepath.Join(dir, "assets", "style.css"), []byte("body { color: blue }\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	up, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: imageURN, State: created.Properties, Inputs: inputs("sha256:second")})
	if err != nil {
		t.Fatal(err)
	}
	next := up.Properties.Get("digest").AsString()
	if next == digest || tagged(t, repo, imagepush.LiveTag) != next {
		t.Fatalf("after the asset edit: digest %s (was %s), live -> %s", next, digest, tagged(t, repo, imagepush.LiveTag))
	}
	img2, err := remote.Image(ref.Context().Digest(next), auth)
	if err != nil {
		t.Fatal(err)
	}
	changed := changedLayers(t, img, img2)
	if changed != 1 {
		t.Errorf("an asset edit changed %d layers, want 1 (the assets layer)", changed)
	}
	// The rest of what it sends is the new config and manifest, as large as the layers here (they are tiny).
	if again := up.Properties.Get("bytesPushed").AsNumber(); again <= 0 || again >= firstBytes {
		t.Errorf("the asset edit pushed %.0f bytes against %.0f for the whole image; want less", again, firstBytes)
	}
}

// changedLayers counts the layers of b that a does not have.
func changedLayers(t *testing.T, a, b v1.Image) int {
	t.Helper()
	ma, err := a.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	mb, err := b.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	have := map[v1.Hash]bool{}
	for _, l := range ma.Layers {
		have[l.Digest] = true
	}
	n := 0
	for _, l := range mb.Layers {
		if !have[l.Digest] {
			n++
		}
	}
	return n
}
