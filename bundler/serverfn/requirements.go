package serverfn

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
)

// Kinds of requirement lines.
const (
	kindOption     = iota // a global pip option (--index-url ...), kept verbatim
	kindConstraint        // -c file: dropped, the pins supersede it
	kindDirect            // -e, a URL, a path, name @ url: kept verbatim, cannot be pinned
	kindNamed             // name[extras] spec ; marker: pinned to the installed version
)

// reqLine is one logical line of a requirements file (continuations joined, comment stripped).
type reqLine struct {
	File    string // the file it came from, for errors
	Line    int    // its first physical line
	Text    string // the line as written (comment stripped)
	Kind    int
	Name    string // kindNamed, and kindDirect for `name @ url`
	Extras  string // "[a,b]" as written, or ""
	Spec    string // the version specifier, e.g. ">=2.18,<3", or ""
	Marker  string // after ';', trimmed
	Options string // per-requirement options (--hash=...), as written
}

var (
	nameRe    = regexp.MustCompile(`^([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*(\[[^\]]*\])?\s*(.*)$`)
	commentRe = regexp.MustCompile(`(^|\s)#.*$`)
)

// parseRequirements reads a requirements file and, recursively, its -r includes (relative to the file
// that names them).
func parseRequirements(file, root string) ([]reqLine, []string, error) {
	seen := map[string]bool{}
	reqs, err := parseFile(file, root, seen)
	files := make([]string, 0, len(seen))
	for f := range seen {
		files = append(files, f)
	}
	sort.Strings(files)
	return reqs, files, err
}

func parseFile(file, root string, seen map[string]bool) ([]reqLine, error) {
	abs, _ := filepath.Abs(file)
	if seen[abs] {
		return nil, nil // an include cycle adds nothing new
	}
	seen[abs] = true
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("server function: requirements: %w; fix the path or the -r line that names it", err)
	}
	shown := displayPath(file, root)
	var out []reqLine
	for _, l := range logicalLines(data) {
		r := reqLine{File: shown, Line: l.n, Text: l.text}
		if strings.HasPrefix(l.text, "-") {
			flag, arg := splitOption(l.text)
			switch flag {
			case "-r", "--requirement":
				if arg == "" {
					return nil, fmt.Errorf("server function: %s:%d: %q names no file", shown, l.n, l.text)
				}
				if strings.Contains(arg, "://") {
					return nil, fmt.Errorf("server function: %s:%d: remote include %q cannot be pinned; download "+
						"it next to %s and include it by path", shown, l.n, arg, shown)
				}
				if !filepath.IsAbs(arg) {
					arg = filepath.Join(filepath.Dir(file), arg)
				}
				sub, err := parseFile(arg, root, seen)
				if err != nil {
					return nil, fmt.Errorf("%w (included from %s:%d)", err, shown, l.n)
				}
				out = append(out, sub...)
				continue
			case "-c", "--constraint":
				r.Kind = kindConstraint
			case "-e", "--editable":
				r.Kind = kindDirect
			default:
				r.Kind = kindOption
			}
			out = append(out, r)
			continue
		}
		parseRequirement(&r)
		out = append(out, r)
	}
	return out, nil
}

// parseRequirement classifies a non-option line: a named requirement or a direct one (URL, path, archive).
func parseRequirement(r *reqLine) {
	r.Kind = kindDirect
	m := nameRe.FindStringSubmatch(r.Text)
	if m == nil {
		return
	}
	name, extras, rest := m[1], m[2], m[3]
	if strings.HasPrefix(rest, "@") {
		r.Name = name // name @ url: verbatim, but the distribution counts as listed
		return
	}
	for _, ext := range []string{".whl", ".zip", ".tar.gz", ".tgz", ".tar.bz2", ".tar"} {
		if strings.HasSuffix(strings.ToLower(name), ext) {
			return // a local archive, not a name
		}
	}
	if rest != "" && !strings.ContainsAny(rest[:1], "<>=!~(;-") {
		return // a path or URL (e.g. "https://...", "pkgs/x")
	}
	if i := strings.Index(rest, " --"); i >= 0 || strings.HasPrefix(rest, "--") {
		if i < 0 {
			i = 0
		}
		r.Options = strings.TrimSpace(rest[i:])
		rest = rest[:i]
	}
	if i := strings.Index(rest, ";"); i >= 0 {
		r.Marker = strings.TrimSpace(rest[i+1:])
		rest = rest[:i]
	}
	r.Kind, r.Name, r.Extras, r.Spec = kindNamed, name, strings.ReplaceAll(extras, " ", ""), strings.TrimSpace(rest)
}

