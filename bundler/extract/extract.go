// Package extract runs the embedded extract.py in the user's Python and decodes what it reports: the files
// the static site must serve (rendered by the app, or copied from disk), the routes only the server can
// answer, and the installed versions the server function must pin.
package extract

import (
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/opendash/opendash/bundler/background"
	"github.com/opendash/opendash/bundler/bodyhash"
	"github.com/opendash/opendash/bundler/contenttimes"
	"github.com/opendash/opendash/bundler/entry"
	"github.com/opendash/opendash/bundler/workdir"
	"github.com/opendash/opendash/bundler/writeevents"
	"github.com/opendash/opendash/manifest"
)

//go:embed extract.py
var extractPy string

//go:embed installed.py
var installedPy string

//go:embed requirements.py
var requirementsPy string

//go:embed loadapp.py
var loadappPy string

//go:embed access.py
var accessPy string

//go:embed writes.py
var writesPy string

// script is what Python runs: the installed-packages helpers, the requirement check, the entry-point loader,
// content times and the working folder (all three shared with the server function), the write events (shared
// with the preview) and the guard of the app's folder, the background-callback detection, the app loader, the
// anonymous-access checks and the body-hash page hook, then the extraction that uses them.
var script = installedPy + "\n\n" + requirementsPy + "\n\n" + string(entry.Python) + "\n\n" +
	string(contenttimes.Py) + "\n\n" + string(workdir.Py) + "\n\n" + writeevents.Py + "\n\n" + writesPy +
	"\n\n" + string(background.Python) + "\n\n" + loadappPy + "\n\n" + accessPy + "\n\n" + bodyhash.Source() +
	"\n\n" + extractPy

// DefaultTimeout bounds importing the app and calling its entry point.
const DefaultTimeout = 120 * time.Second

// Script is the extraction program's source, for tests that run it directly.
func Script() string { return script }

// Report is what extract.py writes on success.
type Report struct {
	Entry                  manifest.Entry `json:"entry"` // what the server function must import
	DashVersion            string         `json:"dashVersion"`
	PythonVersion          string         `json:"pythonVersion"`
	RequestsPathnamePrefix string         `json:"requestsPathnamePrefix"`
	RoutesPathnamePrefix   string         `json:"routesPathnamePrefix"`
	UsePages               bool           `json:"usePages"`
	ServeLocally           bool           `json:"serveLocally"`
	Rendered               []Rendered     `json:"rendered"`
	Copied                 []Copied       `json:"copied"`
	ServerRoutes           []ServerRoute  `json:"serverRoutes"`
	// BackgroundCallbacks are the app's background callbacks, with the manager each uses.
	BackgroundCallbacks []manifest.BackgroundCallback `json:"backgroundCallbacks"`
	Installed           map[string]string             `json:"installed"`
	MustPin             []string                      `json:"mustPin"`
	Warnings            []string                      `json:"warnings"`
	// Disagree maps each Options.Specs line the installed version does not satisfy to that version.
	Disagree map[string]string `json:"disagree"`
	// ImportPaths are the folders (and zips) this Python imports from, the source folder excepted, plus
	// the user site folder even when absent: what a bundle cache watches for installed-package changes.
	ImportPaths []string `json:"importPaths"`
	// Executable is the interpreter binary that ran, symlinks resolved (the --python given may be a
	// venv's link, or a pyenv shim that picks a binary at each start).
	Executable string `json:"executable"`
}

// Rendered is a response the app produced, already written to the output folder as File.
type Rendered struct {
	Key         string `json:"key"`
	File        string `json:"file"` // relative to the output folder, slash-separated
	ContentType string `json:"contentType"`
	Kind        string `json:"kind"` // index, page, layout, dependencies, linked
	Size        int64  `json:"size"`
	SHA256      string `json:"sha256"`     // of the bytes written, hashed by extract.py as it wrote them
	SiteOrigin  bool   `json:"siteOrigin"` // it names manifest.OriginPlaceholder (Dash Pages' meta tags)
}

// Copied is a file on disk (a component suite file or an asset) to serve under Key.
type Copied struct {
	Key           string `json:"key"`
	Source        string `json:"source"`
	Fingerprinted bool   `json:"fingerprinted"`
	Size          int64  `json:"size"`    // as extract.py saw it
	MtimeNs       int64  `json:"mtimeNs"` // the mtime Dash's fingerprint was made from
}

// Requirements is extract.py's answer to "are the app's requirements already installed?".
type Requirements struct {
	Satisfied bool     `json:"satisfied"`
	Checked   int      `json:"checked"`   // distributions looked at, dependencies included
	Missing   []string `json:"missing"`   // requirement (required by whom): why it is not satisfied
	Undecided string   `json:"undecided"` // what the check could not read; pip decides instead
	Seconds   float64  `json:"seconds"`   // time the check itself took inside Python
}

// ServerRoute is a route only the server function can answer.
type ServerRoute struct {
	Path    string   `json:"path"`
	Kind    string   `json:"kind"`
	Methods []string `json:"methods"`
	Reason  string   `json:"reason,omitempty"` // why it is not static, for kind "protected"
}

