package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
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
	architecture  string
	publicURL     string
	sourceMaps    bool
	noCache       bool
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
	f.StringVar(&o.architecture, "architecture", "x86_64", "server Lambda architecture: x86_64 or arm64")
	f.StringVar(&o.publicURL, "public-url", "", "the site's public URL, for absolute URLs in Dash Pages metadata")
	f.BoolVar(&o.sourceMaps, "source-maps", false, "also ship the component suites' source maps")
	f.BoolVar(&o.noCache, "no-cache", false, "bundle in full even when nothing changed since the last bundle")
	f.BoolVarP(&o.quiet, "quiet", "q", false, "print nothing but errors")
	f.BoolVar(&o.json, "json", false, "print a machine-readable summary on stdout")
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
		Architecture:  o.architecture,
		PublicURL:     o.publicURL,
		SourceMaps:    o.sourceMaps,
		NoCache:       o.noCache,
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
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.source == "" {
				return usageError{fmt.Errorf("--source is required: the folder that holds app.py")}
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
				fmt.Fprintf(stderr, "Bundled %d files (%s; static site %d files, %s) into %s in %s\n",
					res.Files, bundler.HumanBytes(res.Bytes), res.StaticFiles, bundler.HumanBytes(res.StaticBytes), res.OutDir,
					roundDuration(time.Since(start)))
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}

func printJSON(w io.Writer, res *bundler.Result) error {
	summary := struct {
		*bundler.Result
		BuildID     string `json:"buildId"`
		DashVersion string `json:"dashVersion"`
	}{Result: res, BuildID: res.Manifest.BuildID, DashVersion: res.Manifest.App.DashVersion}
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
