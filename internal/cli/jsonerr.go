package cli

import (
	"encoding/json"
	"errors"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/extract"
)

// jsonError is what --json prints on stdout when a command fails, so scripts never parse stderr.
type jsonError struct {
	OK    bool `json:"ok"` // always false
	Error struct {
		Step    string `json:"step"` // the bundle step that failed, or "command line"
		Message string `json:"message"`
		Hint    string `json:"hint"` // how to fix it; "" when the message itself says so
		// Traceback is the Python traceback of an error in the app (from the app's first frame on).
		Traceback string `json:"traceback,omitempty"`
	} `json:"error"`
}

// hintMarker separates an error's cause from its fix in OpenDash's multi-line messages.
const hintMarker = "\n  hint: "

// jsonErrorsAnnotation marks the commands whose --json output on failure is this error object (a command
// that prints its own report on failure, such as a list of failed checks, leaves it out).
const jsonErrorsAnnotation = "opendash/json-errors"

// wantsJSON reports whether the failed command prints JSON errors and was asked for machine output (flags
// parsed before a bad one count too: pflag parses in order).
func wantsJSON(cmd *cobra.Command) bool {
	if cmd == nil || cmd.Annotations[jsonErrorsAnnotation] == "" {
		return false
	}
	f := cmd.Flags().Lookup("json")
	return f != nil && f.Value.String() == "true"
}

func printJSONError(w io.Writer, err error) {
	var out jsonError
	var usage usageError
	var step *bundler.StepError
	msg := err.Error()
	switch {
	case errors.As(err, &usage):
		out.Error.Step = "command line"
	case errors.As(err, &step):
		out.Error.Step = step.Step
		msg = step.Err.Error()
	}
	var app *extract.AppError
	if errors.As(err, &app) {
		msg, out.Error.Hint, out.Error.Traceback = app.Message, app.Hint(), app.Traceback
	} else if i := strings.LastIndex(msg, hintMarker); i >= 0 {
		msg, out.Error.Hint = msg[:i], strings.TrimSpace(msg[i+len(hintMarker):])
	}
	out.Error.Message = msg
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(out)
}