// Options for one extraction.
type Options struct {
	Python     string
	SourceDir  string // absolute
	OutDir     string // absolute; rendered responses are written here
	PublicURL  string // base URL for absolute URLs in page metadata; "" renders against manifest.OriginPlaceholder
	SourceMaps bool
	// Versions names the distributions whose installed version the report must carry (besides the owners
	// of the served component suites, always reported).
	Versions []string
	// Specs are requirement lines whose specifier the report compares with the installed version
	// (Report.Disagree), whether or not the requirements were installed or checked.
	Specs []string
	// Check holds requirement lines to check before the app is imported; nil skips the check. When one is
	// missing, Python stops without importing the app (Requirements says what is missing).
	Check []string
	// OnCopy is called, from another goroutine, as soon as Python names a file to copy.
	OnCopy func(Copied)
	// ScriptDir is a folder of OpenDash's own where the script is written once, so that Python caches its
	// bytecode beside it (compiling it costs more than 5 ms per run); "" passes the script with -c.
	ScriptDir string
	// OnPrefetch is called, from another goroutine, with files Dash's own libraries will most likely serve,
	// named right after dash is imported: a head start for copies that OnCopy may ask for later. near is
	// the folder (slash-separated, below OutDir) where the file's URL will most likely be.
	OnPrefetch func(source, near string)
	// App is the --app entry point; the zero value is module app, attribute resolved by extract.py.
	App entry.Spec
	// Timeout bounds importing the app and calling its entry point; 0 means DefaultTimeout.
	Timeout time.Duration
	// Env are NAME=value variables set for the app's Python, over OpenDash's own environment (Options.EnvFiles
	// of the bundler).
	Env []string
	// WorkdirEntries are the top-level names of the server function's copy of the source: the app runs in
	// a temporary folder linking these, as the server function runs it (bundler/workdir). nil links all.
	WorkdirEntries []string
}

// AppError is a problem with the user's app (or its environment) that extract.py diagnosed.
type AppError struct {
	// dash_missing, syntax, no_module, import_app, no_app, no_attribute, several_apps, create_app_raised,
	// not_dash, no_layout, timeout, backend, render, read_only, env_missing
	Kind      string
	Message   string
	Traceback string
}

// Hint is how to fix the problem, "" when the message says it.
func (e *AppError) Hint() string { return hints[e.Kind] }

func (e *AppError) Error() string {
	msg := e.Message
	if hint := hints[e.Kind]; hint != "" {
		msg += "\n  hint: " + hint
	}
	if e.Traceback != "" {
		msg += "\n\n" + strings.TrimRight(e.Traceback, "\n")
	}
	return msg
}

var hints = map[string]string{
	"dash_missing": "install your requirements into this Python (drop --skip-install) or choose another with --python",
	"syntax":       "fix the syntax error; the bundle was not changed",
	"no_app": "define `def create_app():` returning your dash.Dash app, or make it at module level " +
		"(`app = Dash(__name__)`); if another module makes it, name it with --app MODULE:ATTRIBUTE",
	"no_module":         "--app MODULE is a dotted path relative to the source folder (--app pkg.app is pkg/app.py)",
	"no_attribute":      "--app MODULE:NAME names a dash.Dash in MODULE, MODULE:NAME() a function returning one",
	"several_apps":      "OpenDash deploys one app per site: name it with --app",
	"create_app_raised": "the traceback below is your app's; fix it and bundle again",
	"import_app":        "the traceback below is your app's; fix it and bundle again",
	"env_missing": "give the variable to the bundle with --env-file FILE (NAME=value lines, for open-dash bundle and " +
		"deploy; its value never reaches the bundle), or export it before `pulumi up`; or read it where it is " +
		"used (in a callback) or with os.environ.get",
	"not_dash":  "the entry point must be the dash.Dash instance or a function returning it (not app.server, not a layout)",
	"no_layout": "Dash serves nothing without a layout: set app.layout, or bundle the module that sets it with --app",
	"timeout": "an app must not block while it is imported: start long work lazily (in a callback or a " +
		"background thread), or raise the limit with --timeout",
	"render": "the app failed while rendering; run it locally (python app.py) to see the same error",
	"read_only": "an app may not write inside its own folder (read-only on AWS Lambda): write under " +
		"tempfile.gettempdir() (/tmp on Lambda), or to a new top-level relative path (./cache), which " +
		"lands in the writable folder the app runs in",
}

// Run executes extract.py and returns its report. An *AppError describes problems in the app.
func Run(ctx context.Context, o Options) (*Report, error) {
	p, err := Start(ctx, o)
	if err != nil {
		return nil, err
	}
	return p.Wait()
}

func decode(data []byte) (*Report, error) {
	var head struct {
		OK    bool      `json:"ok"`
		Error *AppError `json:"error"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("extraction report is not JSON: %w", err)
	}
	if !head.OK {
		if head.Error == nil {
			return nil, errors.New("extraction failed without saying why")
		}
		return nil, head.Error
	}
	var r Report
	if err := json.Unmarshal(data, &r); err != nil {
		return nil, fmt.Errorf("extraction report: %w", err)
	}
	return &r, nil
}

// tail keeps the last n lines: the end of a Python traceback is where the cause is.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{"..."}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}
