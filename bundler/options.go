package bundler

import (
	"io"
	"path/filepath"
	"time"
)

// OutputDirName is the folder the bundle is written to, beside the source folder.
const OutputDirName = ".open-dash"

// Options say what to bundle and how. The zero value of every field but SourceDir is a sensible default.
type Options struct {
	// SourceDir is the app folder: it holds app.py (or the module App names).
	SourceDir string
	// App is the entry point, MODULE[:ATTRIBUTE] like gunicorn's: ATTRIBUTE is a dash.Dash or a factory
	// (written `name()`, or any callable that is not a Dash). "" means module app, where create_app() is
	// used if defined, else a module-level Dash named app, else the only module-level Dash.
	App string
	// Timeout bounds importing the app and calling its entry point; 0 means 120 s.
	Timeout time.Duration
	// OutDir is where the bundle goes; "" means OutputDirName beside SourceDir.
	OutDir string
	// Python is the interpreter that runs the app; "" means $VIRTUAL_ENV/bin/python, else python3 on PATH.
	Python string
	// SkipInstall skips `pip install -r requirements.txt` into that Python.
	SkipInstall bool
	// ExcludeWarmer leaves out warmer-function/ (the CLI's --include-warmer=false).
	ExcludeWarmer bool
	// ExcludeDirs are folder names or source-relative paths left out of the server function's copy.
	ExcludeDirs []string
	// Architecture of the server Lambda: "x86_64" (default) or "arm64".
	Architecture string
	// PublicURL is the site's public base URL (https://example.com), used for the absolute URLs Dash Pages
	// puts in page metadata; "" renders them against manifest.OriginPlaceholder, which the deploy (and the
	// preview) replace by the origin the site is served from.
	PublicURL string
	// SourceMaps also ships the component suites' .map files (browsers fetch them only with devtools open).
	SourceMaps bool
	// NoCache bundles in full even when nothing changed since the last bundle (which is otherwise reused);
	// the result is still remembered for the next run.
	NoCache bool
	// EnvFiles are dotenv files (NAME=value lines, internal/dotenv) whose variables are set for the app while
	// it is imported, for an app that reads os.environ at import; a later file wins. Their values never reach
	// the bundle: a file inside the source folder is left out of the server function, a value the app
	// renders into a page, its layout or the manifest fails the bundle, and the cache keeps their digests.
	// On AWS the function gets them from the component's environment and secrets.
	EnvFiles []string
	// Force replaces an output folder that holds the bundle of another source folder (otherwise refused, so
	// that sibling apps bundled into one .open-dash do not silently replace each other).
	Force bool
	// Progress receives one line per step; nil discards it.
	Progress io.Writer
}

// outDir resolves where the bundle goes: beside the source folder however it is spelled (".", "app/").
func (o *Options) outDir() string {
	if o.OutDir != "" {
		return o.OutDir
	}
	src, err := filepath.Abs(o.SourceDir)
	if err != nil {
		src = filepath.Clean(o.SourceDir)
	}
	return filepath.Join(filepath.Dir(src), OutputDirName)
}
