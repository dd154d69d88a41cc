package verify

import (
	"fmt"
	"io"
	"strings"
)

// maxListed is how many failures the summary names; every failure has its own line as it is found.
const maxListed = 5

// FailureLine is the one line a failed check gets: what was requested, what is wrong, what to try.
func FailureLine(c Check) string {
	line := fmt.Sprintf("FAIL %s %s %s", c.Kind, c.Method, c.URL)
	if c.Status != 0 {
		line += fmt.Sprintf(" (%d)", c.Status)
	}
	return line + ": " + c.Problem
}

// WriteSummary writes the counts by kind and the first failures with the fix to try.
func (r *Report) WriteSummary(w io.Writer) {
	failures := r.Failures()
	verdict := "passed"
	if !r.OK {
		verdict = fmt.Sprintf("FAILED (%d of %d checks)", len(failures), len(r.Checks))
	}
	fmt.Fprintf(w, "verify %s (bundle %s): %s\n", r.URL, r.BuildID, verdict)
	for _, kind := range kinds {
		n, ok := r.Counts[kind]
		if !ok {
			continue
		}
		line := fmt.Sprintf("  %-9s %4d passed", kind, n.Passed)
		if n.Failed > 0 {
			line += fmt.Sprintf(", %d failed", n.Failed)
		}
		if n.Skipped > 0 {
			line += fmt.Sprintf(", %d skipped", n.Skipped)
		}
		fmt.Fprintln(w, line)
	}
	for _, c := range r.Checks {
		if c.Skipped != "" {
			what := strings.TrimSpace(strings.Join([]string{c.Kind, c.Method, c.URL}, " "))
			fmt.Fprintf(w, "note: %s skipped: %s\n", what, c.Skipped)
		}
	}
	if len(failures) == 0 {
		return
	}
	fmt.Fprintln(w, "first failures:")
	for i, c := range failures {
		if i == maxListed {
			fmt.Fprintf(w, "  ... and %d more (--json lists every check)\n", len(failures)-maxListed)
			break
		}
		fmt.Fprintf(w, "  %s %s: %s\n    fix: %s\n", c.Method, c.URL, c.Problem, c.Fix)
	}
}
