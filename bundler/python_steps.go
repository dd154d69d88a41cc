package bundler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/bundler/python"
	"github.com/opendash/opendash/bundler/static"
)

// The steps that run the user's Python. It starts once: the requirement check runs inside the same
// process that then extracts the app, and only a missing requirement costs a pip run and a second start.

func skipInstall(b *build) string {
	if b.opts.SkipInstall {
		return "--skip-install"
	}
	if _, err := os.Stat(filepath.Join(b.source, "requirements.txt")); err != nil {
		return "no requirements.txt"
	}
	return ""
}

// pipInstall is python.Install; tests replace it to see whether pip would have run.
var pipInstall = python.Install

// virtualEnv is python.VirtualEnv; tests replace it.
var virtualEnv = python.VirtualEnv

func installRequirements(ctx context.Context, b *build) error {
	start := time.Now()
	inst := &Install{}
	b.result.Install = inst
	defer func() { inst.Duration = time.Since(start) }()

	lines, why := b.server.Requirements()
	if why == "" {
		if err := startExtraction(ctx, b, nonNil(lines)); err != nil {
			return err
		}
		req, err := b.proc.Requirements()
		if err != nil {
			return err
		}
		inst.Checked = req.Checked
		if req.Satisfied {
			inst.Satisfied = true
			b.detail = fmt.Sprintf("already satisfied (%d distributions checked in %s); pip not run",
				req.Checked, round(time.Duration(req.Seconds*float64(time.Second))))
			return nil
		}
		b.proc.Wait() // it stopped without importing the app: pip must change the environment first
		b.proc = nil
		inst.Missing = req.Missing
		if req.Undecided != "" {
			why = "cannot check " + req.Undecided
		} else {
			why = "missing " + strings.Join(req.Missing, "; ")
		}
	}
	if err := mayInstall(ctx, b, why); err != nil {
		return err
	}
	inst.Pip = true
	if _, err := pipInstall(ctx, b.python, b.source); err != nil {
		if ctx.Err() != nil {
			return err
		}
		return fmt.Errorf("%s, so pip ran; %w", why, err)
	}
	b.detail = "pip install -r requirements.txt: " + why
	return nil
}

// mayInstall refuses to pip install into a Python that is not a virtual environment unless --python named
// it: that would change the system's Python, or fail on an externally-managed one (PEP 668).
func mayInstall(ctx context.Context, b *build, why string) error {
	if b.opts.Python != "" {
		return nil
	}
	venv, err := virtualEnv(ctx, b.python)
	if err != nil || venv {
		return err
	}
	return fmt.Errorf("%s needs pip (%s), but %s is not a virtual environment: OpenDash installs only into a "+
		"virtual environment, or into a Python you name with --python"+
		"\n  hint: make one and bundle from it: python3 -m venv .venv && . .venv/bin/activate; "+
		"or install the requirements yourself and pass --skip-install; or pass --python %s to install into it anyway",
		filepath.Join(b.source, "requirements.txt"), why, b.python, b.python)
}

// startExtraction starts extract.py; check is nil, or the requirement lines to check first.
func startExtraction(ctx context.Context, b *build, check []string) error {
	assets := filepath.Join(b.stage.Dir, AssetsDir)
	if b.copier == nil {
		b.copier = static.NewCopier(assets)
	}
	p, err := extract.Start(ctx, extract.Options{
		Python:     b.python,
		SourceDir:  b.source,
		OutDir:     assets,
		PublicURL:  b.opts.PublicURL,
		SourceMaps: b.opts.SourceMaps,
		Versions:   b.server.Distributions(),
		Check:      check,
		Specs:      b.server.Specs(),
		OnCopy:     func(c extract.Copied) { b.copier.Start(c.Key, c.Source, c.Size, c.MtimeNs) },
		OnPrefetch: b.copier.Prefetch,
		ScriptDir:  scriptDir(),
		App:        b.app,
		Timeout:    b.opts.Timeout,
		Env:        b.envEntries(),
		// The app runs in a folder linking what the server function holds, as it will there.
		WorkdirEntries: nonNil(b.server.SourceEntries()),
	})
	if err != nil {
		return err
	}
	b.proc = p
	return nil
}

func extractApp(ctx context.Context, b *build) error {
	if b.proc == nil {
		if err := startExtraction(ctx, b, nil); err != nil {
			return err
		}
	}
	r, err := b.proc.Wait()
	b.copier.Unthrottle()
	if err != nil {
		return err
	}
	b.report = r
	b.recordDirs = goJob(func() error {
		for _, p := range r.ImportPaths {
			b.dirs = append(b.dirs, cache.WatchDir(p))
		}
		return nil
	})
	for _, w := range r.Warnings {
		b.result.Warnings = append(b.result.Warnings, b.redactEnv(w)) // the app's text, its values kept out
	}
	b.detail = fmt.Sprintf("%s, Dash %s on Python %s", r.Entry, r.DashVersion, r.PythonVersion)
	b.server.SetPrefixes(r.RequestsPathnamePrefix, r.RoutesPathnamePrefix)
	b.server.SetDisagreements(r.Disagree)
	b.server.SetEntry(r.Entry)
	return b.server.SetEnvironment(r.PythonVersion, r.Installed, r.MustPin)
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// scriptDir is where extract.py is kept so that Python caches its bytecode: beside the bundle records.
func scriptDir() string {
	dir, err := cache.Location()
	if err != nil {
		return ""
	}
	return filepath.Join(dir, "python")
}
