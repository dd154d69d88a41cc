package component

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/entry"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// bundleSource runs the bundler on a source folder. Tests replace it so they can deploy a bundle folder
// from testdata without running Python.
var bundleSource = func(ctx context.Context, o bundler.Options) (*bundler.Result, error) {
	return bundler.Bundle(ctx, o)
}

// BundleOptions are the bundler options a DashSite with args.Source bundles with, so that a caller who
// bundles first (open-dash deploy, which then passes bundleDir) makes the same bundle.
func BundleOptions(args *DashSiteArgs) bundler.Options {
	warmer := warmerSetting(args)
	return bundler.Options{
		SourceDir:     args.Source,
		OutDir:        args.OutDir,
		App:           args.App,
		Python:        args.Python,
		SkipInstall:   args.SkipInstall,
		ExcludeDirs:   args.ExcludeDirs,
		ExcludeWarmer: warmer != nil && !*warmer,
		Architecture:  args.Architecture,
	}
}

// siteBundle is a bundle folder and its manifest, checked against the component's arguments.
type siteBundle struct {
	dir      string // as given or written by the bundler; paths below are built from it
	manifest *manifest.Manifest
}

// loadBundle bundles Source (or reads BundleDir) and checks that everything the manifest names is there.
func loadBundle(ctx *pulumi.Context, comp pulumi.Resource, name string, s *settings) (*siteBundle, error) {
	var b siteBundle
	if s.BundleDir != "" {
		m, err := manifest.Read(s.BundleDir)
		if err != nil {
			return nil, fmt.Errorf("DashSite %q: bundleDir: %w", name, err)
		}
		b = siteBundle{dir: s.BundleDir, manifest: m}
	} else {
		opts := BundleOptions(&s.DashSiteArgs)
		opts.Progress = &logWriter{ctx: ctx, res: comp}
		res, err := bundleSource(ctx.Context(), opts)
		var owned *bundler.OwnedError
		if errors.As(err, &owned) {
			return nil, fmt.Errorf("DashSite %q: bundling %s: %s holds the bundle of %s, and a bundle replaces its "+
				"folder whole\n  hint: give this DashSite its own bundle folder: outDir: %q", name, s.Source,
				owned.Out, owned.Owner, bundler.OwnOutDir(owned.Source))
		}
		if err != nil {
			return nil, fmt.Errorf("DashSite %q: bundling %s: %w", name, s.Source, err)
		}
		if res == nil || res.Manifest == nil {
			return nil, fmt.Errorf("DashSite %q: the bundler returned no manifest for %s", name, s.Source)
		}
		b = siteBundle{dir: res.OutDir, manifest: res.Manifest}
	}
	if err := b.check(name, s); err != nil {
		return nil, err
	}
	return &b, nil
}

// check compares the bundle with the arguments and makes sure every file the deploy reads exists, so a
// broken bundle fails at preview with its name instead of half way through an update.
func (b *siteBundle) check(name string, s *settings) error {
	m := b.manifest
	if s.Architecture != "" && s.Architecture != m.Origins.Server.Architecture {
		return fmt.Errorf("DashSite %q: architecture is %s but the bundle in %s was built for %s; re-bundle with "+
			"`open-dash bundle --architecture %s` or drop the architecture argument", name, s.Architecture, b.dir,
			m.Origins.Server.Architecture, s.Architecture)
	}
	if e := m.App.Entry; s.App != "" && e != (manifest.Entry{}) {
		if spec, err := entry.Parse(s.App); err != nil || spec.Module != e.Module ||
			(spec.Attribute != "" && spec.Attribute != e.Attribute) {
			return fmt.Errorf("DashSite %q: app is %s but the bundle in %s imports %s; re-bundle with "+
				"`open-dash bundle --app %s` or drop the app argument", name, s.App, b.dir, e, s.App)
		}
	}
	if s.warmer != nil && *s.warmer && m.Origins.Warmer == nil {
		return fmt.Errorf("DashSite %q: warmer is on but the bundle in %s has no warmer function; re-bundle "+
			"with `open-dash bundle --include-warmer` or set warmer to false", name, b.dir)
	}
	var missing []string
	need := func(rel string) {
		if _, err := os.Stat(b.path(rel)); err != nil {
			missing = append(missing, rel)
		}
	}
	need(m.Origins.Server.Dockerfile)
	for _, f := range m.Files {
		need(m.Origins.S3.Dir + "/" + f.Path)
	}
	if b.warmerOn(s) {
		need(m.Origins.Warmer.Dir)
	}
	if len(missing) > 0 {
		if len(missing) > 5 {
			missing = append(missing[:5], fmt.Sprintf("and %d more", len(missing)-5))
		}
		return fmt.Errorf("DashSite %q: %s: %s listed in %s but missing; the bundle is incomplete, re-run "+
			"`open-dash bundle`", name, b.dir, strings.Join(missing, ", "), manifest.FileName)
	}
	return nil
}

// warmerOn reports whether the deploy includes the warmer: on by default when the bundle has one (see resolve).
func (b *siteBundle) warmerOn(s *settings) bool {
	return b.manifest.Origins.Warmer != nil && s.warmerAsked()
}

// path turns a manifest path (slash-separated, relative to the bundle) into one for the deploy. It stays
// relative to the program's folder when it can, so state does not change when the checkout moves.
func (b *siteBundle) path(rel string) string {
	p := filepath.Join(b.dir, filepath.FromSlash(rel))
	if !filepath.IsAbs(p) {
		return p
	}
	if wd, err := os.Getwd(); err == nil {
		if r, err := filepath.Rel(wd, p); err == nil {
			return r
		}
	}
	return p
}

// logWriter turns the bundler's progress lines into Pulumi info messages on the component.
type logWriter struct {
	ctx *pulumi.Context
	res pulumi.Resource
	buf []byte
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := strings.TrimRight(string(w.buf[:i]), "\r")
		w.buf = w.buf[i+1:]
		if strings.TrimSpace(line) != "" {
			_ = w.ctx.Log.Info(line, &pulumi.LogArgs{Resource: w.res}) // progress only: a lost line is harmless
		}
	}
}
