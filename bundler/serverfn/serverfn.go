// Package serverfn writes the server function: the Lambda container image that runs the user's Dash app
// behind a function URL. The folder it writes holds a copy of the app source, requirements.txt pinned to
// the bundling Python's installed versions, opendash_handler.py (the handler, a name no app uses: the
// user's own index.py is just their module) with opendash_wsgi.py (function URL event to WSGI request, the
// answer to the response) and opendash_load.py (the app's loading), opendash_entry.py (the loader it
// shares with the extraction), opendash_background.py, opendash_jobslots.py and opendash_jobstore.py (the
// background callback manager for Lambda), opendash_secrets.py (reads the secrets the component names into
// os.environ at INIT), opendash-app.json (the entry point the bundle resolved) and a Dockerfile.
//
// Use it in two steps: Plan walks the source and fails early (before any Python runs) on what would break
// the copy; Write copies and generates into an empty folder. Write is CopySource (what needs nothing from
// the bundling Python, so it can run while Python works) then Finish (what does).
package serverfn

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/opendash/opendash/bundler/background"
	"github.com/opendash/opendash/bundler/bodyhash"
	"github.com/opendash/opendash/bundler/contenttimes"
	"github.com/opendash/opendash/bundler/entry"
	"github.com/opendash/opendash/bundler/secrets"
	"github.com/opendash/opendash/bundler/workdir"
	"github.com/opendash/opendash/manifest"
)

