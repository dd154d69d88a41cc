// Package bundler turns a Dash app folder into .open-dash/: the static site, the server function, the
// warmer and the manifest that ties them together. A bundle is an ordered list of small steps (steps
// below); each reads and extends one build state and can be tested on its own.
package bundler

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/bundler/entry"
	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/bundler/output"
	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/bundler/static"
	"github.com/opendash/opendash/bundler/warmer"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/version"
)

// Version is OpenDash's own version (package version), recorded in every manifest.
var Version = version.String()

// Folder layout inside .open-dash, as the manifest records it.
const (
	AssetsDir = "assets"
	ServerDir = "server-functions/default"
	WarmerDir = "warmer-function"
)

// Result summarises a finished bundle.
type Result struct {
	OutDir      string             `json:"outDir"`
	Manifest    *manifest.Manifest `json:"-"`
	Files       int                `json:"files"` // every file written
	Bytes       int64              `json:"bytes"`
	StaticFiles int                `json:"staticFiles"`
	StaticBytes int64              `json:"staticBytes"`
	Steps       []StepTime         `json:"steps"`
	Warnings    []string           `json:"warnings"`
	// Cached is true when nothing the bundle is made from changed since the last one, which was reused.
	Cached bool `json:"cached"`
	// Install tells how the requirements step went; nil when it was skipped.
	Install *Install `json:"install,omitempty"`
}

// Install is the requirements step: a check inside the extraction's Python, and pip only when it is needed.
type Install struct {
	Checked   int           `json:"checked"`           // distributions checked, dependencies included
	Satisfied bool          `json:"satisfied"`         // everything was already installed: pip did not run
	Missing   []string      `json:"missing,omitempty"` // what made pip run
	Pip       bool          `json:"pip"`               // pip install -r requirements.txt ran
	Duration  time.Duration `json:"durationNs"`        // the whole step
}

// StepTime is how long one step took, or why it was skipped.
type StepTime struct {
	Name     string        `json:"name"`
	Duration time.Duration `json:"durationNs"`
	Skipped  string        `json:"skipped,omitempty"`
	Detail   string        `json:"detail,omitempty"`
}

// build is the state the steps share.
type build struct {
	opts    Options
	started time.Time
	source  string // absolute source folder
	out     string // absolute final output folder
	python  string
	app     entry.Spec  // --app, parsed
	env     []bundleVar // Options.EnvFiles, read (envfile.go)
	envSkip []string    // those inside the source folder, source-relative: not copied
	appFile string      // the entry module's file, source-relative
	server  *serverfn.Bundle
	stage   *output.Staging
	report  *extract.Report
	files   []manifest.File
	// manifestBehaviors are the CloudFront behaviors planned with the static files.
	manifestBehaviors []manifest.Behavior
	routes            []manifest.ServerRoute // what only the server answers, sorted (writeStatic)
	result            Result
	detail            string // what the running step wants printed after its name

	// Work that runs while Python extracts the app (see stageOutput and startExtraction).
	proc        *extract.Process
	copier      *static.Copier          // copies suite files and assets as extract.py names them
	copies      map[string]*static.Copy // the finished copies, by key
	serverCopy  *job                    // the app source into the server function
	serverSrc   serverfn.Result         // what serverCopy wrote
	serverFiles []serverfn.FileDigest   // every server-function file, for the build id
	warmerJob   *job                    // warmer-function/index.py
	warmerRes   warmer.Result           // what warmerJob wrote

	// The bundle cache (cache_steps.go). Its record is gathered while the bundle is finished.
	recordDirs *job        // stats the interpreter's import folders once the report names them
	dirs       []cache.Dir // what recordDirs found
	cached     bool        // the previous bundle was reused: every later step is skipped
	cacheDir   string
	noRecord   string // why this bundle must not be recorded ("" when it may)
}

type step struct {
	name string
	run  func(context.Context, *build) error
	// skip returns why the step does not apply, or "".
	skip func(*build) string
}

