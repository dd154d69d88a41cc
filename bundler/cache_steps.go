package bundler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"sync"

	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/manifest"
)

// The bundle cache: a record of what the last bundle of an output folder was made from (see package
// cache), kept under the user cache folder so that .open-dash itself stays exactly what its inputs make.

func skipCache(b *build) string {
	if b.opts.NoCache {
		return "--no-cache"
	}
	return ""
}

func checkCache(_ context.Context, b *build) error {
	dir, err := cache.Location()
	if err != nil {
		b.detail = "off: " + err.Error()
		return nil
	}
	b.cacheDir = dir
	rec, err := cache.Load(dir, b.out)
	if err != nil || rec == nil {
		b.detail = "no record of an earlier bundle into " + b.out
		return nil
	}
	if why := rec.Changed(cacheKey(b), sourceStates(b)); why != "" {
		b.detail = "bundling in full: " + why
		return nil
	}
	m, err := manifest.Read(b.out)
	if err != nil || m.BuildID != rec.BuildID {
		b.detail = "bundling in full: " + filepath.Join(b.out, manifest.FileName) + " changed"
		return nil
	}
	b.cached = true
	b.result = Result{
		OutDir: b.out, Manifest: m, Cached: true, Steps: b.result.Steps, Warnings: m.Warnings,
		Files: rec.Summary.Files, Bytes: rec.Summary.Bytes,
		StaticFiles: rec.Summary.StaticFiles, StaticBytes: rec.Summary.StaticBytes,
	}
	b.detail = fmt.Sprintf("reused %s (build %s): nothing it is made from changed", b.out, m.BuildID)
	return nil
}

func saveCache(_ context.Context, b *build) error {
	if b.cacheDir == "" {
		dir, err := cache.Location()
		if err != nil {
			b.detail = "not saved: " + err.Error()
			return nil
		}
		b.cacheDir = dir
	}
	if b.noRecord != "" {
		cache.Forget(b.cacheDir, b.out)
		b.detail = "not saved: " + b.noRecord
		return nil
	}
	rec := &cache.Record{
		Out: b.out, Key: cacheKey(b), StartedNs: b.started.UnixNano(), BuildID: b.result.Manifest.BuildID,
		Summary: cache.Summary{Files: b.result.Files, Bytes: b.result.Bytes,
			StaticFiles: b.result.StaticFiles, StaticBytes: b.result.StaticBytes},
	}
	for _, f := range b.server.SourceStates() {
		rec.Sources = append(rec.Sources, cache.WatchFile(f.Path, f.Info, b.serverSrc.SourceSHA256[f.Rel]))
	}
	// The interpreter: the path given (a venv's link, a shim script), the binary that ran, the venv's
	// configuration, and the files with which pyenv and asdf shims pick a version.
	rec.Inputs = append(rec.Inputs, cache.WatchFile(b.python, nil, ""), cache.WatchFile(b.report.Executable, nil, ""),
		cache.WatchFile(filepath.Join(filepath.Dir(filepath.Dir(b.python)), "pyvenv.cfg"), nil, ""))
	for _, f := range versionFiles(b.source) {
		rec.Inputs = append(rec.Inputs, cache.WatchFile(f, nil, ""))
	}
	for _, f := range b.server.RequirementFiles() {
		if rel, err := filepath.Rel(b.source, f); err != nil || strings.HasPrefix(rel, "..") {
			rec.Inputs = append(rec.Inputs, cache.WatchFile(f, nil, "")) // an -r include outside the source
		}
	}
	// Component-suite files and assets: their mtimes are in Dash's fingerprints and ?m= queries.
	keys := make([]string, 0, len(b.copies))
	for k := range b.copies {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		c := b.copies[k]
		rec.Inputs = append(rec.Inputs, cache.WatchFile(c.Source, c.SourceInfo, c.SHA256))
	}
	b.recordDirs.wait()
	rec.Dirs = b.dirs
	out, err := cache.WatchOutput(b.out)
	if err == nil {
		rec.Output = out
		err = rec.Save(b.cacheDir)
	}
	if err != nil {
		b.detail = "not saved: " + err.Error()
		return nil
	}
	b.detail = "record in " + b.cacheDir
	return nil
}

// versionFiles are where pyenv and asdf shims look up which Python to run when started in the source
// folder: .python-version and .tool-versions there and in every parent, and pyenv's global version file.
func versionFiles(source string) []string {
	var out []string
	for dir := source; ; dir = filepath.Dir(dir) {
		out = append(out, filepath.Join(dir, ".python-version"), filepath.Join(dir, ".tool-versions"))
		if filepath.Dir(dir) == dir {
			break
		}
	}
	root := os.Getenv("PYENV_ROOT")
	if home, err := os.UserHomeDir(); root == "" && err == nil {
		root = filepath.Join(home, ".pyenv")
	}
	if root != "" {
		out = append(out, filepath.Join(root, "version"))
	}
	return out
}

// sourceStates are the app's source files as the plan's walk saw them.
func sourceStates(b *build) []cache.File {
	src := b.server.SourceStates()
	out := make([]cache.File, len(src))
	for i, f := range src {
		out[i] = cache.File{Path: f.Path, State: cache.StateOf(f.Info)}
	}
	return out
}

// cacheKey digests everything a bundle depends on that is not a file: the options, the paths, the
// environment variables Python, Dash and pyenv read (PYTHON*, DASH_*: DASH_URL_BASE_PATHNAME changes every
// URL; PYENV*) and OpenDash's own build.
func cacheKey(b *build) string {
	h := sha256.New()
	put := func(k string, v any) { fmt.Fprintf(h, "%s=%q\n", k, fmt.Sprint(v)) }
	put("version", Version)
	put("build", codeIdentity())
	put("source", b.source)
	put("out", b.out)
	put("python", b.python)
	o := b.opts
	put("skipInstall", o.SkipInstall)
	put("excludeWarmer", o.ExcludeWarmer)
	put("excludeDirs", strings.Join(o.ExcludeDirs, "\x00"))
	put("architecture", o.Architecture)
	put("publicURL", o.PublicURL)
	put("sourceMaps", o.SourceMaps)
	put("app", b.app.String())
	for _, d := range b.envDigests() {
		put("envFile", d)
	}
	env := os.Environ()
	sort.Strings(env)
	for _, kv := range env {
		if strings.HasPrefix(kv, "PYTHON") || strings.HasPrefix(kv, "DASH_") || strings.HasPrefix(kv, "PYENV") {
			put("env", kv)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

const modulePath = "github.com/opendash/opendash"

// codeIdentity names the OpenDash code that runs: a released module version is enough; a development build
// (the repository's own binary or tests, a replaced module) is known by its executable's path, size and
// mtime, because Version does not change with every edit.
var codeIdentity = sync.OnceValue(func() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		mod := &bi.Main
		for _, d := range bi.Deps {
			if d.Path == modulePath {
				mod = d
			}
		}
		if mod.Replace != nil {
			mod = mod.Replace
		}
		if mod.Path == modulePath && mod.Sum != "" && mod.Version != "" && mod.Version != "(devel)" &&
			!strings.Contains(mod.Version, "dirty") {
			return "module " + mod.Version + " " + mod.Sum
		}
	}
	if exe, err := os.Executable(); err == nil {
		if st, err := os.Stat(exe); err == nil {
			return fmt.Sprintf("executable %s %d %d", exe, st.Size(), st.ModTime().UnixNano())
		}
	}
	return "unknown"
})
