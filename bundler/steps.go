package bundler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/opendash/opendash/bundler/bodyhash"
	"github.com/opendash/opendash/bundler/entry"
	"github.com/opendash/opendash/bundler/output"
	"github.com/opendash/opendash/bundler/python"
	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/bundler/static"
	"github.com/opendash/opendash/bundler/warmer"
	"github.com/opendash/opendash/manifest"
)

// pythonEnv is where findPython looks; tests replace it.
var pythonEnv = python.System

func checkSource(_ context.Context, b *build) error {
	if b.opts.SourceDir == "" {
		return errors.New("no source folder given: pass --source DIR, the folder that holds app.py (or the module --app names)")
	}
	src, err := filepath.Abs(b.opts.SourceDir)
	if err != nil {
		return err
	}
	info, err := os.Stat(src)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return fmt.Errorf("source folder %s does not exist; pass the folder that holds app.py", src)
	case err != nil:
		return fmt.Errorf("source folder %s: %w", src, err)
	case !info.IsDir():
		return fmt.Errorf("source %s is a file; pass the folder that holds app.py", src)
	}
	spec, err := entry.Parse(b.opts.App)
	if err != nil {
		return err
	}
	if b.appFile, err = spec.Find(src); err != nil {
		return err
	}
	b.app = spec
	switch b.opts.Architecture {
	case "":
		b.opts.Architecture = serverfn.ArchX86
	case serverfn.ArchX86, serverfn.ArchARM64:
	default:
		return fmt.Errorf("architecture %q is not one Lambda runs: use x86_64 or arm64", b.opts.Architecture)
	}
	out, err := filepath.Abs(b.opts.outDir())
	if err != nil {
		return err
	}
	if out == src || strings.HasPrefix(src, out+string(filepath.Separator)) {
		return fmt.Errorf("output folder %s would replace the source %s; choose another --out", out, src)
	}
	if err := checkOwner(src, out, b.opts.Force); err != nil {
		return err
	}
	b.source, b.out = src, out
	if b.envSkip, err = readEnvFiles(b); err != nil {
		return err
	}
	b.detail = src
	if len(b.env) > 0 {
		names := make([]string, len(b.env))
		for i, v := range b.env {
			names[i] = v.name
		}
		b.detail += "; for the app's import, from the env file: " + strings.Join(names, ", ")
	}
	return nil
}

func findPython(_ context.Context, b *build) error {
	py, err := pythonEnv.Find(b.opts.Python)
	if err != nil {
		return err
	}
	b.python, b.detail = py, py
	return nil
}

func planServer(_ context.Context, b *build) error {
	var skip []string
	// An --out inside the source must not be copied into itself (it is the bundle's own, not the user's
	// exclusion: it never makes an "--exclude-dirs matched nothing" warning).
	if rel, err := filepath.Rel(b.source, b.out); err == nil && !strings.HasPrefix(rel, "..") {
		skip = append(skip, rel)
	}
	skip = append(skip, b.envSkip...) // the env files' values stay out of the image
	plan, err := serverfn.Plan(serverfn.Options{
		SourceDir:    b.source,
		ExcludeDirs:  b.opts.ExcludeDirs,
		Skip:         skip,
		Architecture: b.opts.Architecture,
		AppFile:      b.appFile,
	})
	if err != nil {
		return err
	}
	b.server = plan
	b.detail = fmt.Sprintf("%d source files", len(plan.SourceFiles()))
	return nil
}

func stageOutput(_ context.Context, b *build) error {
	stage, err := output.Begin(b.out)
	if err != nil {
		return err
	}
	b.stage = stage
	// Nothing here needs Python, and creating a folder costs most of a millisecond on some file systems:
	// all of it happens while Python runs (extract.py writes into assets/ only after importing the app).
	serverDir := filepath.Join(stage.Dir, filepath.FromSlash(ServerDir))
	b.serverCopy = goJob(func() error {
		if err := os.MkdirAll(filepath.Join(stage.Dir, AssetsDir), 0o755); err != nil {
			return err
		}
		if err := os.MkdirAll(serverDir, 0o755); err != nil {
			return err
		}
		var err error
		b.serverSrc, err = b.server.CopySource(serverDir)
		return err
	})
	if !b.opts.ExcludeWarmer {
		warmerDir := filepath.Join(stage.Dir, WarmerDir)
		b.warmerJob = goJob(func() error {
			if err := os.MkdirAll(warmerDir, 0o755); err != nil {
				return err
			}
			var err error
			b.warmerRes, err = warmer.Write(warmerDir)
			return err
		})
	}
	return nil
}