// steps is the whole bundle, in order. Python is the long pole: from "install requirements" (or "extract
// app") on, it runs while the app source is copied into the server function, the warmer is written and
// the component-suite files are copied as Python names them.
var steps = []step{
	{"check source", checkSource, nil},                         // source folder, app.py, output location
	{"find python", findPython, nil},                           // --python, $VIRTUAL_ENV, python3
	{"plan server function", planServer, nil},                  // walk the source once: loops, clashes, requirements
	{"cache", checkCache, skipCache},                           // reuse the last bundle when nothing it is made from changed
	{"stage output", stageOutput, nil},                         // a hidden folder beside the final one; start copying the source
	{"install requirements", installRequirements, skipInstall}, // check them in the app's Python; pip only if one is missing
	{"extract app", extractApp, nil},                           // run the app: index, layout, dependencies, pages, routes
	{"write static site", writeStatic, nil},                    // finish the streamed copies, plan behaviors
	{"write server function", writeServer, nil},                // pinned requirements.txt, Dockerfile (the rest is written)
	{"write warmer", writeWarmer, skipWarmer},                  // warmer-function/index.py (written while Python ran)
	{"write manifest", writeManifest, nil},                     // open-dash.output.json
	{"publish", publish, nil},                                  // swap the staging folder in
	{"save cache", saveCache, nil},                             // remember what this bundle was made from
}

// Bundle runs every step. On error nothing is left behind and a previous bundle is untouched.
func Bundle(ctx context.Context, o Options) (*Result, error) {
	ctx, cancel := context.WithCancel(ctx)
	b := &build{opts: o, started: time.Now()}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	defer func() {
		cancel()
		if b.stage != nil { // failed before publishing (publish sets it to nil)
			b.stopBackground() // nothing may write into the staging folder once it is removed
			b.stage.Abort()
		}
	}()
	for i, s := range steps {
		why := ""
		if b.cached {
			why = unchangedSkip
			if !strings.Contains(b.result.Steps[len(b.result.Steps)-1].Skipped, unchangedSkip) { // one line for them all
				fmt.Fprintf(progress, "  %-22s skipped: %s\n", fmt.Sprintf("%d more steps", len(steps)-i), why)
			}
		} else if s.skip != nil {
			why = s.skip(b)
		}
		if why != "" {
			b.result.Steps = append(b.result.Steps, StepTime{Name: s.name, Skipped: why})
			if why != unchangedSkip {
				fmt.Fprintf(progress, "  %-22s skipped: %s\n", s.name, why)
			}
			continue
		}
		start := time.Now()
		b.detail = ""
		if err := s.run(ctx, b); err != nil {
			return nil, &StepError{Step: s.name, Err: b.redactEnvErr(err)}
		}
		took := time.Since(start)
		b.result.Steps = append(b.result.Steps, StepTime{Name: s.name, Duration: took, Detail: b.detail})
		fmt.Fprintf(progress, "  %-22s %7s  %s\n", s.name, round(took), b.detail)
	}
	return &b.result, nil
}

// unchangedSkip is why the steps after a cache hit are skipped (one progress line says it for all of them).
const unchangedSkip = "unchanged since the last bundle (--no-cache rebuilds)"

// stopBackground ends what may still run after a failed step: Python, and the copies into the stage.
func (b *build) stopBackground() {
	if b.proc != nil {
		b.proc.Kill()
	}
	if b.copier != nil {
		b.copier.Discard() // waits for the copies; the staging folder is removed next anyway
	}
	b.serverCopy.wait()
	b.warmerJob.wait()
	b.recordDirs.wait()
}

// job is work started in the background; wait returns its error (a nil job is a finished no-op).
type job struct {
	done chan struct{}
	err  error
}

func goJob(f func() error) *job {
	j := &job{done: make(chan struct{})}
	go func() {
		defer close(j.done)
		j.err = f()
	}()
	return j
}

func (j *job) wait() error {
	if j == nil {
		return nil
	}
	<-j.done
	return j.err
}

// StepError names the step that failed.
type StepError struct {
	Step string
	Err  error
}

func (e *StepError) Error() string { return e.Step + ": " + e.Err.Error() }
func (e *StepError) Unwrap() error { return e.Err }

func round(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return d.Round(time.Microsecond).String()
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	default:
		return d.Round(10 * time.Millisecond).String()
	}
}
