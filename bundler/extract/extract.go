// Package extract runs the embedded extract.py in the user's Python and decodes what it reports: the files
// the static site must serve (rendered by the app, or copied from disk), the routes only the server can
// answer, and the installed versions the server function must pin.
package extract

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

//go:embed extract.py
var script string

// Script is the extraction program's source, for tests that run it directly.
func Script() string { return script }

// Report is what extract.py writes on success.
type Report struct {
	DashVersion            string            `json:"dashVersion"`
	PythonVersion          string            `json:"pythonVersion"`
	RequestsPathnamePrefix string            `json:"requestsPathnamePrefix"`
	RoutesPathnamePrefix   string            `json:"routesPathnamePrefix"`
	UsePages               bool              `json:"usePages"`
	ServeLocally           bool              `json:"serveLocally"`
	Rendered               []Rendered        `json:"rendered"`
	Copied                 []Copied          `json:"copied"`
	ServerRoutes           []ServerRoute     `json:"serverRoutes"`
	Installed              map[string]string `json:"installed"`
	MustPin                []string          `json:"mustPin"`
	Warnings               []string          `json:"warnings"`
}

// Rendered is a response the app produced, already written to the output folder as File.
type Rendered struct {
	Key         string `json:"key"`
	File        string `json:"file"` // relative to the output folder, slash-separated
	ContentType string `json:"contentType"`
	Kind        string `json:"kind"` // index, page, layout, dependencies, linked
}

// Copied is a file on disk (a component suite file or an asset) to serve under Key.
type Copied struct {
	Key           string `json:"key"`
	Source        string `json:"source"`
	Fingerprinted bool   `json:"fingerprinted"`
}

// ServerRoute is a route only the server function can answer.
type ServerRoute struct {
	Path    string   `json:"path"`
	Kind    string   `json:"kind"`
	Methods []string `json:"methods"`
}

// Options for one extraction.
type Options struct {
	Python     string
	SourceDir  string // absolute
	OutDir     string // absolute; rendered responses are written here
	PublicURL  string // base URL for absolute URLs in page metadata; "" renders against http://localhost
	SourceMaps bool
}

// AppError is a problem with the user's app (or its environment) that extract.py diagnosed.
type AppError struct {
	Kind      string // dash_missing, syntax, import_app, no_create_app, create_app_raised, not_dash, backend, render
	Message   string
	Traceback string
}

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
	"dash_missing":      "install your requirements into this Python (drop --skip-install) or choose another with --python",
	"syntax":            "fix the syntax error; the bundle was not changed",
	"no_create_app":     "define `def create_app():` in app.py returning your dash.Dash app",
	"create_app_raised": "the traceback below is your app's; fix it and bundle again",
	"import_app":        "the traceback below is your app's; fix it and bundle again",
	"not_dash":          "create_app() must return the dash.Dash instance (not app.server, not a layout)",
	"render":            "the app failed while rendering; run it locally (python app.py) to see the same error",
}

// Run executes extract.py and returns its report. An *AppError describes problems in the app.
func Run(ctx context.Context, o Options) (*Report, error) {
	reportFile := filepath.Join(o.OutDir, ".extract-report.json")
	args := []string{"-B", "-c", script, o.SourceDir, o.OutDir, reportFile}
	if o.PublicURL != "" {
		args = append(args, "--public-url", o.PublicURL)
	}
	if o.SourceMaps {
		args = append(args, "--source-maps")
	}
	cmd := exec.CommandContext(ctx, o.Python, args...)
	cmd.Dir = o.SourceDir
	// -B and this keep Python from writing __pycache__ into the user's source folder.
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONUNBUFFERED=1")
	var output bytes.Buffer
	cmd.Stdout, cmd.Stderr = &output, &output
	runErr := cmd.Run()
	data, readErr := os.ReadFile(reportFile)
	os.Remove(reportFile)
	if readErr != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("the app's Python (%s) stopped before reporting (%v):\n%s", o.Python, runErr, tail(output.String(), 40))
	}
	return decode(data)
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
