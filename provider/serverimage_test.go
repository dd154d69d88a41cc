package provider

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/blang/semver"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/serverimage/imagetest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

const (
	registryUser     = "AWS"
	registryPassword = "token-of-this-run"
	imageURN         = "urn:pulumi:stack::project::" + imagepush.Token + "::site-server-image"
)

// folderBuilder stands in for the image builder: a synthetic base plus one layer holding the folder's
// files, with fixed times, so equal folders give equal digests. It records what it was asked.
type folderBuilder struct {
	mu     sync.Mutex
	builds []serverimage.BuildOptions
	fail   error
}

func (f *folderBuilder) Build(_ context.Context, o serverimage.BuildOptions) (*serverimage.Image, error) {
	f.mu.Lock()
	f.builds = append(f.builds, o)
	f.mu.Unlock()
	if f.fail != nil {
		return nil, f.fail
	}
	layer, err := folderLayer(o.Dir)
	if err != nil {
		return nil, err
	}
	base, err := mutate.ConfigFile(empty.Image, &v1.ConfigFile{OS: "linux", Architecture: map[string]string{
		"x86_64": "amd64", "arm64": "arm64"}[o.Architecture], Config: v1.Config{WorkingDir: "/var/task"}})
	if err != nil {
		return nil, err
	}
	img, err := mutate.AppendLayers(base, layer)
	if err != nil {
		return nil, err
	}
	digest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	return &serverimage.Image{Image: img, Digest: digest.String(), BaseDigest: "sha256:" + strings.Repeat("b", 64)}, nil
}

func (f *folderBuilder) Push(ctx context.Context, img *serverimage.Image, o serverimage.PushOptions) (*serverimage.Pushed, error) {
	ref, err := name.NewTag(o.Repository + ":" + o.Tag)
	if err != nil {
		return nil, err
	}
	size, err := img.Image.Size()
	if err != nil {
		return nil, err
	}
	if err := remote.Write(ref, img.Image, remote.WithAuth(o.Auth), remote.WithContext(ctx)); err != nil {
		return nil, err
	}
	return &serverimage.Pushed{Reference: ref.String(), BytesPushed: size}, nil
}

// folderLayer tars the folder's regular files, sorted, with fixed times and owners.
func folderLayer(dir string) (v1.Layer, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	sort.Strings(paths)
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			return nil, err
		}
		rel, _ := filepath.Rel(dir, p)
		hdr := &tar.Header{Name: "var/task/" + filepath.ToSlash(rel), Mode: 0o644, Size: int64(len(data)),
			ModTime: time.Unix(0, 0), Typeflag: tar.TypeReg}
		if err := tw.WriteHeader(hdr); err != nil {
			return nil, err
		}
		if _, err := tw.Write(data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
}

// privateRegistry is go-containerregistry's in-process registry where every repository but the bases'
// (lambda/...) needs basic auth that accept takes, as ECR needs its token while AWS's public base needs none.
// It answers on 127.0.0.1, which go-containerregistry speaks plain HTTP to.
func privateRegistry(t *testing.T, accept func(user, password string) bool) string {
	t.Helper()
	return imagetest.InProcess(t, func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !strings.HasPrefix(r.URL.Path, "/v2/lambda/") {
				if u, pw, ok := r.BasicAuth(); !ok || !accept(u, pw) {
					w.Header().Set("WWW-Authenticate", `Basic realm="test"`)
					http.Error(w, "unauthorized", http.StatusUnauthorized)
					return
				}
			}
			h.ServeHTTP(w, r)
		})
	})
}

// thisRunsToken accepts the test's one user and password.
func thisRunsToken(user, password string) bool {
	return user == registryUser && password == registryPassword
}

// bundlingPython is python3 (resolved to its executable) and its minor version, or skips the test: the image
// builder runs pip and the bytecode compiler in the bundling Python.
func bundlingPython(t *testing.T) (python, minor string) {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys, pip; print(sys.executable, '%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Skipf("python3 with pip is needed: the image builder runs pip in the bundling Python (%v)", err)
	}
	python, minor, _ = strings.Cut(strings.TrimSpace(string(out)), " ")
	return python, minor
}

// serverImageInputs are the ServerImage's inputs as the engine sends them (credentials secret).
func serverImageInputs(dir, repo, sourceDigest, password string) property.Map {
	return property.NewMap(map[string]property.Value{
		"sourceDigest":     property.New(sourceDigest),
		"architecture":     property.New("arm64"),
		"pythonVersion":    property.New("3.12"),
		"repositoryUrl":    property.New(repo),
		"dir":              property.New(dir),
		"python":           property.New("/opt/venv/bin/python"),
		"registryUsername": property.New(registryUser).WithSecret(true),
		"registryPassword": property.New(password).WithSecret(true),
	})
}

