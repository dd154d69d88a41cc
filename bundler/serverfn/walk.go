package serverfn

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// sourceFile is one file of the app copy.
type sourceFile struct {
	Rel  string      // slash-separated path relative to the source root: where the copy goes
	Path string      // path to read (symlinks are followed when opened)
	Exec bool        // any execute bit set: copied as 0755, else 0644
	Info os.FileInfo // what the walk saw (the target's, for a symlink)
}

// defaultExcludedNames are never part of an app: VCS data, caches, virtualenvs, tool state, our own output.
var defaultExcludedNames = map[string]bool{
	".git": true, ".hg": true, ".svn": true, "__pycache__": true, ".venv": true, "venv": true,
	".open-dash": true, "node_modules": true, ".mypy_cache": true, ".pytest_cache": true,
	".ruff_cache": true, ".tox": true, ".nox": true, ".ipynb_checkpoints": true, ".DS_Store": true,
}

var defaultExcludedSuffixes = []string{".pyc", ".pyo"}

// openForRead is os.Open; tests replace it to make a file unreadable even when running as root.
var openForRead = os.Open

// exclusion is one --exclude-dirs entry: a name (or glob) matched at any depth, or a source-relative
// path (or glob) when it holds a slash.
type exclusion struct {
	pattern string
	byPath  bool
	used    bool
}

type walker struct {
	root     string
	excl     []*exclusion
	skip     map[string]bool // source-relative paths left out silently (the bundle's own output folder)
	files    []sourceFile
	warnings []string
	stack    []string // real paths of the folders being walked, to catch symlink loops
}

func newWalker(root string, exclude, skip []string) (*walker, error) {
	st, err := os.Stat(root)
	if err != nil {
		return nil, fmt.Errorf("server function: source folder: %w", err)
	}
	if !st.IsDir() {
		return nil, fmt.Errorf("server function: source %s is not a folder; point the bundler at the app's folder", root)
	}
	w := &walker{root: root, skip: map[string]bool{}}
	for _, s := range skip {
		w.skip[filepath.ToSlash(s)] = true
	}
	for _, e := range exclude {
		p := filepath.ToSlash(strings.TrimSpace(e))
		if filepath.IsAbs(e) {
			rel, err := filepath.Rel(root, e)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				w.warnings = append(w.warnings, fmt.Sprintf("server function: --exclude-dirs %s is outside the "+
					"source folder and has no effect", e))
				continue
			}
			p = filepath.ToSlash(rel)
		}
		p = strings.Trim(strings.TrimPrefix(p, "./"), "/")
		if p == "" || p == "." {
			continue
		}
		if _, err := path.Match(p, ""); err != nil {
			return nil, fmt.Errorf("server function: --exclude-dirs %q is not a valid pattern: %w", e, err)
		}
		w.excl = append(w.excl, &exclusion{pattern: p, byPath: strings.Contains(p, "/")})
	}
	return w, nil
}

func (w *walker) walk() error {
	real, err := filepath.EvalSymlinks(w.root)
	if err != nil {
		return fmt.Errorf("server function: source folder: %w", err)
	}
	if err := w.walkDir(w.root, "", real); err != nil {
		return err
	}
	for _, e := range w.excl {
		if !e.used {
			w.warnings = append(w.warnings, fmt.Sprintf("server function: --exclude-dirs %s matched nothing in the source folder",
				e.pattern))
		}
	}
	return nil
}

// walkDir walks dir (reached as rel from the root; real is its resolved path) in name order.
func (w *walker) walkDir(dir, rel, real string) error {
	w.stack = append(w.stack, real)
	defer func() { w.stack = w.stack[:len(w.stack)-1] }()
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("server function: cannot list %s: %w; fix its permissions or leave it out with "+
			"--exclude-dirs %s", dir, err, orDot(rel))
	}
	for _, e := range entries { // os.ReadDir sorts by name: deterministic order
		name := e.Name()
		childRel := path.Join(rel, name)
		childPath := filepath.Join(dir, name)
		if w.excluded(childRel, name) {
			continue
		}
		info, err := os.Lstat(childPath)
		if err != nil {
			return fmt.Errorf("server function: %s: %w", childPath, err)
		}
		childReal := filepath.Join(real, name)
		if info.Mode()&os.ModeSymlink != 0 {
			if info, childReal, err = w.followLink(childPath, childRel); err != nil {
				return err
			}
		}
		switch {
		case info.IsDir():
			if isVirtualenv(childPath) {
				continue
			}
			if err := w.walkDir(childPath, childRel, childReal); err != nil {
				return err
			}
		case info.Mode().IsRegular():
			if err := w.addFile(childPath, childRel, info); err != nil {
				return err
			}
		default:
			w.warnings = append(w.warnings, fmt.Sprintf("server function: skipped %s: not a regular file or "+
				"folder (%s)", childRel, info.Mode().Type()))
		}
	}
	return nil
}

