package siteconfig

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/BurntSushi/toml"
)

// node is one key of the file with the line it is on, so every error can name both. A table has children,
// an array has items, anything else is a leaf value (string, int64, float64, bool or time.Time).
type node struct {
	path     string // dotted key from the top of the file: "site.auth.basic.users.alice"
	line     int
	value    any
	children map[string]*node // tables (inline ones too)
	items    []*node          // arrays
}

func (n *node) isTable() bool { return n.children != nil }
func (n *node) isArray() bool { return n.items != nil }

// keys are the table's keys, sorted so that errors come out in a stable order.
func (n *node) keys() []string {
	keys := make([]string, 0, len(n.children))
	for k := range n.children {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// kind names what the node holds, the way TOML names it, for "wrong type" errors.
func (n *node) kind() string {
	switch {
	case n.isTable():
		return "a table"
	case n.isArray():
		return "an array"
	}
	switch n.value.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a float"
	case bool:
		return "a boolean"
	case time.Time:
		return "a date-time"
	}
	return fmt.Sprintf("%T", n.value)
}

// where is the key and its line, as every error shows them.
func (n *node) where(file string) string {
	if n.line > 0 {
		return fmt.Sprintf("%s (%s, line %d)", n.path, file, n.line)
	}
	return fmt.Sprintf("%s (%s)", n.path, file)
}

// parse reads a TOML document into a tree of nodes with their lines. BurntSushi/toml keeps key positions
// private, but reports the line of the key being decoded in a ParseError: decoding each value once into
// a type that always refuses (probe) asks for exactly that line.
func parse(data string) (*node, error) {
	var top map[string]toml.Primitive
	md, err := toml.Decode(data, &top)
	if err != nil {
		return nil, err
	}
	root := &node{children: map[string]*node{}}
	for key, p := range top {
		n, err := build(&md, key, p)
		if err != nil {
			return nil, err
		}
		root.children[key] = n
	}
	return root, nil
}

func build(md *toml.MetaData, path string, p toml.Primitive) (*node, error) {
	n := &node{path: path, line: lineOf(md, p)}
	var raw any
	if err := md.PrimitiveDecode(p, &raw); err != nil {
		return nil, err
	}
	switch raw.(type) {
	case map[string]any:
		var table map[string]toml.Primitive
		if err := md.PrimitiveDecode(p, &table); err != nil {
			return nil, err
		}
		n.children = make(map[string]*node, len(table))
		for key, child := range table {
			c, err := build(md, path+"."+key, child)
			if err != nil {
				return nil, err
			}
			n.children[key] = c
		}
	case []any, []map[string]any:
		var items []toml.Primitive
		if err := md.PrimitiveDecode(p, &items); err != nil {
			return nil, err
		}
		n.items = make([]*node, 0, len(items))
		for i, item := range items {
			c, err := build(md, fmt.Sprintf("%s[%d]", path, i), item)
			if err != nil {
				return nil, err
			}
			if c.line == 0 {
				c.line = n.line // items have no key of their own: the array's line
			}
			n.items = append(n.items, c)
		}
	default:
		n.value = raw
	}
	return n, nil
}

type probe struct{}

var errProbe = errors.New("probe")

func (probe) UnmarshalTOML(any) error { return errProbe }

// lineOf is the line of the key p was decoded from (0 when the decoder does not know it).
func lineOf(md *toml.MetaData, p toml.Primitive) int {
	var pe toml.ParseError
	if errors.As(md.PrimitiveDecode(p, &probe{}), &pe) {
		return pe.Line
	}
	return 0
}
