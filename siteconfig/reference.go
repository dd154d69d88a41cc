package siteconfig

import (
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A reference stands where a value would: { env = "NAME" } is the environment variable NAME when the
// command runs, { secret = "name" } the stack's Pulumi config secret `name`.
type reference struct {
	kind string // "env" or "secret"
	name string
}

// referenceOf recognises a table that is a reference: exactly one key, env or secret, holding a string.
func referenceOf(n *node) (reference, bool) {
	if len(n.children) != 1 {
		return reference{}, false
	}
	for _, kind := range []string{"env", "secret"} {
		if c, ok := n.children[kind]; ok {
			if name, ok := c.value.(string); ok {
				return reference{kind, name}, true
			}
		}
	}
	return reference{}, false
}

var (
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	configName = regexp.MustCompile(`^[A-Za-z0-9_.-]+(:[A-Za-z0-9_.-]+)?$`)
	// clientSecret -> CLIENT_SECRET, for the variable name an error suggests.
	camelBoundary = regexp.MustCompile(`([a-z0-9])([A-Z])`)
	notNameChars  = regexp.MustCompile(`[^A-Za-z0-9]+`)
)

// reference sets v (a string, or a pulumi Input that a StringOutput satisfies) from the reference in n.
// Inside a secret argument the value is a Pulumi secret, so it never reaches the state in clear.
func (d *decoder) reference(n *node, v reflect.Value, secret bool) error {
	ref, ok := referenceOf(n)
	if !ok {
		return fmt.Errorf("%s is a table; want a value, or a reference: { env = \"VARIABLE\" } or "+
			"{ secret = \"name\" }", n.where(d.file))
	}
	plain := v.Kind() != reflect.Interface
	if plain && v.Kind() != reflect.String || !plain && !reflect.TypeOf(pulumi.StringOutput{}).Implements(v.Type()) {
		return fmt.Errorf("%s: a reference holds a string, but this argument is %s; write the value itself",
			n.where(d.file), v.Type())
	}
	switch ref.kind {
	case "env":
		if !envName.MatchString(ref.name) {
			return fmt.Errorf("%s: %q is not an environment variable name (letters, digits and _)", n.where(d.file), ref.name)
		}
		value, ok := d.resolve.Env(ref.name)
		if !ok {
			return fmt.Errorf("%s names the environment variable %s, which is not set; set it (export %s=...) "+
				"before running open-dash", n.where(d.file), ref.name, ref.name)
		}
		switch {
		case plain:
			v.SetString(value)
		case secret:
			v.Set(reflect.ValueOf(pulumi.ToSecret(pulumi.String(value)).(pulumi.StringOutput)))
		default:
			v.Set(reflect.ValueOf(pulumi.String(value)))
		}
		return nil
	default: // secret
		if !configName.MatchString(ref.name) {
			return fmt.Errorf("%s: %q is not a Pulumi config key", n.where(d.file), ref.name)
		}
		if plain {
			return fmt.Errorf("%s: this argument is needed while the deploy plans (a plain value), before Pulumi "+
				"config secrets are read; use { env = \"VARIABLE\" } or write the value", n.where(d.file))
		}
		out, err := d.resolve.Secret(ref.name)
		if err != nil {
			return fmt.Errorf("%s: %w", n.where(d.file), err)
		}
		v.Set(reflect.ValueOf(out))
		return nil
	}
}

// literalSecret is the error for a value written where the schema expects a secret.
func (d *decoder) literalSecret(n *node) error {
	key := n.path[strings.LastIndex(n.path, ".")+1:]
	variable := strings.ToUpper(notNameChars.ReplaceAllString(camelBoundary.ReplaceAllString(key, "${1}_$2"), "_"))
	return fmt.Errorf("%s is a secret written into the file; secrets never sit in %s: write "+
		"{ env = %q } and set that variable, or { secret = %q } and set it with `open-dash secret set %s`",
		n.where(d.file), FileName, variable, key, key)
}

// EnvNames are the environment variables the [site] table references, sorted (a CI workflow passes each).
func (f *File) EnvNames() []string {
	seen := map[string]bool{}
	var walk func(n *node)
	walk = func(n *node) {
		if n == nil {
			return
		}
		if ref, ok := referenceOf(n); ok {
			if ref.kind == "env" {
				seen[ref.name] = true
			}
			return
		}
		for _, c := range n.children {
			walk(c)
		}
		for _, c := range n.items {
			walk(c)
		}
	}
	walk(f.site)
	names := make([]string, 0, len(seen))
	for n := range seen {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