type logicalLine struct {
	n    int
	text string
}

// logicalLines joins backslash continuations, strips comments and drops blank lines, as pip does.
func logicalLines(data []byte) []logicalLine {
	var out []logicalLine
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 4*1024*1024)
	var cur strings.Builder
	start, n := 0, 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if cur.Len() == 0 {
			start = n
		}
		if strings.HasSuffix(line, `\`) {
			cur.WriteString(strings.TrimSuffix(line, `\`))
			continue
		}
		cur.WriteString(line)
		text := strings.TrimSpace(commentRe.ReplaceAllString(cur.String(), ""))
		cur.Reset()
		if text != "" {
			out = append(out, logicalLine{start, text})
		}
	}
	if text := strings.TrimSpace(commentRe.ReplaceAllString(cur.String(), "")); text != "" {
		out = append(out, logicalLine{start, text})
	}
	return out
}

// splitOption splits "-r x", "-rx", "--requirement=x" and "--requirement x" into flag and argument.
func splitOption(text string) (flag, arg string) {
	if strings.HasPrefix(text, "--") {
		i := strings.IndexAny(text, " \t=")
		if i < 0 {
			return text, ""
		}
		return text[:i], strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text[i:]), "="))
	}
	if len(text) > 2 {
		return text[:2], strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text[2:]), "="))
	}
	return text, ""
}

func displayPath(file, root string) string {
	if rel, err := filepath.Rel(root, file); err == nil && !strings.HasPrefix(rel, "..") {
		return filepath.ToSlash(rel)
	}
	return file
}

// dropConstraints removes -c lines: the image installs before the app is copied, so a constraints file
// would not be there, and the exact pins make it moot for the listed distributions.
func dropConstraints(reqs []reqLine, warnings *[]string) []reqLine {
	kept := reqs[:0]
	for _, r := range reqs {
		if r.Kind == kindConstraint {
			*warnings = append(*warnings, fmt.Sprintf("server function: %s:%d: %q is not used in the server "+
				"image; the requirements are pinned to the bundling environment instead", r.File, r.Line, r.Text))
			continue
		}
		kept = append(kept, r)
	}
	return kept
}

// pin renders the pinned requirements.txt: global options, then verbatim requirements, then every named
// distribution as ==<installed version>, each group sorted; MustPin distributions not listed are added.
func pin(reqs []reqLine, installed map[string]string, mustPin []string, python string) ([]byte, []string, error) {
	versions := map[string]string{}
	for name, v := range installed {
		versions[normalize(name)] = v
	}
	env := "the bundling Python"
	if python != "" {
		env += " (" + python + ")"
	}
	var options, direct, named, warnings []string
	listed := map[string]bool{}
	for _, r := range reqs {
		switch r.Kind {
		case kindOption:
			options = append(options, r.Text)
		case kindDirect:
			if r.Name != "" {
				listed[normalize(r.Name)] = true
			}
			if isLocalPath(r.Text) {
				warnings = append(warnings, fmt.Sprintf("server function: %s:%d: %q refers to a local path; "+
					"the image installs requirements before the app is copied, so pip will not find it there: "+
					"publish the package or use a URL", r.File, r.Line, r.Text))
			}
			direct = append(direct, r.Text)
		case kindNamed:
			key := normalize(r.Name)
			listed[key] = true
			v, ok := versions[key]
			if !ok && r.Marker != "" {
				warnings = append(warnings, fmt.Sprintf("server function: %s:%d: %q is not installed in %s "+
					"(its marker probably excludes it here), so it is kept unpinned", r.File, r.Line, r.Text, env))
				named = append(named, r.Text)
				continue
			}
			if !ok {
				return nil, nil, fmt.Errorf("server function: %s:%d: %q is not installed in %s, so it cannot be "+
					"pinned to the version the static files were built with; install it there (pip install -r "+
					"requirements.txt) or bundle with a Python where it is installed", r.File, r.Line, r.Text, env)
			}
			line := r.Name + r.Extras + "==" + v
			if r.Marker != "" {
				line += " ; " + r.Marker
			}
			if r.Options != "" {
				line += " " + r.Options
			}
			named = append(named, line)
		}
	}
	for _, m := range mustPin {
		key := normalize(m)
		if listed[key] {
			continue
		}
		v, ok := versions[key]
		if !ok {
			return nil, nil, fmt.Errorf("server function: %s serves the app's JavaScript but is not installed in "+
				"%s; install it there or bundle with a Python where it is installed", m, env)
		}
		listed[key] = true
		named = append(named, m+"=="+v)
	}
	var buf bytes.Buffer
	buf.WriteString("# Generated by open-dash: the app's requirements, pinned to the versions installed in\n")
	buf.WriteString("# " + env + ", so the server serves the same Dash JavaScript as the static files.\n")
	buf.WriteString("# Do not edit: change the app's requirements.txt and bundle again.\n")
	for _, group := range [][]string{sortedUnique(options, nil), sortedUnique(direct, nil), sortedUnique(named, reqSortKey)} {
		for _, l := range group {
			buf.WriteString(l + "\n")
		}
	}
	return buf.Bytes(), warnings, nil
}

// reqSortKey orders named requirements by normalised name, then by the whole line.
func reqSortKey(line string) string {
	if m := nameRe.FindStringSubmatch(line); m != nil {
		return normalize(m[1]) + "\x00" + line
	}
	return line
}

func sortedUnique(lines []string, key func(string) string) []string {
	if key == nil {
		key = func(s string) string { return s }
	}
	seen := map[string]bool{}
	var out []string
	for _, l := range lines {
		if !seen[l] {
			seen[l] = true
			out = append(out, l)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return key(out[i]) < key(out[j]) })
	return out
}

func isLocalPath(text string) bool {
	_, arg := splitOption(text)
	if !strings.HasPrefix(text, "-") {
		arg = text
	}
	return strings.HasPrefix(arg, ".") || strings.HasPrefix(arg, "/") || strings.HasPrefix(arg, "file:") ||
		strings.HasPrefix(arg, "~")
}

// noteDisagreements warns, once per requirement line, when the bundling Python ran another version than the
// line asks for, and says so in the pinned file: the server function runs what the bundle was built with
// (its JavaScript and the pins must agree), not what requirements.txt asked for.
func noteDisagreements(pinned []byte, warnings []string, reqs []reqLine, disagree map[string]string, python string) ([]byte, []string) {
	if len(disagree) == 0 {
		return pinned, warnings
	}
	var notes []string
	seen := map[string]bool{}
	for _, r := range reqs {
		v, ok := disagree[r.pep508()]
		if r.Kind != kindNamed || !ok || seen[r.pep508()] { // -r includes may list a line twice
			continue
		}
		seen[r.pep508()] = true
		warnings = append(warnings, fmt.Sprintf("server function: %s:%d: %q asks for another version than "+
			"the %s %s installed in the bundling Python (%s), which built this bundle; the server function "+
			"pins %s==%s. Install what requirements.txt asks (bundle without --skip-install) or change that line",
			r.File, r.Line, r.Text, r.Name, v, python, r.Name, v))
		notes = append(notes, fmt.Sprintf("# %s:%d asks for %s, but %s %s is what ran", r.File, r.Line, r.Text, r.Name, v))
	}
	if len(notes) == 0 {
		return pinned, warnings
	}
	sort.Strings(notes)
	return append(pinned, []byte(strings.Join(notes, "\n")+"\n")...), warnings
}
