package serverfn

import (
	"fmt"
	"os"
)

// What the bundler needs to know about the planned source beyond the copy itself: the requirement lines
// its Python can check without pip, and the files a bundle cache must watch.

// Requirements returns the app's named requirements as PEP 508 lines (name[extras]spec ; marker), for a
// check that they are already installed. why is non-empty when only pip can tell: a URL, path or -e line,
// or a -c constraints file (it may ask for other versions than the installed ones).
func (b *Bundle) Requirements() (lines []string, why string) {
	if b.uncheckable != "" {
		return nil, b.uncheckable
	}
	for _, r := range b.reqs {
		if r.Kind == kindNamed {
			lines = append(lines, r.pep508())
		}
	}
	return lines, ""
}

// Specs returns the named requirements that ask for particular versions, as PEP 508 lines: what the
// extraction compares with the installed versions (see SetDisagreements), even when only pip can check
// the rest.
func (b *Bundle) Specs() []string {
	var lines []string
	for _, r := range b.reqs {
		if r.Kind == kindNamed && r.Spec != "" {
			lines = append(lines, r.pep508())
		}
	}
	return lines
}

// SetDisagreements records the Specs lines the installed versions do not satisfy (line -> installed version):
// the bundle was built with another version than requirements.txt asks for (--skip-install, say). Finish
// warns about each and pins what ran.
func (b *Bundle) SetDisagreements(d map[string]string) { b.opts.Disagree = d }

// pep508 is the requirement as one PEP 508 line: name[extras]spec ; marker.
func (r reqLine) pep508() string {
	line := r.Name + r.Extras + r.Spec
	if r.Marker != "" {
		line += " ; " + r.Marker
	}
	return line
}

func uncheckable(reqs []reqLine) string {
	for _, r := range reqs {
		switch r.Kind {
		case kindDirect:
			return fmt.Sprintf("%s:%d (%s) names a URL, a path or an editable install", r.File, r.Line, r.Text)
		case kindConstraint:
			return fmt.Sprintf("%s:%d (%s) applies constraints", r.File, r.Line, r.Text)
		}
	}
	return ""
}

// SourceFile is a planned source file as the walk saw it.
type SourceFile struct {
	Rel  string      // slash-separated, source-relative
	Path string      // the path read
	Info os.FileInfo // its stat at Plan time (the target's, for a symlink)
}

// SourceStates lists every planned source file, requirements.txt included, in copy order.
func (b *Bundle) SourceStates() []SourceFile {
	out := make([]SourceFile, len(b.files))
	for i, f := range b.files {
		out[i] = SourceFile{Rel: f.Rel, Path: f.Path, Info: f.Info}
	}
	return out
}

// RequirementFiles lists every requirements file Plan read (absolute paths): requirements.txt and its -r
// includes, which may live outside the source folder.
func (b *Bundle) RequirementFiles() []string {
	return append([]string(nil), b.reqFiles...)
}
