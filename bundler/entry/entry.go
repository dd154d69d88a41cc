// Package entry is the app's entry point, written like gunicorn's MODULE:VARIABLE (`--app index:app`,
// `--app app:make_app()`): Parse checks the spec and Find locates its module under the source folder
// before any Python runs. Python is the shared loader (shipped into the server function as
// opendash_entry.py, and prepended to the extraction): it makes Dash.run, Dash.run_server and Flask.run
// do nothing, then imports the module and fetches (and calls) the attribute.
package entry

import (
	_ "embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// DefaultModule is the module imported when --app is not given.
const DefaultModule = "app"

// PythonFile is the name the shared loader has in the server function.
const PythonFile = "opendash_entry.py"

// Python is the shared loader's source (standard library only).
//
//go:embed entry.py
var Python []byte

// Spec is an --app value: Module always, Attribute when given (else the extraction resolves it), Call when
// written `name()`.
type Spec struct {
	Module    string
	Attribute string
	Call      bool
}

var (
	moduleRe    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$`)
	attributeRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
)

// Parse reads MODULE[:ATTRIBUTE] ("" is the default module, attribute resolved by the extraction).
func Parse(s string) (Spec, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return Spec{Module: DefaultModule}, nil
	}
	module, attr, hasAttr := strings.Cut(s, ":")
	module = strings.TrimSuffix(module, ".py") // `--app index.py` means module index
	spec := Spec{Module: module}
	if !moduleRe.MatchString(module) {
		err := fmt.Errorf("--app %q: %q is not a Python module name; write MODULE[:ATTRIBUTE] with a "+
			"dotted module path relative to the source folder, e.g. --app index:app or --app pkg.app:create_app()", s, module)
		if fixed := moduleNameOf(module); fixed != module && moduleRe.MatchString(fixed) {
			// A file named like extend-data.py (common in examples) runs as a script but cannot be imported.
			err = fmt.Errorf("%w\n  hint: Python imports a file only by a name of letters, digits and underscores: "+
				"rename %s.py to %s.py and pass --app %s", err, strings.ReplaceAll(module, ".", "/"),
				strings.ReplaceAll(fixed, ".", "/"), fixed)
		}
		return Spec{}, err
	}
	if hasAttr {
		if name, ok := strings.CutSuffix(attr, "()"); ok {
			attr, spec.Call = name, true
		}
		if !attributeRe.MatchString(attr) {
			return Spec{}, fmt.Errorf("--app %q: %q is not an attribute name; write MODULE:NAME for a dash.Dash "+
				"instance or MODULE:NAME() for a function that returns one", s, attr)
		}
		spec.Attribute = attr
	}
	return spec, nil
}

// moduleNameOf is module with the characters a file name may hold but a module name may not (- and spaces)
// written as underscores.
func moduleNameOf(module string) string {
	return strings.NewReplacer("-", "_", " ", "_").Replace(module)
}

// String writes the spec back as --app takes it.
func (s Spec) String() string {
	out := s.Module
	if s.Attribute != "" {
		out += ":" + s.Attribute
		if s.Call {
			out += "()"
		}
	}
	return out
}

// Files are the source-relative (slash-separated) files that can hold the module: MODULE.py, or
// MODULE/__init__.py for a package.
func (s Spec) Files() []string {
	base := strings.ReplaceAll(s.Module, ".", "/")
	return []string{base + ".py", base + "/__init__.py"}
}

// Find returns the source-relative file of the spec's module under source, or an error naming what was
// looked for and how to fix it.
func (s Spec) Find(source string) (string, error) {
	for _, rel := range s.Files() {
		if fi, err := os.Stat(filepath.Join(source, filepath.FromSlash(rel))); err == nil && !fi.IsDir() {
			return rel, nil
		}
	}
	files := s.Files()
	if s.Module == DefaultModule && s.Attribute == "" {
		return "", errors.New(source + " has no app.py; OpenDash imports your Dash app from app.py at the source " +
			"root (create_app(), or a module-level app = Dash(__name__)); point --source at that folder, or name " +
			"another module with --app MODULE[:ATTRIBUTE] (e.g. --app index:app)")
	}
	return "", fmt.Errorf("--app %s: %s has neither %s nor %s; MODULE is a dotted path relative to the source "+
		"folder (--app pkg.app looks for pkg/app.py)", s, source, files[0], files[1])
}