func newImageServer(t *testing.T, b imagepush.Builder) integration.Server {
	t.Helper()
	prov, err := build(&imagepush.ServerImage{Builder: b})
	if err != nil {
		t.Fatal(err)
	}
	s, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version()), integration.WithProvider(prov))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// tagged returns the digest a tag points at in the registry, "" when the tag is absent.
func tagged(t *testing.T, repo, tag string) string {
	t.Helper()
	ref, err := name.NewTag(repo + ":" + tag)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Head(ref, remote.WithAuth(&authn.Basic{Username: registryUser, Password: registryPassword}))
	var terr *transport.Error
	if errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound {
		return ""
	}
	if err != nil {
		t.Fatalf("HEAD %s: %v", ref, err)
	}
	return desc.Digest.String()
}

// TestServerImageLifecycle runs the ServerImage's Create, Diff and Update through the plugin's gRPC
// surface, in-process, against a registry: nothing is built or pushed during preview; a push lands under
// the image's own tag and the live tag, with the credentials it was given; the credentials, the folder's
// path and the Python never make a diff; a new source updates the image in place and moves the live tag;
// a failed build fails the update and leaves the registry's live image as it was.
func TestServerImageLifecycle(t *testing.T) {
	repo := privateRegistry(t, thisRunsToken) + "/site-server-repo"
	dir := t.TempDir()
	write := func(body string) {
		if err := os.WriteFile(filepath.Join(dir, "app.py"), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("app = 1\n")
	b := &folderBuilder{}
	s := newImageServer(t, b)

	// Preview: outputs unknown, nothing built.
	preview, err := s.Create(p.CreateRequest{Urn: imageURN, Properties: serverImageInputs(dir, repo, "sha256:s1", registryPassword), DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := preview.Properties.Get("digest"); !d.IsComputed() {
		t.Errorf("preview digest = %v, want unknown", d)
	}
	if len(b.builds) != 0 || tagged(t, repo, imagepush.LiveTag) != "" {
		t.Fatalf("preview built %d images / pushed one", len(b.builds))
	}

	created, err := s.Create(p.CreateRequest{Urn: imageURN, Properties: serverImageInputs(dir, repo, "sha256:s1", registryPassword)})
	if err != nil {
		t.Fatal(err)
	}
	state := created.Properties
	digest := state.Get("digest").AsString()
	if !strings.HasPrefix(digest, "sha256:") || state.Get("imageUri").AsString() != repo+"@"+digest {
		t.Errorf("digest %q, imageUri %q: want repository@sha256:<hex>", digest, state.Get("imageUri").AsString())
	}
	if got := tagged(t, repo, imagepush.Tag(digest)); got != digest {
		t.Errorf("own tag %s -> %q, want %s", imagepush.Tag(digest), got, digest)
	}
	if got := tagged(t, repo, imagepush.LiveTag); got != digest {
		t.Errorf("live tag -> %q, want %s", got, digest)
	}
	if state.Get("tag").AsString() != imagepush.Tag(digest) || state.Get("baseDigest").AsString() == "" {
		t.Errorf("state = %v", state)
	}
	got := b.builds[0]
	if got.Dir != dir || got.Architecture != "arm64" || got.PythonVersion != "3.12" || got.BaseImage != "" ||
		got.Python != "/opt/venv/bin/python" {
		t.Errorf("build options = %+v", got)
	}
	for k, v := range state.All {
		if strings.HasPrefix(k, "registry") || strings.Contains(v.GoString(), registryPassword) {
			t.Errorf("state holds the credentials: %s = %v", k, v)
		}
	}

	// pulumi refresh keeps the state as it is.
	read, err := s.Read(p.ReadRequest{ID: created.ID, Urn: imageURN, Properties: state,
		Inputs: serverImageInputs(dir, repo, "sha256:s1", registryPassword)})
	if err != nil {
		t.Fatal(err)
	}
	if read.ID != created.ID || read.Properties.Get("digest").AsString() != digest {
		t.Errorf("refresh: id %q, digest %v; want the state unchanged", read.ID, read.Properties.Get("digest"))
	}

	// Same source, new token, another checkout path, another Python: no change.
	same := serverImageInputs("/elsewhere/server-functions/default", repo, "sha256:s1", "token-of-the-next-run")
	same = same.Set("python", property.New("python3"))
	diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: imageURN, State: state, Inputs: same})
	if err != nil {
		t.Fatal(err)
	}
	if diff.HasChanges || len(diff.DetailedDiff) != 0 {
		t.Errorf("diff of an unchanged source = %+v, want none", diff)
	}
	// Each part of the source is a change, an update in place.
	for k, v := range map[string]string{"sourceDigest": "sha256:s2", "architecture": "x86_64", "pythonVersion": "3.13",
		"baseImage": "mirror.example.com/python:3.12", "repositoryUrl": repo + "2"} {
		diff, err := s.Diff(p.DiffRequest{ID: created.ID, Urn: imageURN, State: state,
			Inputs: serverImageInputs(dir, repo, "sha256:s1", registryPassword).Set(k, property.New(v))})
		if err != nil {
			t.Fatal(err)
		}
		if !diff.HasChanges || len(diff.DetailedDiff) != 1 || diff.DetailedDiff[k].Kind != p.Update {
			t.Errorf("%s changed: diff = %+v, want one update of %s", k, diff, k)
		}
	}

	// A new source: preview leaves the outputs unknown, the update pushes and moves live.
	write("app = 2\n")
	next := serverImageInputs(dir, repo, "sha256:s2", "token-of-the-next-run")
	up, err := s.Update(p.UpdateRequest{ID: created.ID, Urn: imageURN, State: state, Inputs: next, DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if d := up.Properties.Get("imageUri"); !d.IsComputed() {
		t.Errorf("preview of an update: imageUri = %v, want unknown", d)
	}
	if len(b.builds) != 1 {
		t.Fatalf("preview of an update built an image")
	}
	_, err = s.Update(p.UpdateRequest{ID: created.ID, Urn: imageURN, State: state, Inputs: next})
	if err == nil || !strings.Contains(err.Error(), repo) {
		t.Fatalf("push with a wrong password: error %v, want one naming the repository", err)
	}
	if got := tagged(t, repo, imagepush.LiveTag); got != digest {
		t.Errorf("after a failed push live -> %q, want the old image %s", got, digest)
	}
	next = next.Set("registryPassword", property.New(registryPassword).WithSecret(true))
	up, err = s.Update(p.UpdateRequest{ID: created.ID, Urn: imageURN, State: state, Inputs: next})
	if err != nil {
		t.Fatal(err)
	}
	newDigest := up.Properties.Get("digest").AsString()
	if newDigest == digest || tagged(t, repo, imagepush.LiveTag) != newDigest || tagged(t, repo, imagepush.Tag(digest)) != digest {
		t.Errorf("after the update: digest %s (was %s), live -> %s; the old image must keep its own tag",
			newDigest, digest, tagged(t, repo, imagepush.LiveTag))
	}

	// A failed build fails the update and changes nothing in the registry.
	b.fail = errors.New("no wheel for numpy on manylinux_2_34_aarch64")
	_, err = s.Update(p.UpdateRequest{ID: created.ID, Urn: imageURN, State: up.Properties,
		Inputs: next.Set("sourceDigest", property.New("sha256:s3"))})
	if err == nil || !strings.Contains(err.Error(), "numpy") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("failed build: error %v, want the builder's, naming the folder", err)
	}
	if tagged(t, repo, imagepush.LiveTag) != newDigest {
		t.Error("a failed build moved the live tag")
	}
	if err := s.Delete(p.DeleteRequest{ID: created.ID, Urn: imageURN, Properties: up.Properties}); err != nil {
		t.Fatal(err)
	}
	if tagged(t, repo, imagepush.LiveTag) != newDigest {
		t.Error("delete removed the live image; the lifecycle policy and the repository own that")
	}
}

// TestServerImageSchema: the credentials are secret inputs; the outputs name the image.
func TestServerImageSchema(t *testing.T) {
	served, err := Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var spec struct {
		Resources map[string]struct {
			InputProperties map[string]struct{ Secret bool }
			Properties      map[string]json.RawMessage
		}
	}
	if err := json.Unmarshal(served, &spec); err != nil {
		t.Fatal(err)
	}
	res, ok := spec.Resources[imagepush.Token]
	if !ok {
		t.Fatalf("schema has no %s", imagepush.Token)
	}
	for _, k := range []string{"registryUsername", "registryPassword"} {
		if !res.InputProperties[k].Secret {
			t.Errorf("input %s is not secret", k)
		}
	}
	for _, k := range []string{"digest", "imageUri", "tag", "baseDigest"} {
		if _, ok := res.Properties[k]; !ok {
			t.Errorf("output %s missing", k)
		}
	}
	if _, ok := res.Properties["registryPassword"]; ok {
		t.Error("the state has the registry password")
	}
}
