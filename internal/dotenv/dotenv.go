// Package dotenv reads environment files in the dotenv format: the file `open-dash preview --env-file` gives
// the server function, holding what `environment` and `secrets` give it on AWS, under the same names.
//
// The format, as python-dotenv and Docker Compose read it, minus variable expansion:
//
//	# a comment
//	NAME=value                 surrounding spaces are dropped; " #" starts a comment
//	export NAME=value          "export " is allowed, so the file can also be sourced by a shell
//	NAME='literal $text'       single quotes: nothing is interpreted
//	NAME="line\nnext"          double quotes: \n \r \t \" \\ \$ are escapes; the value may span lines
//	NAME=                      the empty string
//
// `$` is always literal (passwords often hold one). Errors name the file and the line, never a value.
package dotenv

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"strings"
)

// Var is one variable and the line it starts on.
type Var struct {
	Name, Value string
	Line        int
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// ReadFile parses the file at path.
func ReadFile(path string) ([]Var, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the environment file: %w", err)
	}
	return Parse(path, data)
}

// Parse reads data (named file in errors). A name given twice is an error: the second would silently win.
func Parse(file string, data []byte) ([]Var, error) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	p := &parser{file: file, rest: text, line: 1}
	var vars []Var
	seen := map[string]int{}
	for p.rest != "" {
		v, ok, err := p.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			continue
		}
		if first, dup := seen[v.Name]; dup {
			return nil, fmt.Errorf("%s:%d: %s is already set on line %d; keep one", file, v.Line, v.Name, first)
		}
		seen[v.Name] = v.Line
		vars = append(vars, v)
	}
	return vars, nil
}

type parser struct {
	file string
	rest string
	line int
}

func (p *parser) errorf(line int, format string, args ...any) error {
	return fmt.Errorf("%s:%d: "+format, append([]any{p.file, line}, args...)...)
}

// takeLine removes and returns the rest of the current line.
func (p *parser) takeLine() string {
	line, rest, _ := strings.Cut(p.rest, "\n")
	p.rest = rest
	p.line++
	return line
}

// next parses one line (or a multi-line double-quoted value); ok is false for blank lines and comments.
func (p *parser) next() (Var, bool, error) {
	start := p.line
	trimmed := strings.TrimLeft(p.rest, " \t")
	if trimmed == "" || trimmed[0] == '\n' || trimmed[0] == '#' {
		p.takeLine()
		return Var{}, false, nil
	}
	p.rest = trimmed
	if rest, ok := strings.CutPrefix(p.rest, "export"); ok && (strings.HasPrefix(rest, " ") || strings.HasPrefix(rest, "\t")) {
		p.rest = strings.TrimLeft(rest, " \t")
	}
	eq := strings.IndexAny(p.rest, "=\n")
	if eq < 0 || p.rest[eq] != '=' {
		return Var{}, false, p.errorf(start, "expected NAME=value")
	}
	name := strings.TrimRight(p.rest[:eq], " \t")
	if !nameRE.MatchString(name) {
		return Var{}, false, p.errorf(start, "%q is not a variable name (letters, digits and _, not starting with a digit)", name)
	}
	p.rest = strings.TrimLeft(p.rest[eq+1:], " \t")
	var value string
	var err error
	switch {
	case strings.HasPrefix(p.rest, "'"):
		value, err = p.single(start)
	case strings.HasPrefix(p.rest, `"`):
		value, err = p.double(start)
	default:
		value = p.takeLine()
		if i := strings.Index(value, " #"); i >= 0 {
			value = value[:i]
		} else if i := strings.Index(value, "\t#"); i >= 0 {
			value = value[:i]
		}
		value = strings.TrimRight(value, " \t")
	}
	if err != nil {
		return Var{}, false, err
	}
	return Var{Name: name, Value: value, Line: start}, true, nil
}

// single reads a single-quoted value: everything up to the next quote, on this line.
func (p *parser) single(start int) (string, error) {
	line := p.takeLine()
	end := strings.IndexByte(line[1:], '\'')
	if end < 0 {
		return "", p.errorf(start, "the single quote is never closed on this line")
	}
	if err := p.afterQuote(start, line[end+2:]); err != nil {
		return "", err
	}
	return line[1 : end+1], nil
}

// double reads a double-quoted value with its escapes; it may span lines.
func (p *parser) double(start int) (string, error) {
	var b strings.Builder
	s := p.rest[1:]
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '"':
			p.rest = s[i+1:]
			return b.String(), p.afterQuote(start, p.takeLine())
		case c == '\\' && i+1 < len(s):
			i++
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case '"', '\\', '$', '\'':
				b.WriteByte(s[i])
			default:
				if s[i] == '\n' {
					p.line++
				}
				b.WriteByte('\\')
				b.WriteByte(s[i])
			}
		case c == '\n':
			p.line++
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return "", p.errorf(start, "the double quote is never closed")
}

// afterQuote allows only blanks or a comment after a closing quote.
func (p *parser) afterQuote(start int, tail string) error {
	tail = strings.TrimLeft(tail, " \t")
	if tail != "" && tail[0] != '#' {
		return p.errorf(start, "unexpected text after the closing quote (quote the whole value)")
	}
	return nil
}
