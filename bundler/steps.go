package bundler

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendash/opendash/bundler/extract"
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
		return errors.New("no source folder given: pass --source DIR, the folder that holds app.py")
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
	if fi, err := os.Stat(filepath.Join(src, "app.py")); err != nil || fi.IsDir() {
		return fmt.Errorf("%s has no app.py; OpenDash imports create_app() from app.py at the source root", src)
	}
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
	b.source, b.out = src, out
	b.detail = src
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
	excludes := append([]string(nil), b.opts.ExcludeDirs...)
	// An --out inside the source must not be copied into itself.
	if rel, err := filepath.Rel(b.source, b.out); err == nil && !strings.HasPrefix(rel, "..") {
		excludes = append(excludes, filepath.ToSlash(rel))
	}
	plan, err := serverfn.Plan(serverfn.Options{
		SourceDir:    b.source,
		ExcludeDirs:  excludes,
		Architecture: b.opts.Architecture,
	})
	if err != nil {
		return err
	}
	b.server = plan
	b.detail = fmt.Sprintf("%d source files", len(plan.SourceFiles()))
	return nil
}

func skipInstall(b *build) string {
	if b.opts.SkipInstall {
		return "--skip-install"
	}
	if _, err := os.Stat(filepath.Join(b.source, "requirements.txt")); err != nil {
		return "no requirements.txt"
	}
	return ""
}

func installRequirements(ctx context.Context, b *build) error {
	ran, err := python.Install(ctx, b.python, b.source)
	b.install = ran
	return err
}

func stageOutput(_ context.Context, b *build) error {
	stage, err := output.Begin(b.out)
	if err != nil {
		return err
	}
	b.stage = stage
	return os.MkdirAll(filepath.Join(stage.Dir, AssetsDir), 0o755)
}

func extractApp(ctx context.Context, b *build) error {
	r, err := extract.Run(ctx, extract.Options{
		Python:     b.python,
		SourceDir:  b.source,
		OutDir:     filepath.Join(b.stage.Dir, AssetsDir),
		PublicURL:  b.opts.PublicURL,
		SourceMaps: b.opts.SourceMaps,
	})
	if err != nil {
		return err
	}
	b.report = r
	b.result.Warnings = append(b.result.Warnings, r.Warnings...)
	b.detail = fmt.Sprintf("Dash %s on Python %s", r.DashVersion, r.PythonVersion)
	return b.server.SetEnvironment(r.PythonVersion, r.Installed, r.MustPin)
}

func writeStatic(_ context.Context, b *build) error {
	dir := filepath.Join(b.stage.Dir, AssetsDir)
	files, err := static.Files(b.report, dir)
	if err != nil {
		return err
	}
	pages := map[string]bool{}
	for _, r := range b.report.Rendered {
		pages[r.Key] = r.Kind == "page"
	}
	behaviors, unreachable, warnings := static.Plan(files, pages, static.Routes(b.report), b.report.RequestsPathnamePrefix)
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
	b.detail = fmt.Sprintf("%d files, %s", len(files), humanBytes(b.result.StaticBytes))
	return nil
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
	dir := filepath.Join(b.stage.Dir, filepath.FromSlash(ServerDir))
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	res, err := b.server.Write(dir)
	if err != nil {
		return err
	}
	b.result.Warnings = append(b.result.Warnings, res.Warnings...)
	b.detail = fmt.Sprintf("%d files, %s", res.Files, humanBytes(res.Bytes))
	return nil
}

func skipWarmer(b *build) string {
	if b.opts.ExcludeWarmer {
		return "--include-warmer=false"
	}
	return ""
}

func writeWarmer(_ context.Context, b *build) error {
	dir := filepath.Join(b.stage.Dir, WarmerDir)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	_, err := warmer.Write(dir)
	return err
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

func humanBytes(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	default:
		return fmt.Sprintf("%d B", n)
	}
}
