package imagetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// A stand-in for public.ecr.aws/lambda/python:3.X, with the shape the builder relies on: a two-platform
// index (linux/amd64 and linux/arm64, as AWS publishes), each manifest with the entrypoint script,
// /var/task, /var/runtime, /var/lang/lib/python3.X/site-packages, AWS's environment and ENTRYPOINT.

// BaseEnv is the Lambda Python base image's environment (as AWS's images set it).
func BaseEnv() []string {
	return []string{
		"LANG=en_US.UTF-8",
		"TZ=:/etc/localtime",
		"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
		"LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
		"LAMBDA_TASK_ROOT=/var/task",
		"LAMBDA_RUNTIME_DIR=/var/runtime",
	}
}

// BaseEntrypoint is the base image's ENTRYPOINT.
var BaseEntrypoint = []string{"/lambda-entrypoint.sh"}

// BaseCreated is the synthetic base's creation time.
var BaseCreated = time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)

// Base describes a pushed synthetic base.
type Base struct {
	Ref       string              // repository:tag of the index
	Index     string              // the index digest
	Platforms map[string]string   // "amd64"/"arm64" -> that platform's manifest digest
	Images    map[string]v1.Image // the same, as images
}

// PushBase pushes a synthetic Lambda Python base for pythonMinor ("3.11") to repo ("127.0.0.1:5000/lambda/python")
// under the tag pythonMinor. oci makes it an OCI index of OCI manifests instead of Docker's media types.
func PushBase(t testing.TB, repo, pythonMinor string, oci bool) Base {
	t.Helper()
	manifestMT, configMT, layerMT, indexMT := types.DockerManifestSchema2, types.DockerConfigJSON, types.DockerLayer, types.DockerManifestList
	if oci {
		manifestMT, configMT, layerMT, indexMT = types.OCIManifestSchema1, types.OCIConfigJSON, types.OCILayer, types.OCIImageIndex
	}
	out := Base{Ref: repo + ":" + pythonMinor, Platforms: map[string]string{}, Images: map[string]v1.Image{}}
	idx := mutate.IndexMediaType(empty.Index, indexMT)
	for _, arch := range []string{"amd64", "arm64"} {
		layer, err := tarball.LayerFromOpener(opener(baseFiles(pythonMinor, arch)), tarball.WithMediaType(layerMT))
		if err != nil {
			t.Fatal(err)
		}
		img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, manifestMT), configMT)
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, MediaType: layerMT,
			History: v1.History{Created: v1.Time{Time: BaseCreated}, CreatedBy: "synthetic Lambda base " + arch}})
		if err != nil {
			t.Fatal(err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture, cf.Created = "linux", arch, v1.Time{Time: BaseCreated}
		if arch == "arm64" {
			cf.Variant = "v8"
		}
		cf.Config.Env = BaseEnv()
		cf.Config.Entrypoint = BaseEntrypoint
		cf.Config.WorkingDir = "/var/task"
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		out.Platforms[arch], out.Images[arch] = d.String(), img
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img,
			Descriptor: v1.Descriptor{MediaType: manifestMT, Platform: &v1.Platform{OS: "linux", Architecture: arch, Variant: cf.Variant}}})
	}
	ref, err := name.ParseReference(out.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx); err != nil {
		t.Fatalf("pushing the synthetic base to %s: %v", out.Ref, err)
	}
	d, err := idx.Digest()
	if err != nil {
		t.Fatal(err)
	}
	out.Index = d.String()
	return out
}

// tarFile is one entry of a synthetic layer.
type tarFile struct {
	name string
	mode int64
	body string // "" and a trailing slash in name: a folder
}

func baseFiles(pythonMinor, arch string) []tarFile {
	site := fmt.Sprintf("var/lang/lib/python%s/site-packages/", pythonMinor)
	files := []tarFile{
		{name: "lambda-entrypoint.sh", mode: 0o755, body: "#!/bin/sh\n# synthetic Lambda base: the runtime interface client would start here\nexec \"$@\"\n"},
		{name: "var/", mode: 0o755}, {name: "var/task/", mode: 0o755}, {name: "var/runtime/", mode: 0o755},
		{name: "var/runtime/bootstrap.py", mode: 0o644, body: "# synthetic runtime interface client\n"},
		{name: "var/lang/", mode: 0o755}, {name: "var/lang/bin/", mode: 0o755}, {name: "var/lang/lib/", mode: 0o755},
		{name: fmt.Sprintf("var/lang/lib/python%s/", pythonMinor), mode: 0o755}, {name: site, mode: 0o755},
		{name: site + "base_marker.txt", mode: 0o644, body: "synthetic base " + arch + "\n"},
	}
	return files
}

func opener(files []tarFile) tarball.Opener {
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Mode: f.mode, ModTime: BaseCreated, Typeflag: tar.TypeReg, Size: int64(len(f.body))}
		if f.name[len(f.name)-1] == '/' {
			h.Typeflag, h.Size = tar.TypeDir, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			panic(err)
		}
		io.WriteString(tw, f.body)
	}
	tw.Close()
	data := buf.Bytes()
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil }
}
