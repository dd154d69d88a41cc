package bundler

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/bundler/secrets"
	"github.com/opendash/opendash/internal/dotenv"
)

// Environment files (Options.EnvFiles): variables the app reads when it is imported (a database URL read
// at module level), set for the bundle's Python only. Their values are treated as secrets: the bundle never
// holds them (a file inside the source folder is left out of the server function, and a value the app
// rendered into a page, its layout or the manifest fails the bundle), the cache record holds only their
// digest, and errors and progress name files, lines and variables, never a value.

// bundleVar is one variable of an environment file.
type bundleVar struct {
	name, value, file string
}

// minScannedValue: values shorter than this are not looked for in the bundle (a "1" or "true" is in
// every page and says nothing about a leak).
const minScannedValue = 8

// readEnvFiles reads Options.EnvFiles (a later file wins), checks the names as the deployed function would
// get them, and leaves files inside the source folder out of the server function (skip, source-relative).
func readEnvFiles(b *build) (skip []string, err error) {
	byName := map[string]int{}
	for _, path := range b.opts.EnvFiles {
		abs, err := filepath.Abs(path)
		if err != nil {
			return nil, err
		}
		vars, err := dotenv.ReadFile(abs)
		if err != nil {
			return nil, fmt.Errorf("env file: %w", err)
		}
		for _, v := range vars {
			if err := secrets.CheckName(v.Name); err != nil {
				return nil, fmt.Errorf("env file %s:%d: %w", path, v.Line, err)
			}
			bv := bundleVar{name: v.Name, value: v.Value, file: path}
			if i, ok := byName[v.Name]; ok {
				b.env[i] = bv
			} else {
				byName[v.Name] = len(b.env)
				b.env = append(b.env, bv)
			}
		}
		skip = append(skip, insideSource(b.source, abs)...)
	}
	return skip, nil
}

// insideSource is file's source-relative path when it is inside source: as named, and as reached once
// symbolic links are resolved (an env file named through a link to the source, or a source named through
// one, is still the source's file, which the copy must leave out).
func insideSource(source, file string) []string {
	var out []string
	add := func(base, target string) {
		rel, err := filepath.Rel(base, target)
		if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			return
		}
		for _, r := range out {
			if r == rel {
				return
			}
		}
		out = append(out, rel)
	}
	add(source, file)
	realSource, err1 := filepath.EvalSymlinks(source)
	realFile, err2 := filepath.EvalSymlinks(file)
	if err1 == nil && err2 == nil {
		add(realSource, realFile)
	}
	return out
}

// envEntries are the variables as NAME=value entries for the app's Python.
func (b *build) envEntries() []string {
	out := make([]string, len(b.env))
	for i, v := range b.env {
		out[i] = v.name + "=" + v.value
	}
	return out
}

// envDigests are one digest per variable, sorted by name, for the cache key: a changed value re-bundles,
// and the record keeps no value.
func (b *build) envDigests() []string {
	out := make([]string, len(b.env))
	for i, v := range b.env {
		sum := sha256.Sum256([]byte(v.name + "=" + v.value))
		out[i] = v.name + ":" + hex.EncodeToString(sum[:])
	}
	sort.Strings(out)
	return out
}

// checkEnvLeak fails when a value of an environment file is in what the app rendered (its pages, layout
// and dependencies: static files anyone can download) or in the manifest.
func (b *build) checkEnvLeak(files map[string][]byte) error {
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, v := range b.env {
		if len(v.value) < minScannedValue {
			continue
		}
		for _, name := range names {
			if containsValue(files[name], v.value) {
				return fmt.Errorf("the value of %s (from the env file %s) is in %s, which the bundle publishes: "+
					"values of an env file are kept out of the bundle\n  hint: read %s where the app uses it "+
					"(a callback, a query) rather than in the layout or a page; if the value is not secret, set "+
					"it in the app or your shell instead of the env file", v.name, v.file, name, v.name)
			}
		}
	}
	return nil
}

// containsValue looks for value as written, and as JSON (the layout) and HTML (the pages) escape it.
func containsValue(data []byte, value string) bool {
	for _, f := range valueForms(value) {
		if bytes.Contains(data, []byte(f)) {
			return true
		}
	}
	return false
}

// valueForms are value as written and as JSON and HTML escape it.
func valueForms(value string) []string {
	forms := []string{value, html.EscapeString(value), pythonHTMLEscape.Replace(value), textHTMLEscape.Replace(value)}
	for _, escapeHTML := range []bool{false, true} { // json.dumps, and <, > and & as \u003c (Flask's)
		var j bytes.Buffer
		enc := json.NewEncoder(&j)
		enc.SetEscapeHTML(escapeHTML)
		if enc.Encode(value) == nil {
			inner := strings.TrimSuffix(strings.TrimSpace(j.String()), `"`)[1:]
			// Python's json.dumps (Dash's and Flask's) escapes non-ASCII too by default (ensure_ascii).
			forms = append(forms, inner, asciiEscaped(inner))
		}
	}
	return forms
}

// redactedError is a failure whose text had values of an env file in it, with each replaced by its
// variable's name; Unwrap keeps the failure's kind for errors.Is and errors.As.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactEnvErr keeps the values of the env files out of a failed step's error, which reaches the terminal,
// --json and CI logs: the app's Python can put them there (an import that raises with the database URL in
// its message, a traceback, what it printed before it died). An app error is redacted in place, so --json's
// message and traceback are too.
func (b *build) redactEnvErr(err error) error {
	if len(b.env) == 0 || err == nil {
		return err
	}
	var app *extract.AppError
	if errors.As(err, &app) {
		app.Message, app.Traceback = b.redactEnv(app.Message), b.redactEnv(app.Traceback)
	}
	if msg := err.Error(); b.redactEnv(msg) != msg {
		return &redactedError{msg: b.redactEnv(msg), err: err}
	}
	return err
}

// redactEnv replaces in text each value of an env file (minScannedValue characters or more, as written or
// escaped) with "<value of NAME>".
func (b *build) redactEnv(text string) string {
	for _, v := range b.env {
		if len(v.value) < minScannedValue {
			continue
		}
		for _, f := range valueForms(v.value) {
			text = strings.ReplaceAll(text, f, "<value of "+v.name+">")
		}
	}
	return text
}

// Python's html.escape (quotes as &quot; and &#x27;) and its quote=False form; html.EscapeString is
// markupsafe's (Jinja's) &#34; and &#39;.
var (
	pythonHTMLEscape = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;", "'", "&#x27;")
	textHTMLEscape   = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
)

// asciiEscaped writes every non-ASCII character of s as Python's ensure_ascii does: \uXXXX in lower-case
// hex, a UTF-16 surrogate pair beyond the Basic Multilingual Plane.
func asciiEscaped(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			hi, lo := utf16.EncodeRune(r)
			fmt.Fprintf(&b, "\\u%04x\\u%04x", hi, lo)
		default:
			fmt.Fprintf(&b, "\\u%04x", r)
		}
	}
	return b.String()
}

// renderedFiles reads what the app rendered into the stage (the manifest's keys the report names).
func (b *build) renderedFiles() (map[string][]byte, error) {
	rendered := map[string]bool{}
	for _, r := range b.report.Rendered {
		rendered[r.Key] = true
	}
	out := map[string][]byte{}
	for _, f := range b.files {
		if !rendered[f.Key] {
			continue
		}
		data, err := os.ReadFile(filepath.Join(b.stage.Dir, AssetsDir, filepath.FromSlash(f.Path)))
		if err != nil {
			return nil, err
		}
		out[AssetsDir+"/"+f.Path] = data
	}
	return out, nil
}
