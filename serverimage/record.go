package serverimage

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/opendash/opendash/bundler/output"
	"github.com/opendash/opendash/manifest"
)

// RecordFile is where a build is recorded inside the bundle: <bundle>/.deploy/server-image.json (the one
// folder deploys may write in a bundle). It tells which base digest the image was built on, so the build
// can be repeated exactly with that digest as base, and what was pushed where.
const RecordFile = "server-image.json"

// Report is what a build (and a push) produced: `open-dash image build --json` prints it, RecordFile
// keeps it.
type Report struct {
	Digest       string `json:"digest"`
	Reference    string `json:"reference"` // repository@digest once pushed, else ""
	Tag          string `json:"tag,omitempty"`
	Architecture string `json:"architecture"`
	BaseImage    string `json:"baseImage"`
	BaseDigest   string `json:"baseDigest"`
	// Base repeats the build exactly: the base image pinned to the digest it resolved to.
	Base        string        `json:"base"`
	MediaType   string        `json:"mediaType"`
	Layers      []ReportLayer `json:"layers"` // every layer of the image, the base's first
	BytesPushed int64         `json:"bytesPushed"`
}

// ReportLayer is one layer of the image.
type ReportLayer struct {
	Role   string `json:"role"` // "base", LayerDependencies, LayerApp, LayerAssets
	Digest string `json:"digest"`
	Size   int64  `json:"size"`
	Pushed bool   `json:"pushed"` // uploaded by this push (false: not pushed, or the registry had it)
}

// NewReport describes img and, when not nil, its push.
func NewReport(img *Image, pushed *Pushed) (Report, error) {
	r := Report{Digest: img.Digest, Architecture: img.Architecture, BaseImage: img.BaseImage,
		BaseDigest: img.BaseDigest, Base: pinned(img.BaseImage, img.BaseDigest), MediaType: img.MediaType}
	if pushed != nil {
		r.Reference, r.Tag, r.BytesPushed = pushed.Reference, pushed.Tag, pushed.BytesPushed
		for _, l := range pushed.Layers {
			r.Layers = append(r.Layers, ReportLayer{Role: l.Role, Digest: l.Digest, Size: l.Size, Pushed: l.Pushed})
		}
		return r, nil
	}
	_, layers, err := layerRoles(img)
	if err != nil {
		return r, err
	}
	for _, l := range layers {
		r.Layers = append(r.Layers, ReportLayer{Role: l.Role, Digest: l.Digest, Size: l.Size})
	}
	return r, nil
}

// pinned is ref's repository at digest: "public.ecr.aws/lambda/python@sha256:...".
func pinned(ref, digest string) string {
	r, err := name.ParseReference(ref)
	if err != nil {
		return ""
	}
	return r.Context().Digest(digest).String()
}

// WriteRecord writes r to <bundleDir>/.deploy/server-image.json, atomically, and returns the path.
func WriteRecord(bundleDir string, r Report) (string, error) {
	dir := filepath.Join(bundleDir, manifest.DeployDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", fmt.Errorf("recording the image build: %w", err)
	}
	data, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, RecordFile)
	if err := output.WriteFile(path, append(data, '\n')); err != nil {
		return "", fmt.Errorf("recording the image build: %w", err)
	}
	return path, nil
}
