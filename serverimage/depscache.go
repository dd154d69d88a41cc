package serverimage

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/bundler/output"
)

// The dependencies layer is the slow one (pip resolves and downloads, then thousands of files compile:
// plotly alone has about ten thousand modules) and the one that changes least: a code or asset edit leaves
// requirements.txt as it is. So the finished layer is kept, keyed by everything that makes it: the
// requirements, the target, the bundling Python and pip, the layer format and pip's settings from the
// environment. A later build with the same key reuses it without running pip. Unpinned dependencies of
// the requirements stay at the versions first resolved (the image stays reproducible); NoCache builds the
// layer afresh.

// depsCacheFormat changes whenever a layer kept by an older builder would differ from a new one's.
const depsCacheFormat = 1

// keepDepsLayers bounds the cache: the least recently used layers beyond it are removed.
const keepDepsLayers = 8

// depsCacheDir is where the layers are kept: BuildOptions.CacheDir, else the OpenDash cache folder.
func (b *build) depsCacheDir() (string, error) {
	if b.opts.CacheDir != "" {
		return b.opts.CacheDir, nil
	}
	root, err := cache.Location()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "image-dependencies"), nil
}

// pipOutputNeutral are pip settings that change how pip works, never what it installs.
var pipOutputNeutral = map[string]bool{
	"PIP_CACHE_DIR": true, "PIP_NO_CACHE_DIR": true, "PIP_DISABLE_PIP_VERSION_CHECK": true, "PIP_PROGRESS_BAR": true,
	"PIP_QUIET": true, "PIP_VERBOSE": true, "PIP_NO_INPUT": true, "PIP_ROOT_USER_ACTION": true, "PIP_LOG": true,
	"PIP_DEFAULT_TIMEOUT": true, "PIP_TIMEOUT": true, "PIP_RETRIES": true, "PIP_CERT": true, "PIP_CLIENT_CERT": true,
	"PIP_NO_COLOR": true,
}

// depsKey digests what the dependencies layer is made from.
func (b *build) depsKey(reqFile string) (string, error) {
	reqs, err := os.ReadFile(reqFile)
	if err != nil {
		return "", err
	}
	var pipEnv []string
	for _, kv := range b.opts.Env {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "PIP_") && !pipOutputNeutral[k] {
			pipEnv = append(pipEnv, kv)
		}
	}
	sort.Strings(pipEnv)
	h := sha256.New()
	fmt.Fprintf(h, "format %d\narch %s\npython %s\nfull %s\npip %s\nlayer %s\n", depsCacheFormat,
		b.opts.Architecture, b.minor, b.py.Full, b.py.Pip, b.layerMT.layer)
	fmt.Fprintf(h, "env %q\nrequirements %d\n", pipEnv, len(reqs))
	h.Write(reqs)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// depsMeta is what is kept beside a layer's blob.
type depsMeta struct {
	DiffID    string          `json:"diffID"`
	Digest    string          `json:"digest"`
	MediaType types.MediaType `json:"mediaType"`
	Files     int             `json:"files"`
}

// loadDeps returns the kept layer for key, or nil. A damaged entry is ignored (and rebuilt).
func loadDeps(dir, key string) (*builtLayer, error) {
	metaData, err := os.ReadFile(filepath.Join(dir, key+".json"))
	if err != nil {
		return nil, nil
	}
	var meta depsMeta
	if json.Unmarshal(metaData, &meta) != nil {
		return nil, nil
	}
	blob, err := os.ReadFile(filepath.Join(dir, key+".tar.gz"))
	if err != nil {
		return nil, nil
	}
	digest := "sha256:" + fmt.Sprintf("%x", sha256.Sum256(blob))
	diffID, err := v1.NewHash(meta.DiffID)
	if err != nil || digest != meta.Digest {
		return nil, nil
	}
	now := time.Now()
	os.Chtimes(filepath.Join(dir, key+".json"), now, now) // recently used: kept by the pruning
	d, _ := v1.NewHash(digest)
	return &builtLayer{role: LayerDependencies, files: meta.Files,
		layer: &memLayer{gz: blob, digest: d, diffID: diffID, mt: meta.MediaType}}, nil
}

// storeDeps keeps a freshly built layer under key, then prunes the least recently used ones.
func storeDeps(dir, key string, l builtLayer) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	m, ok := l.layer.(*memLayer)
	if !ok {
		return nil
	}
	meta, err := json.Marshal(depsMeta{DiffID: m.diffID.String(), Digest: m.digest.String(), MediaType: m.mt, Files: l.files})
	if err != nil {
		return err
	}
	if err := output.WriteFile(filepath.Join(dir, key+".tar.gz"), m.gz); err != nil {
		return err
	}
	if err := output.WriteFile(filepath.Join(dir, key+".json"), meta); err != nil {
		return err
	}
	pruneDeps(dir)
	return nil
}

func pruneDeps(dir string) {
	metas, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(metas) <= keepDepsLayers {
		return
	}
	type entry struct {
		key  string
		used time.Time
	}
	var entries []entry
	for _, m := range metas {
		if info, err := os.Stat(m); err == nil {
			entries = append(entries, entry{strings.TrimSuffix(m, ".json"), info.ModTime()})
		}
	}
	sort.Slice(entries, func(i, j int) bool { return entries[i].used.After(entries[j].used) })
	for _, e := range entries[min(len(entries), keepDepsLayers):] {
		os.Remove(e.key + ".json")
		os.Remove(e.key + ".tar.gz")
	}
}
