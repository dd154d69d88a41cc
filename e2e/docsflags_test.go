package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opendash/opendash/internal/cli"
)

// TestDocsCommandFlags keeps the flags the documentation shows true: every --flag written after
// `open-dash COMMAND` (in a code span, or on a line of a code block and the lines that continue it) is one
// that command's --help lists. A renamed or removed flag fails here until the pages say the new name.
func TestDocsCommandFlags(t *testing.T) {
	root := ".."
	pages := docPages(t, root)
	help := map[string]string{} // command → its --help
	flagsOf := func(command string) string {
		if h, ok := help[command]; ok {
			return h
		}
		var out, errOut bytes.Buffer
		args := append(strings.Fields(command), "--help")
		if code := cli.Run(context.Background(), args, &out, &errOut); code != 0 {
			t.Fatalf("open-dash %s --help: exit %d: %s", command, code, errOut.String())
		}
		help[command] = out.String()
		return help[command]
	}
	checked := 0
	for _, page := range pages {
		raw, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, use := range commandUses(string(raw)) {
			h := flagsOf(use.command)
			for _, flag := range use.flags {
				checked++
				if !regexp.MustCompile(`(?m)^\s+(-\w, )?` + regexp.QuoteMeta(flag) + `\b`).MatchString(h) {
					t.Errorf("%s:%d: `open-dash %s` has no flag %s (open-dash %s --help)", page, use.line,
						use.command, flag, use.command)
				}
			}
		}
	}
	t.Logf("checked %d flags", checked)
	if checked < 100 {
		t.Errorf("checked only %d flags: the pages' commands were not found", checked)
	}
}

// commandUse is one `open-dash COMMAND ...` the docs show, with the long flags written after it.
type commandUse struct {
	line    int
	command string
	flags   []string
}

var (
	docsCommand = regexp.MustCompile(`open-dash (image build|secret set|init github-actions|bundle|preview|` +
		`verify|deploy|destroy|status|iam-policy|version)\b`)
	docsFlag = regexp.MustCompile(`(^|[\s\[|(])(--[a-z][a-z0-9-]*)`)
	// the end of a command: a pipe, a list operator, a shell comment, a closing parenthesis of $(...)
	docsCommandEnd = regexp.MustCompile(`\s(\||&&|;|#)|\)`)
)

// commandUses finds the open-dash commands of a Markdown page: in code spans, and in code blocks, where a
// line ending in `\` or followed by indented lines of flags (a synopsis) continues the command.
func commandUses(page string) []commandUse {
	var uses []commandUse
	scan := func(line int, text string) (open bool) {
		for _, loc := range docsCommand.FindAllStringSubmatchIndex(text, -1) {
			rest := text[loc[1]:]
			if end := docsCommandEnd.FindStringIndex(rest); end != nil {
				rest = rest[:end[0]]
			}
			u := commandUse{line: line, command: text[loc[2]:loc[3]]}
			for _, m := range docsFlag.FindAllStringSubmatch(rest, -1) {
				u.flags = append(u.flags, m[2])
			}
			uses = append(uses, u)
		}
		return false
	}
	fenced := false
	lines := strings.Split(page, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if !fenced {
			for _, span := range codeSpans(line) {
				scan(i+1, span)
			}
			continue
		}
		if !docsCommand.MatchString(line) {
			continue
		}
		// A command in a block continues on lines that end the one before with `\`, or that are indented
		// and start with a flag or an optional part ([--x ...] or (--x ...)).
		text := line
		for i+1 < len(lines) {
			next := lines[i+1]
			trimmed := strings.TrimSpace(next)
			cont := strings.HasSuffix(strings.TrimSpace(text), `\`) ||
				(strings.HasPrefix(next, " ") && (strings.HasPrefix(trimmed, "[") ||
					strings.HasPrefix(trimmed, "--") || strings.HasPrefix(trimmed, "(")))
			if !cont || docsCommand.MatchString(next) {
				break
			}
			text = strings.TrimSuffix(strings.TrimSpace(text), `\`) + " " + trimmed
			i++
		}
		scan(i+1, text)
	}
	return uses
}

// codeSpans returns the text of a line's `code spans`.
func codeSpans(line string) []string {
	var spans []string
	for {
		start := strings.Index(line, "`")
		if start < 0 {
			return spans
		}
		end := strings.Index(line[start+1:], "`")
		if end < 0 {
			return spans
		}
		spans = append(spans, line[start+1:start+1+end])
		line = line[start+1+end+1:]
	}
}
