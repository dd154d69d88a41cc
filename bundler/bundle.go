// Package bundler turns a Dash app folder into .open-dash/: the static site, the server function, the
// warmer and the manifest that ties them together. A bundle is an ordered list of small steps (steps
// below); each reads and extends one build state and can be tested on its own.
package bundler

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/bundler/output"
	"github.com/opendash/opendash/bundler/serverfn"
	"github.com/opendash/opendash/manifest"
)

// Version is OpenDash's own version, recorded in every manifest; release builds set it with -ldflags.
var Version = "0.1.0-dev"

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
	opts   Options
	source string // absolute source folder
	out    string // absolute final output folder
	python string
	server *serverfn.Bundle
	stage  *output.Staging
	report *extract.Report
	files  []manifest.File
	// manifestBehaviors are the CloudFront behaviors planned with the static files.
	manifestBehaviors []manifest.Behavior
	result            Result
	detail            string // what the running step wants printed after its name
	install           bool   // requirements were installed
}

type step struct {
	name string
	run  func(context.Context, *build) error
	// skip returns why the step does not apply, or "".
	skip func(*build) string
}

// steps is the whole bundle, in order.
var steps = []step{
	{"check source", checkSource, nil},                         // source folder, app.py, output location
	{"find python", findPython, nil},                           // --python, $VIRTUAL_ENV, python3
	{"plan server function", planServer, nil},                  // walk the source once: loops, clashes, requirements
	{"install requirements", installRequirements, skipInstall}, // pip install -r requirements.txt
	{"stage output", stageOutput, nil},                         // a hidden folder beside the final one
	{"extract app", extractApp, nil},                           // run the app: index, layout, dependencies, pages, routes
	{"write static site", writeStatic, nil},                    // copy suites and assets, hash, plan behaviors
	{"write server function", writeServer, nil},                // app copy, pinned requirements, index.py, Dockerfile
	{"write warmer", writeWarmer, skipWarmer},                  // warmer-function/index.py
	{"write manifest", writeManifest, nil},                     // open-dash.output.json
	{"publish", publish, nil},                                  // swap the staging folder in
}

// Bundle runs every step. On error nothing is left behind and a previous bundle is untouched.
func Bundle(ctx context.Context, o Options) (*Result, error) {
	b := &build{opts: o}
	progress := o.Progress
	if progress == nil {
		progress = io.Discard
	}
	defer func() {
		if b.stage != nil {
			b.stage.Abort() // a no-op after publish: the staging folder has become the bundle
		}
	}()
	for _, s := range steps {
		if s.skip != nil {
			if why := s.skip(b); why != "" {
				b.result.Steps = append(b.result.Steps, StepTime{Name: s.name, Skipped: why})
				fmt.Fprintf(progress, "  %-22s skipped: %s\n", s.name, why)
				continue
			}
		}
		start := time.Now()
		b.detail = ""
		if err := s.run(ctx, b); err != nil {
			return nil, &StepError{Step: s.name, Err: err}
		}
		took := time.Since(start)
		b.result.Steps = append(b.result.Steps, StepTime{Name: s.name, Duration: took, Detail: b.detail})
		fmt.Fprintf(progress, "  %-22s %7s  %s\n", s.name, round(took), b.detail)
	}
	return &b.result, nil
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
