// Package serverfn writes the server function: the Lambda container image that runs the user's Dash app
// behind a function URL. The folder it writes holds a copy of the app source, requirements.txt pinned to
// the bundling Python's installed versions, index.py (the handler) and a Dockerfile.
//
// Use it in two steps: Plan walks the source and fails early (before any Python runs) on what would break
// the copy; Write copies and generates into an empty folder.
package serverfn

import (
	_ "embed"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// Names of the files the server function folder holds besides the app copy, and the Lambda handler.
const (
	IndexFile        = "index.py"
	DockerfileName   = "Dockerfile"
	DockerignoreFile = ".dockerignore"
	RequirementsFile = "requirements.txt"
	Handler          = "index.handler"
	// DomainNameEnv is read by index.py as the public host when no x-forwarded-host header arrives;
	// the component sets it to the CloudFront domain (or the custom domain).
	DomainNameEnv = "DOMAIN_NAME"
)

// Architectures Lambda runs; the empty string means ArchX86.
const (
	ArchX86   = "x86_64"
	ArchARM64 = "arm64"
)

//go:embed lambda/index.py
var indexPy []byte

//go:embed lambda/dockerignore
var dockerignore []byte

// Options say what to bundle and for which environment.
type Options struct {
	SourceDir     string            // the user's app folder (holds app.py with create_app())
	ExcludeDirs   []string          // extra folder/file names, source-relative paths or globs to leave out
	PythonVersion string            // full version of the bundling interpreter, e.g. "3.11.7"
	Architecture  string            // "x86_64" (default when "") or "arm64"
	Installed     map[string]string // distribution name -> installed version in the bundling Python
	MustPin       []string          // distributions that own the served JS: always pinned
}

// Result tells what Write wrote: Files and Bytes count the app copy and the generated files. Warnings
// are for the user (secret-looking files, unpinned requirements, replaced .dockerignore...).
type Result struct {
	Files    int
	Bytes    int64
	Warnings []string
}

// Bundle is a planned server function: the source files to copy and the parsed requirements. It is what
// Plan returns (Go forbids a type and a function both named Plan in one package).
type Bundle struct {
	opts     Options
	files    []sourceFile
	reqs     []reqLine // nil when the app has no requirements.txt
	warnings []string
}

// Plan walks the source once and returns what would be copied. It fails on a missing app.py, a symlink
// loop, an unreadable file, a name clash with a generated file, an unreadable or malformed requirements
// file, an unsupported architecture, and (when PythonVersion and Installed are already known) on an
// unsupported Python or an unpinnable requirement.
func Plan(o Options) (*Bundle, error) {
	src, err := filepath.Abs(o.SourceDir)
	if err != nil {
		return nil, fmt.Errorf("server function: source folder %q: %w", o.SourceDir, err)
	}
	o.SourceDir = src
	if _, err := Platform(o.Architecture); err != nil {
		return nil, err
	}
	w, err := newWalker(src, o.ExcludeDirs)
	if err != nil {
		return nil, err
	}
	if err := w.walk(); err != nil {
		return nil, err
	}
	b := &Bundle{opts: o, files: w.files, warnings: w.warnings}
	if err := b.checkRoot(); err != nil {
		return nil, err
	}
	for _, f := range b.files {
		if f.Rel == RequirementsFile {
			if b.reqs, err = parseRequirements(filepath.Join(src, RequirementsFile), src); err != nil {
				return nil, err
			}
			b.reqs = dropConstraints(b.reqs, &b.warnings)
		}
	}
	if o.PythonVersion != "" {
		if _, err := BaseImage(o.PythonVersion); err != nil {
			return nil, err
		}
	}
	if o.Installed != nil {
		if _, _, err := pin(b.reqs, o.Installed, o.MustPin, o.PythonVersion); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// checkRoot rejects a source that would overwrite the files we generate, and drops the app's own
// .dockerignore (ours replaces it) with a warning.
func (b *Bundle) checkRoot() error {
	hasApp := false
	kept := b.files[:0]
	for _, f := range b.files {
		switch f.Rel {
		case "app.py":
			hasApp = true
		case IndexFile, DockerfileName:
			return fmt.Errorf("server function: %s has a %s at its root, which clashes with the %s open-dash "+
				"generates; rename it, or leave it out with --exclude-dirs %s",
				b.opts.SourceDir, f.Rel, f.Rel, f.Rel)
		case DockerignoreFile:
			b.warnings = append(b.warnings, fmt.Sprintf("server function: the app's %s is replaced by the one "+
				"open-dash generates (the copy already leaves out caches and virtualenvs)", DockerignoreFile))
			continue
		}
		kept = append(kept, f)
	}
	b.files = kept
	if !hasApp {
		return fmt.Errorf("server function: %s has no app.py; the server imports create_app from app.py at the "+
			"source root: point the bundler at the folder that holds it", b.opts.SourceDir)
	}
	return nil
}

// SetEnvironment supplies what only the bundling Python knows, when it was not known at Plan time, and
// checks it: the Python version picks the base image; installed versions pin the requirements; mustPin
// (the distributions that own the served JavaScript, found by running the app) is added to Options.MustPin.
func (b *Bundle) SetEnvironment(pythonVersion string, installed map[string]string, mustPin []string) error {
	if _, err := BaseImage(pythonVersion); err != nil {
		return err
	}
	all := append(append([]string(nil), b.opts.MustPin...), mustPin...)
	if _, _, err := pin(b.reqs, installed, all, pythonVersion); err != nil {
		return err
	}
	b.opts.PythonVersion, b.opts.Installed, b.opts.MustPin = pythonVersion, installed, all
	return nil
}

// Distributions lists, sorted and PEP 503-normalised, the distributions whose installed version Write
// needs: every named requirement of the app plus MustPin.
func (b *Bundle) Distributions() []string {
	set := map[string]bool{}
	for _, r := range b.reqs {
		if r.Name != "" {
			set[normalize(r.Name)] = true
		}
	}
	for _, m := range b.opts.MustPin {
		set[normalize(m)] = true
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// SourceFiles lists the slash-separated, source-relative paths Write copies, in copy order.
func (b *Bundle) SourceFiles() []string {
	out := make([]string, len(b.files))
	for i, f := range b.files {
		out[i] = f.Rel
	}
	return out
}

// Write writes the server function into dir, an empty, already-created folder.
func (b *Bundle) Write(dir string) (Result, error) {
	res := Result{Warnings: append([]string(nil), b.warnings...)}
	if err := checkEmptyDir(dir); err != nil {
		return res, err
	}
	image, err := BaseImage(b.opts.PythonVersion)
	if err != nil {
		return res, err
	}
	platform, err := Platform(b.opts.Architecture)
	if err != nil {
		return res, err
	}
	reqs, warns, err := pin(b.reqs, b.opts.Installed, b.opts.MustPin, b.opts.PythonVersion)
	if err != nil {
		return res, err
	}
	res.Warnings = append(res.Warnings, warns...)
	made := map[string]bool{".": true}
	for _, f := range b.files {
		if f.Rel == RequirementsFile {
			continue // replaced by the pinned one below
		}
		n, err := copySourceFile(f, dir, made)
		if err != nil {
			return res, err
		}
		res.Files++
		res.Bytes += n
	}
	generated := []struct {
		name string
		data []byte
	}{
		{RequirementsFile, reqs},
		{IndexFile, indexPy},
		{DockerfileName, dockerfile(image, platform)},
		{DockerignoreFile, dockerignore},
	}
	for _, g := range generated {
		if err := writeFile(filepath.Join(dir, g.name), g.data, 0o644); err != nil {
			return res, err
		}
		res.Files++
		res.Bytes += int64(len(g.data))
	}
	return res, nil
}

func checkEmptyDir(dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("server function: output folder: %w (the bundler creates it before Write)", err)
	}
	if len(entries) > 0 {
		return fmt.Errorf("server function: output folder %s is not empty (holds %s); write into a fresh folder",
			dir, entries[0].Name())
	}
	return nil
}

// copySourceFile copies one planned file with a normalised mode, keeping its modification time so Dash
// computes the same asset cache-busting query (?m=<mtime>) inside the image as it did at bundle time.
func copySourceFile(f sourceFile, dir string, made map[string]bool) (int64, error) {
	if err := makeParents(dir, f.Rel, made); err != nil {
		return 0, err
	}
	in, err := os.Open(f.Path)
	if err != nil {
		return 0, fmt.Errorf("server function: cannot read %s: %w; fix its permissions or leave it out with "+
			"--exclude-dirs %s", f.Path, err, f.Rel)
	}
	defer in.Close()
	st, err := in.Stat()
	if err != nil {
		return 0, fmt.Errorf("server function: %s: %w", f.Path, err)
	}
	mode := os.FileMode(0o644)
	if f.Exec {
		mode = 0o755
	}
	dst := filepath.Join(dir, filepath.FromSlash(f.Rel))
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
	if err != nil {
		return 0, fmt.Errorf("server function: %w", err)
	}
	n, err := io.Copy(out, in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(dst, mode) // the umask may have cleared bits
	}
	if err == nil {
		err = os.Chtimes(dst, st.ModTime(), st.ModTime())
	}
	if err != nil {
		return 0, fmt.Errorf("server function: copying %s: %w", f.Rel, err)
	}
	return n, nil
}

func makeParents(dir, rel string, made map[string]bool) error {
	parent := path.Dir(rel)
	if made[parent] {
		return nil
	}
	if err := makeParents(dir, parent, made); err != nil {
		return err
	}
	p := filepath.Join(dir, filepath.FromSlash(parent))
	if err := os.Mkdir(p, 0o755); err != nil && !os.IsExist(err) {
		return fmt.Errorf("server function: %w", err)
	}
	made[parent] = true
	return os.Chmod(p, 0o755)
}

func writeFile(name string, data []byte, mode os.FileMode) error {
	if err := os.WriteFile(name, data, mode); err != nil {
		return fmt.Errorf("server function: %w", err)
	}
	return os.Chmod(name, mode)
}

// normalize is PEP 503 name normalisation: lower case, runs of -_. become one dash.
func normalize(name string) string {
	var sb strings.Builder
	dash := false
	for _, r := range strings.ToLower(name) {
		if r == '-' || r == '_' || r == '.' {
			if !dash {
				sb.WriteByte('-')
			}
			dash = true
			continue
		}
		dash = false
		sb.WriteRune(r)
	}
	return sb.String()
}
