package serverimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"path"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/opendash/opendash/bundler"
)

// Layers are tar archives made the same way every time: entries sorted by path, every parent folder
// present, one fixed modification time, owner root (uid and gid 0, no names), normalised modes
// (source.go). So the same files give the same layer digest on any machine, on any day.

// layerTime is every entry's modification time. Nothing in the image reads it: the bytecode is
// unchecked-hash and Dash's cache-busting values follow content (opendash_times.py).
var layerTime = time.Unix(0, 0).UTC()

// tarEntry is one file or folder of a layer.
type tarEntry struct {
	Name string // path in the image without the leading slash: "var/task/app.py"
	Src  string // the file to read; "" for a folder
	Dir  bool
	Mode os.FileMode
	Size int64
}

// builtLayer is a layer and what the report says of it.
type builtLayer struct {
	role  string
	layer v1.Layer
	files int
}

// withParents adds the folders above each entry that are not entries themselves (mode 0755, as the base
// image has them), so a layer extracts the same on any base.
func withParents(entries []tarEntry) []tarEntry {
	have := map[string]bool{}
	for _, e := range entries {
		have[e.Name] = true
	}
	out := append([]tarEntry(nil), entries...)
	for _, e := range entries {
		for d := path.Dir(e.Name); d != "." && d != "/" && !have[d]; d = path.Dir(d) {
			have[d] = true
			out = append(out, tarEntry{Name: d, Dir: true, Mode: 0o755})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// makeLayer writes entries (parents added, sorted) as a gzip tar layer of media type mt, in memory: the
// image must outlive this build's scratch folder until it is pushed.
func makeLayer(entries []tarEntry, mt types.MediaType) (v1.Layer, error) {
	var gz bytes.Buffer
	diff := sha256.New()
	zw, err := gzip.NewWriterLevel(&gz, gzip.DefaultCompression) // no name, no time in the gzip header
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(io.MultiWriter(zw, diff))
	for _, e := range withParents(entries) {
		if err := writeEntry(tw, e); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &memLayer{
		gz:     gz.Bytes(),
		digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", sha256.Sum256(gz.Bytes()))},
		diffID: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", diff.Sum(nil))},
		mt:     mt,
	}, nil
}

func writeEntry(tw *tar.Writer, e tarEntry) error {
	h := &tar.Header{Name: e.Name, Mode: int64(e.Mode.Perm()), ModTime: layerTime, Typeflag: tar.TypeReg, Size: e.Size}
	if e.Dir {
		h.Typeflag, h.Name, h.Size = tar.TypeDir, e.Name+"/", 0
		return tw.WriteHeader(h)
	}
	f, err := os.Open(e.Src)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := tw.WriteHeader(h); err != nil {
		return err
	}
	n, err := io.Copy(tw, f)
	if err != nil {
		return fmt.Errorf("%s: %w (did it change while the image was built? build again)", e.Src, err)
	}
	if n != e.Size {
		return fmt.Errorf("%s changed while the image was built (%d bytes, was %d); build again", e.Src, n, e.Size)
	}
	return nil
}

// memLayer is a finished gzip layer held in memory.
type memLayer struct {
	gz             []byte
	digest, diffID v1.Hash
	mt             types.MediaType
}

var _ v1.Layer = (*memLayer)(nil)

func (l *memLayer) Digest() (v1.Hash, error)            { return l.digest, nil }
func (l *memLayer) DiffID() (v1.Hash, error)            { return l.diffID, nil }
func (l *memLayer) Size() (int64, error)                { return int64(len(l.gz)), nil }
func (l *memLayer) MediaType() (types.MediaType, error) { return l.mt, nil }
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.gz)), nil
}
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	return gzip.NewReader(bytes.NewReader(l.gz))
}

// makeLayers splits what the image adds into its layers: dependencies, app, assets (each only when it
// has something). Bytecode goes into the layer of its source, so an asset edit leaves the app layer as is.
func (b *build) makeLayers(context.Context) error {
	var pyc []sourceEntry
	if exists(b.pyc) {
		var err error
		if pyc, err = readTree(b.pyc, nil); err != nil {
			return err
		}
	}
	site := SitePackages(b.minor)
	assetsRoot := path.Join(TaskRoot, assetsDir)
	var deps, app, assets []tarEntry
	add := func(to *[]tarEntry, imagePath string, e sourceEntry) {
		*to = append(*to, tarEntry{Name: strings.TrimPrefix(imagePath, "/"), Src: e.Path, Dir: e.Dir, Mode: e.Mode, Size: e.Size})
	}
	for _, e := range b.files {
		if e.Rel == assetsDir || strings.HasPrefix(e.Rel, assetsDir+"/") {
			add(&assets, path.Join(TaskRoot, e.Rel), e)
		} else {
			add(&app, path.Join(TaskRoot, e.Rel), e)
		}
	}
	if b.site != "" {
		entries, err := readTree(b.site, nil)
		if err != nil {
			return err
		}
		for _, e := range entries {
			add(&deps, path.Join(site, e.Rel), e)
		}
	}
	for _, e := range pyc {
		p := "/" + e.Rel
		switch {
		case strings.HasPrefix(p, assetsRoot+"/"):
			add(&assets, p, e)
		case strings.HasPrefix(p, TaskRoot+"/"):
			add(&app, p, e)
		case strings.HasPrefix(p, site+"/"):
			add(&deps, p, e)
		}
	}
	var notes []string
	if b.deps != nil { // kept from an earlier build (installDeps)
		b.layers = append(b.layers, *b.deps)
		size, _ := b.deps.layer.Size()
		notes = append(notes, fmt.Sprintf("%s %s (kept)", LayerDependencies, bundler.HumanBytes(size)))
	}
	for _, l := range []struct {
		role    string
		entries []tarEntry
	}{{LayerDependencies, deps}, {LayerApp, app}, {LayerAssets, assets}} {
		if len(l.entries) == 0 {
			continue
		}
		layer, err := makeLayer(l.entries, b.layerMT.layer)
		if err != nil {
			return fmt.Errorf("%s layer: %w", l.role, err)
		}
		files := 0
		for _, e := range l.entries {
			if !e.Dir {
				files++
			}
		}
		built := builtLayer{role: l.role, layer: layer, files: files}
		b.layers = append(b.layers, built)
		if l.role == LayerDependencies && b.depsHash != "" {
			if dir, err := b.depsCacheDir(); err == nil {
				if err := storeDeps(dir, b.depsHash, built); err != nil {
					notes = append(notes, fmt.Sprintf("(not kept for later builds: %v)", err))
				}
			}
		}
		size, _ := layer.Size()
		notes = append(notes, fmt.Sprintf("%s %s", l.role, bundler.HumanBytes(size)))
	}
	b.note = strings.Join(notes, ", ")
	return nil
}