func writeStatic(_ context.Context, b *build) error {
	dir := filepath.Join(b.stage.Dir, AssetsDir)
	files, copies, err := static.FilesCopied(b.report, dir, b.copier)
	if err != nil {
		return err
	}
	if err := b.copier.Discard(); err != nil { // prefetched copies no URL asked for
		return err
	}
	b.copies = copies
	if files, err = withBodyHash(files, dir, b.report.RequestsPathnamePrefix); err != nil {
		return err
	}
	for _, c := range b.report.Copied {
		// Dash made its fingerprint from the mtime extract.py saw; a different one now means a reinstall
		// raced this bundle: the bundle is fine to publish but must not be remembered as up to date.
		if cp := copies[c.Key]; cp != nil && cp.SourceInfo != nil &&
			(cp.SourceInfo.Size() != c.Size || cp.SourceInfo.ModTime().UnixNano() != c.MtimeNs) {
			b.noRecord = c.Source + " changed while bundling"
		}
	}
	pages := map[string]bool{}
	for _, r := range b.report.Rendered {
		pages[r.Key] = r.Kind == "page"
	}
	b.routes = static.Routes(b.report)
	behaviors, unreachable, warnings := static.Plan(files, pages, b.routes, b.report.RequestsPathnamePrefix)
	b.result.Warnings = append(b.result.Warnings, warnings...)
	if len(unreachable) > 0 {
		if files, err = dropFiles(files, unreachable, dir); err != nil {
			return err
		}
	}
	b.files = files
	b.manifestBehaviors = behaviors
	for _, f := range files {
		b.result.StaticBytes += f.Size
	}
	b.result.StaticFiles = len(files)
	b.detail = fmt.Sprintf("%d files, %s", len(files), HumanBytes(b.result.StaticBytes))
	return nil
}

// withBodyHash adds the body-hash script every page loads (bundler/bodyhash) to the sorted static files.
func withBodyHash(files []manifest.File, dir, prefix string) ([]manifest.File, error) {
	f, err := bodyhash.Write(dir, prefix)
	if err != nil {
		return nil, err
	}
	i, found := slices.BinarySearchFunc(files, f.Key, func(f manifest.File, key string) int { return strings.Compare(f.Key, key) })
	if found {
		return nil, fmt.Errorf("the app serves /%s itself, which clashes with the script open-dash adds to every page; rename that file", f.Key)
	}
	return slices.Insert(files, i, f), nil
}

// dropFiles removes the files no behavior reaches from the output and the list.
func dropFiles(files []manifest.File, keys []string, dir string) ([]manifest.File, error) {
	drop := map[string]bool{}
	for _, k := range keys {
		drop[k] = true
	}
	kept := files[:0]
	for _, f := range files {
		if drop[f.Key] {
			if err := os.Remove(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
				return nil, err
			}
			continue
		}
		kept = append(kept, f)
	}
	return kept, nil
}

func writeServer(_ context.Context, b *build) error {
	if err := b.serverCopy.wait(); err != nil {
		return err
	}
	fin, err := b.server.Finish(filepath.Join(b.stage.Dir, filepath.FromSlash(ServerDir)))
	if err != nil {
		return err
	}
	src := b.serverSrc
	if len(src.ChangedDuringCopy) > 0 {
		b.noRecord = strings.Join(src.ChangedDuringCopy, ", ") + " changed while bundling"
	}
	b.result.Warnings = append(b.result.Warnings, src.Warnings...)
	b.result.Warnings = append(b.result.Warnings, fin.Warnings...)
	for _, d := range append(append([]serverfn.FileDigest(nil), src.Digests...), fin.Digests...) {
		d.Rel = ServerDir + "/" + d.Rel
		b.serverFiles = append(b.serverFiles, d)
	}
	b.detail = fmt.Sprintf("%d files, %s", src.Files+fin.Files, HumanBytes(src.Bytes+fin.Bytes))
	return nil
}

func skipWarmer(b *build) string {
	if b.opts.ExcludeWarmer {
		return "--include-warmer=false"
	}
	return ""
}

func writeWarmer(_ context.Context, b *build) error {
	if err := b.warmerJob.wait(); err != nil {
		return err
	}
	b.serverFiles = append(b.serverFiles, serverfn.FileDigest{Rel: WarmerDir + "/" + warmer.IndexFile,
		SHA256: b.warmerRes.SHA256, Mode: 0o644, Size: b.warmerRes.Bytes})
	return nil
}

func publish(_ context.Context, b *build) error {
	if err := b.stage.Commit(); err != nil {
		return err
	}
	b.stage = nil
	b.result.OutDir = b.out
	b.detail = b.out
	return nil
}

// HumanBytes formats a byte count for people: "512 B", "13.3 KiB", "8.7 MiB".
func HumanBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
