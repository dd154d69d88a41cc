package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/preview"
)

// bundleOptions are the flags of `open-dash bundle`.
type bundleOptions struct {
	source        string
	app           string
	timeout       time.Duration
	out           string
	python        string
	skipInstall   bool
	includeWarmer bool
	excludeDirs   []string
	envFiles      []string
	architecture  string
	publicURL     string
	sourceMaps    bool
	noCache       bool
	force         bool
	quiet         bool
	json          bool
}

func (o *bundleOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.source, "source", "", "the app folder: it holds app.py, or the module --app names (required)")
	f.StringVar(&o.app, "app", "", "entry point MODULE[:ATTRIBUTE], like gunicorn: a dash.Dash, or NAME() for a factory (default: module app; create_app(), else its Dash)")
	f.DurationVar(&o.timeout, "timeout", 120*time.Second, "longest the app may take to import and return its Dash app")
	f.StringVar(&o.out, "out", "", "output folder (default: .open-dash beside the source folder)")
	f.StringVar(&o.python, "python", "", "Python interpreter that runs the app (default: $VIRTUAL_ENV/bin/python, else python3)")
	f.BoolVar(&o.skipInstall, "skip-install", false, "do not pip install the app's requirements.txt first")
	f.BoolVar(&o.includeWarmer, "include-warmer", true, "write warmer-function/, which keeps server instances warm")
	f.StringSliceVar(&o.excludeDirs, "exclude-dirs", nil, "folders left out of the server function's copy of the source (comma-separated)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, envFileUsage)
	f.StringVar(&o.architecture, "architecture", "x86_64", "server Lambda architecture: x86_64 or arm64")
	f.StringVar(&o.publicURL, "public-url", "", "the site's public URL, for absolute URLs in Dash Pages metadata")
	f.BoolVar(&o.sourceMaps, "source-maps", false, "also ship the component suites' source maps")
	f.BoolVar(&o.noCache, "no-cache", false, "bundle in full even when nothing changed since the last bundle")
	f.BoolVar(&o.force, "force", false, "replace an output folder that holds the bundle of another source folder")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	f.BoolVar(&o.json, "json", false, "print a machine-readable summary on stdout")
}

// validate rejects flag values no bundle could use before anything runs: they are a wrong command line.
func (o *bundleOptions) validate() error {
	switch o.architecture {
	case serverfn.ArchX86, serverfn.ArchARM64:
	default:
		return fmt.Errorf("--architecture %q is not one Lambda runs: use %s or %s", o.architecture, serverfn.ArchX86, serverfn.ArchARM64)
	}
	if o.publicURL != "" {
		// Dash Pages writes it before page paths in og:url and twitter:url: anything but an absolute http(s)
		// URL makes broken metadata.
		u, err := url.Parse(o.publicURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("--public-url %q is not an absolute http(s) URL: give the site's address, e.g. https://dash.example.com", o.publicURL)
		}
	}
	return nil
}

func (o *bundleOptions) libraryOptions(progress io.Writer) bundler.Options {
	return bundler.Options{
		SourceDir:     o.source,
		App:           o.app,
		Timeout:       o.timeout,
		OutDir:        o.out,
		Python:        o.python,
		SkipInstall:   o.skipInstall,
		ExcludeWarmer: !o.includeWarmer,
		ExcludeDirs:   o.excludeDirs,
		EnvFiles:      o.envFiles,
		Architecture:  o.architecture,
		PublicURL:     o.publicURL,
		SourceMaps:    o.sourceMaps,
		NoCache:       o.noCache,
		Force:         o.force,
		Progress:      progress,
	}
}

func newBundle(stdout, stderr io.Writer) *cobra.Command {
	o := &bundleOptions{}
	cmd := &cobra.Command{
		Use:   "bundle --source DIR",
		Short: "Bundle a Dash app into .open-dash/ (static site, server function, warmer, manifest)",
		Example: `  open-dash bundle --source ./my-app
  open-dash bundle --source ./my-app --app index:app
  open-dash bundle --source ./my-app --python .venv/bin/python --skip-install --json`,
		Args:        noArgs,
		Annotations: map[string]string{jsonErrorsAnnotation: "true"},
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.source == "" {
				return usageError{fmt.Errorf("--source is required: the folder that holds app.py")}
			}
			if err := o.validate(); err != nil {
				return usageError{err}
			}
			progress := stderr
			if o.quiet || o.json {
				progress = io.Discard
			}
			start := time.Now()
			fmt.Fprintf(progress, "Bundling %s\n", o.source)
			res, err := bundler.Bundle(cmd.Context(), o.libraryOptions(progress))
			if err != nil {
				return err
			}
			if o.json {
				return printJSON(stdout, res)
			}
			if !o.quiet {
				for _, w := range res.Warnings {
					fmt.Fprintf(stderr, "warning: %s\n", w)
				}
				for _, r := range res.Manifest.ServerRoutes {
					if r.Reason != "" { // a URL the app protects
						fmt.Fprintf(stderr, "server route: %s: served by your app, not S3\n", r.Reason)
					}
				}
				for _, b := range res.Manifest.App.BackgroundCallbacks {
					fmt.Fprintf(stderr, "%s\n", b.LambdaNote())
				}
				fmt.Fprintf(stderr, "Bundled %d files (%s; static site %d files, %s) into %s in %s\n",
					res.Files, bundler.HumanBytes(res.Bytes), res.StaticFiles, bundler.HumanBytes(res.StaticBytes), res.OutDir,
					roundDuration(time.Since(start)))
				fmt.Fprintf(stderr, "Next: open-dash preview %s\n", previewArgs(o.source, res.OutDir))
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}

// previewArgs is how `open-dash preview` finds this bundle: by its source when it looks there, else by folder.
func previewArgs(source, out string) string {
	if dir, err := preview.ForSource(source); err == nil && dir == out {
		return "--source " + source
	}
	return "--dir " + out
}

func printJSON(w io.Writer, res *bundler.Result) error {
	summary := struct {
		OK bool `json:"ok"` // false only in the error object (jsonerr.go)
		*bundler.Result
		BuildID     string `json:"buildId"`
		DashVersion string `json:"dashVersion"`
	}{OK: true, Result: res, BuildID: res.Manifest.BuildID, DashVersion: res.Manifest.App.DashVersion}
	if summary.Warnings == nil {
		summary.Warnings = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(summary)
}

// roundDuration keeps a cached re-bundle's milliseconds visible ("1.4ms", not "0s").
func roundDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(100 * time.Microsecond).String()
	}
	return d.Round(10 * time.Millisecond).String()
}