// followLink resolves a symlink: a link to a file is copied as the file's content, a link to a folder is
// walked unless its target contains a folder being walked, which would never end.
func (w *walker) followLink(linkPath, rel string) (os.FileInfo, string, error) {
	info, err := os.Stat(linkPath)
	if err != nil {
		target, _ := os.Readlink(linkPath)
		return nil, "", fmt.Errorf("server function: symlink %s points to %q, which cannot be read (%v); fix or "+
			"remove the link, or leave it out with --exclude-dirs %s", rel, target, err, rel)
	}
	real, err := filepath.EvalSymlinks(linkPath)
	if err != nil {
		return nil, "", fmt.Errorf("server function: symlink %s: %w; fix or remove it, or leave it out with "+
			"--exclude-dirs %s", rel, err, rel)
	}
	if info.IsDir() {
		for _, walking := range w.stack {
			if within(walking, real) {
				return nil, "", fmt.Errorf("server function: symlink %s points to %s, which contains a folder "+
					"being copied (%s), so following it would loop forever; remove the link or leave it out "+
					"with --exclude-dirs %s", rel, real, walking, rel)
			}
		}
	}
	return info, real, nil
}

func (w *walker) addFile(p, rel string, info os.FileInfo) error {
	f, err := openForRead(p) // fail now rather than halfway through Write
	if err != nil {
		return fmt.Errorf("server function: cannot read %s: %w; fix its permissions or leave it out with "+
			"--exclude-dirs %s", rel, err, rel)
	}
	f.Close()
	if looksSecret(path.Base(rel)) {
		w.warnings = append(w.warnings, fmt.Sprintf("server function: %s looks like a secret and will be "+
			"baked into the server image; remove it from the app folder or leave it out with "+
			"--exclude-dirs %s (pass secrets as Lambda environment variables instead)", rel, rel))
	}
	w.files = append(w.files, sourceFile{Rel: rel, Path: p, Exec: info.Mode()&0o111 != 0, Info: info})
	return nil
}

func (w *walker) excluded(rel, name string) bool {
	if defaultExcludedNames[name] || w.skip[rel] {
		return true
	}
	for _, s := range defaultExcludedSuffixes {
		if strings.HasSuffix(name, s) {
			return true
		}
	}
	hit := false
	for _, e := range w.excl {
		subject := name
		if e.byPath {
			subject = rel
		}
		if ok, _ := path.Match(e.pattern, subject); ok {
			e.used, hit = true, true
		}
	}
	return hit
}

// isVirtualenv reports a folder made by venv/virtualenv (they all write pyvenv.cfg), whatever its name.
func isVirtualenv(dir string) bool {
	_, err := os.Lstat(filepath.Join(dir, "pyvenv.cfg"))
	return err == nil
}

// within reports whether p is dir or inside it.
func within(p, dir string) bool {
	if p == dir {
		return true
	}
	if !strings.HasSuffix(dir, string(filepath.Separator)) {
		dir += string(filepath.Separator)
	}
	return strings.HasPrefix(p, dir)
}

// looksSecret flags file names that usually hold credentials.
func looksSecret(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case ".env", "credentials", "credentials.json", ".netrc", ".pgpass", ".pypirc", ".git-credentials",
		".htpasswd", "secrets.toml", "secrets.json":
		return true
	}
	// .env.production, and bundle.env (the name OpenDash's docs give --env-file), but not their examples.
	rest, ok := strings.CutPrefix(n, ".env.")
	if !ok {
		rest, ok = strings.CutSuffix(n, ".env")
	}
	if ok {
		switch rest {
		case "example", "sample", "template", "dist", "defaults":
			return false
		}
		return true
	}
	switch path.Ext(n) {
	case ".pem", ".key", ".p12", ".pfx", ".jks", ".keystore", ".ppk":
		return true
	}
	for _, p := range []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519"} {
		if strings.HasPrefix(n, p) && !strings.HasSuffix(n, ".pub") {
			return true
		}
	}
	return false
}

func orDot(rel string) string {
	if rel == "" {
		return "."
	}
	return rel
}