// Names of the files the server function folder holds besides the app copy, and the Lambda handler.
const (
	HandlerFile      = "opendash_handler.py" // generated from lambda/index.py
	WSGIFile         = "opendash_wsgi.py"    // lambda/wsgi.py: the request/response path
	LoadFile         = "opendash_load.py"    // lambda/load.py: the app's loading
	EntryFile        = "opendash-app.json"   // the entry point: {"module", "attribute", "call"}
	DockerfileName   = "Dockerfile"
	DockerignoreFile = ".dockerignore"
	RequirementsFile = "requirements.txt"
	// PrefixFile tells the handler how to map the paths browsers request onto the app's Flask routes; written
	// only when Dash's requests_pathname_prefix and routes_pathname_prefix differ.
	PrefixFile = "opendash-routes.json"
	Handler    = "opendash_handler.handler"
	// DomainNameEnv is read by the handler as the public host when no x-forwarded-host header arrives;
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

//go:embed lambda/wsgi.py
var wsgiPy []byte

//go:embed lambda/load.py
var loadPy []byte

//go:embed lambda/dockerignore
var dockerignore []byte

// Options say what to bundle and for which environment.
type Options struct {
	SourceDir     string            // the user's app folder
	AppFile       string            // the entry module's file, source-relative ("" means app.py)
	ExcludeDirs   []string          // extra folder/file names, source-relative paths or globs to leave out
	Skip          []string          // source-relative paths left out silently: the bundle's own output inside it
	PythonVersion string            // full version of the bundling interpreter, e.g. "3.11.7"
	Architecture  string            // "x86_64" (default when "") or "arm64"
	Installed     map[string]string // distribution name -> installed version in the bundling Python
	MustPin       []string          // distributions that own the served JS: always pinned
	// Disagree maps requirement lines (Specs) to the installed version that does not satisfy them.
	Disagree map[string]string
}

// Result tells what Write wrote: Files and Bytes count the app copy and the generated files. Warnings
// are for the user (secret-looking files, unpinned requirements, replaced .dockerignore...).
type Result struct {
	Files    int
	Bytes    int64
	Warnings []string
	// Digests describe every written file, computed while writing it.
	Digests []FileDigest
	// SourceSHA256 digests every planned source file (requirements.txt included) by source-relative path.
	SourceSHA256 map[string]string
	// ChangedDuringCopy lists source files whose size or mtime changed between Plan and the copy.
	ChangedDuringCopy []string
}

// FileDigest is one written file: what a build id needs, without reading the file back.
type FileDigest struct {
	Rel    string // slash-separated, relative to the folder written into
	SHA256 string
	Mode   os.FileMode
	Size   int64
}

// Bundle is a planned server function: the source files to copy and the parsed requirements. It is what
// Plan returns (Go forbids a type and a function both named Plan in one package).
type Bundle struct {
	opts     Options
	files    []sourceFile
	reqs     []reqLine // nil when the app has no requirements.txt
	reqFiles []string  // every requirements file read (absolute): requirements.txt and its -r includes
	warnings []string
	// uncheckable says why only pip can tell whether the requirements are installed, or "".
	uncheckable string
	prefixes    [2]string // requests_pathname_prefix, routes_pathname_prefix (SetPrefixes)
	entry       manifest.Entry
}

// Plan walks the source once and returns what would be copied. It fails on a missing entry module, a symlink
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
	w, err := newWalker(src, o.ExcludeDirs, o.Skip)
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
			if b.reqs, b.reqFiles, err = parseRequirements(filepath.Join(src, RequirementsFile), src); err != nil {
				return nil, err
			}
			b.uncheckable = uncheckable(b.reqs)
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

// checkRoot rejects a source that would overwrite the files we generate (all named opendash*, which no
// app uses), and drops the app's own Dockerfile and .dockerignore (many apps ship them for Heroku or Cloud
// Run; ours replace them in the copy, the source keeps them) with a warning.
func (b *Bundle) checkRoot() error {
	appFile := b.opts.AppFile
	if appFile == "" {
		appFile = entry.DefaultModule + ".py"
	}
	hasApp := false
	kept := b.files[:0]
	for _, f := range b.files {
		switch f.Rel {
		case appFile:
			hasApp = true
		case DockerfileName, DockerignoreFile:
			b.warnings = append(b.warnings, fmt.Sprintf("server function: the app's %s is replaced by the one "+
				"open-dash generates for AWS Lambda (your source keeps its own; only the server function's copy "+
				"differs)", f.Rel))
			continue
		}
		if reserved(f.Rel) {
			return fmt.Errorf("server function: %s has a %s at its root, which clashes with the %s open-dash "+
				"generates; rename it, or leave it out with --exclude-dirs %s",
				b.opts.SourceDir, f.Rel, f.Rel, f.Rel)
		}
		kept = append(kept, f)
	}
	b.files = kept
	if !hasApp {
		return fmt.Errorf("server function: %s has no %s (the app's entry module) in the copy; if --exclude-dirs "+
			"leaves it out, keep it in: the server function imports it", b.opts.SourceDir, appFile)
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

// SourceEntries lists the top-level names of the copied source, sorted: the entries of the app's folder
// that the server function's task root holds.
func (b *Bundle) SourceEntries() []string {
	var out []string
	for _, f := range b.files {
		first, _, _ := strings.Cut(f.Rel, "/")
		if len(out) == 0 || out[len(out)-1] != first {
			out = append(out, first)
		}
	}
	return slices.Compact(slices.Sorted(slices.Values(out)))
}

// Write writes the server function into dir, an empty, already-created folder: CopySource, then Finish.
func (b *Bundle) Write(dir string) (Result, error) {
	if _, _, err := b.generated(); err != nil {
		return Result{Warnings: append([]string(nil), b.warnings...)}, err
	}
	res, err := b.CopySource(dir)
	if err != nil {
		return res, err
	}
	fin, err := b.Finish(dir)
	res.Files += fin.Files
	res.Bytes += fin.Bytes
	res.Digests = append(res.Digests, fin.Digests...)
	res.Warnings = append(res.Warnings, fin.Warnings...)
	return res, err
}

// CopySource copies the app's source into dir, an empty, already-created folder, and writes the handler,
// the entry loader and .dockerignore. It needs nothing from the bundling Python, so the bundler runs it while Python extracts
// the app. The app's requirements.txt is hashed but not copied: Finish writes the pinned one in its place.
func (b *Bundle) CopySource(dir string) (Result, error) {
	res := Result{Warnings: append([]string(nil), b.warnings...), SourceSHA256: map[string]string{}}
	if err := checkEmptyDir(dir); err != nil {
		return res, err
	}
	made := map[string]bool{".": true}
	for _, f := range b.files {
		if f.Rel == RequirementsFile {
			sum, info, err := hashSourceFile(f)
			if err != nil {
				return res, err
			}
			res.SourceSHA256[f.Rel] = sum
			res.noteChange(f, info)
			continue
		}
		d, info, err := copySourceFile(f, dir, made)
		if err != nil {
			return res, err
		}
		res.Files++
		res.Bytes += d.Size
		res.Digests = append(res.Digests, d)
		res.SourceSHA256[f.Rel] = d.SHA256
		res.noteChange(f, info)
	}
	for _, g := range shippedFiles() {
		if err := res.write(dir, g); err != nil {
			return res, err
		}
	}
	return res, nil
}

// Finish writes the generated files that depend on the bundling Python (the pinned requirements.txt and
// the Dockerfile) into dir, once SetEnvironment has supplied its version and installed versions.
func (b *Bundle) Finish(dir string) (Result, error) {
	var res Result
	generated, warns, err := b.generated()
	if err != nil {
		return res, err
	}
	res.Warnings = warns
	for _, g := range generated {
		if err := res.write(dir, g); err != nil {
			return res, err
		}
	}
	return res, nil
}

type generatedFile struct {
	name string
	data []byte
}

// shippedFiles are the generated files that depend on nothing the bundling Python says: CopySource writes
// them, the image's app layers copy them (layers.go), and an app's own file of the same name is refused.
func shippedFiles() []generatedFile {
	return []generatedFile{{HandlerFile, indexPy}, {WSGIFile, wsgiPy}, {LoadFile, loadPy},
		{entry.PythonFile, entry.Python}, {secrets.PythonFile, secrets.Python}, {workdir.File, workdir.Py},
		{contenttimes.File, contenttimes.Py}, {bodyhash.ModuleFile, bodyhash.Module()},
		{background.PythonFile, background.Python}, {background.SlotsFile, background.SlotsPython},
		{background.StoreFile, background.StorePython}, {DockerignoreFile, dockerignore}}
}

// reserved reports whether a root file name is one open-dash generates beside the app (the Dockerfile and
// .dockerignore excepted: an app's own are replaced, with a warning).
func reserved(name string) bool {
	if name == EntryFile || name == PrefixFile {
		return true
	}
	for _, g := range shippedFiles() {
		if g.name == name && name != DockerignoreFile {
			return true
		}
	}
	return false
}

func (r *Result) write(dir string, g generatedFile) error {
	if err := writeFile(filepath.Join(dir, g.name), g.data, 0o644); err != nil {
		return err
	}
	r.Files++
	r.Bytes += int64(len(g.data))
	r.Digests = append(r.Digests, FileDigest{Rel: g.name, SHA256: sha256Hex(g.data), Mode: 0o644, Size: int64(len(g.data))})
	return nil
}

func (b *Bundle) generated() ([]generatedFile, []string, error) {
	image, err := BaseImage(b.opts.PythonVersion)
	if err != nil {
		return nil, nil, err
	}
	platform, err := Platform(b.opts.Architecture)
	if err != nil {
		return nil, nil, err
	}
	reqs, warns, err := pin(b.reqs, b.opts.Installed, b.opts.MustPin, b.opts.PythonVersion)
	if err != nil {
		return nil, nil, err
	}
	reqs, warns = noteDisagreements(reqs, warns, b.reqs, b.opts.Disagree, b.opts.PythonVersion)
	top, dirs := b.topLevel()
	files := []generatedFile{{RequirementsFile, reqs}, {DockerfileName, dockerfile(image, platform, top, dirs)}}
	if b.entry != (manifest.Entry{}) {
		data, _ := json.Marshal(b.entry)
		files = append(files, generatedFile{EntryFile, append(data, '\n')})
	}
	if p := b.prefixes; p[0] != p[1] {
		data, _ := json.Marshal(map[string]string{"requestsPathnamePrefix": p[0], "routesPathnamePrefix": p[1]})
		files = append(files, generatedFile{PrefixFile, append(data, '\n')})
	}
	return files, warns, nil
}

// SetEntry records the entry point the bundle resolved (known once the app ran): Finish writes it to
// EntryFile, which the handler imports exactly.
func (b *Bundle) SetEntry(e manifest.Entry) {
	b.entry = e
}

// SetPrefixes records the app's requests_pathname_prefix and routes_pathname_prefix (known once the app
// ran). When they differ, Finish writes PrefixFile so the handler maps one onto the other.
func (b *Bundle) SetPrefixes(requests, routes string) {
	b.prefixes = [2]string{requests, routes}
}

// noteChange records a source file whose stat while copying differs from the one Plan saw: it changed
// during the bundle, so the result must not be cached as describing either version.
func (r *Result) noteChange(f sourceFile, now os.FileInfo) {
	if f.Info != nil && (now.Size() != f.Info.Size() || !now.ModTime().Equal(f.Info.ModTime())) {
		r.ChangedDuringCopy = append(r.ChangedDuringCopy, f.Rel)
	}
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
