package siteconfig

import (
	"fmt"
	"math"
	"path/filepath"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendash/opendash/component"
)

// Resolver gives secret references their values.
type Resolver interface {
	// Env is the environment variable's value and whether it is set.
	Env(name string) (string, bool)
	// Secret is the stack's Pulumi config secret of that name (only inside a Pulumi program).
	Secret(name string) (pulumi.StringOutput, error)
}

// checkOnly resolves every reference to an empty value: Load uses it to check names and types.
type checkOnly struct{}

func (checkOnly) Env(string) (string, bool) { return "", true }
func (checkOnly) Secret(string) (pulumi.StringOutput, error) {
	return pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput), nil
}

// SiteArgs builds the DashSite arguments of the [site] table; relative paths (source, bundleDir, outDir)
// are taken from the file's folder, and source defaults to that folder.
func (f *File) SiteArgs(r Resolver) (*component.DashSiteArgs, error) {
	args := &component.DashSiteArgs{}
	if f.site != nil {
		d := &decoder{file: f.Path, resolve: r}
		if err := d.decode(f.site, reflect.ValueOf(args).Elem(), false); err != nil {
			return nil, err
		}
	}
	abs := func(p *string) {
		if *p != "" && !filepath.IsAbs(*p) {
			*p = filepath.Join(f.Dir, *p)
		}
	}
	abs(&args.Source)
	abs(&args.BundleDir)
	abs(&args.OutDir)
	if args.Source == "" && args.BundleDir == "" {
		args.Source = f.Dir
	}
	return args, nil
}

// decodeInto decodes a table into a struct whose keys come from name (used for [deploy]).
func decodeInto(file string, n *node, v reflect.Value, name func(reflect.StructField) string, secret bool) error {
	d := &decoder{file: file, resolve: checkOnly{}, name: name}
	return d.decode(n, v, secret)
}

type decoder struct {
	file    string
	resolve Resolver
	name    func(reflect.StructField) string // a struct field's key; default: its pulumi tag
}

// pulumiName is a field's schema name, from its `pulumi:"name,optional"` tag ("" for untagged fields such
// as Transform, which have no place in a file).
func pulumiName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("pulumi"), ",")
	if name == "-" {
		return ""
	}
	return name
}

// isSecretField reports a field the schema marks secret (`provider:"secret"`): its strings must be references.
func isSecretField(f reflect.StructField) bool {
	for _, opt := range strings.Split(f.Tag.Get("provider"), ",") {
		if opt == "secret" {
			return true
		}
	}
	return false
}

func (d *decoder) decode(n *node, v reflect.Value, secret bool) error {
	t := v.Type()
	if t.Kind() == reflect.Interface {
		return d.decodeInput(n, v, secret)
	}
	if isScalar(t) && n.isTable() {
		return d.reference(n, v, secret)
	}
	if secret && t.Kind() == reflect.String && !n.isTable() {
		return d.literalSecret(n)
	}
	switch t.Kind() {
	case reflect.Pointer:
		p := reflect.New(t.Elem())
		if err := d.decode(n, p.Elem(), secret); err != nil {
			return err
		}
		v.Set(p)
		return nil
	case reflect.Struct:
		return d.decodeStruct(n, v, secret)
	case reflect.Map:
		if !n.isTable() {
			return d.wrongType(n, "a table")
		}
		if t.Key().Kind() != reflect.String {
			return d.unsupported(n, t)
		}
		m := reflect.MakeMapWithSize(t, len(n.children))
		for _, key := range n.keys() {
			e := reflect.New(t.Elem()).Elem()
			if err := d.decode(n.children[key], e, secret); err != nil {
				return err
			}
			m.SetMapIndex(reflect.ValueOf(key).Convert(t.Key()), e)
		}
		v.Set(m)
		return nil
	case reflect.Slice:
		if !n.isArray() {
			return d.wrongType(n, "an array")
		}
		s := reflect.MakeSlice(t, len(n.items), len(n.items))
		for i, item := range n.items {
			if err := d.decode(item, s.Index(i), secret); err != nil {
				return err
			}
		}
		v.Set(s)
		return nil
	case reflect.String:
		s, ok := n.value.(string)
		if !ok {
			return d.wrongType(n, "a string")
		}
		v.SetString(s)
		return nil
	case reflect.Bool:
		b, ok := n.value.(bool)
		if !ok {
			return d.wrongType(n, "true or false")
		}
		v.SetBool(b)
		return nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, ok := n.value.(int64)
		if !ok {
			return d.wrongType(n, "an integer")
		}
		if v.OverflowInt(i) {
			return fmt.Errorf("%s: %d is too large", n.where(d.file), i)
		}
		v.SetInt(i)
		return nil
	case reflect.Float32, reflect.Float64:
		switch x := n.value.(type) {
		case int64:
			v.SetFloat(float64(x))
		case float64:
			v.SetFloat(x)
		default:
			return d.wrongType(n, "a number")
		}
		return nil
	}
	return d.unsupported(n, t)
}

func (d *decoder) decodeStruct(n *node, v reflect.Value, secret bool) error {
	if !n.isTable() {
		return d.wrongType(n, "a table")
	}
	name := d.name
	if name == nil {
		name = pulumiName
	}
	t := v.Type()
	fields := map[string]int{}
	for i := 0; i < t.NumField(); i++ {
		if key := name(t.Field(i)); key != "" {
			fields[key] = i
		}
	}
	for _, key := range n.keys() {
		i, ok := fields[key]
		if !ok {
			known := knownKeys(t, name)
			return fmt.Errorf("%s: unknown key%s; the keys here are %s", n.children[key].where(d.file),
				suggest(key, known), strings.Join(known, ", "))
		}
		f := t.Field(i)
		if err := d.decode(n.children[key], v.Field(i), secret || isSecretField(f)); err != nil {
			return err
		}
	}
	return nil
}

// scalarInputs are the concrete types tried, in order, for a pulumi Input interface: the first that
// implements it is decoded (pulumi.String for StringInput and StringPtrInput, pulumi.StringMap for
// StringMapInput, ...).
var scalarInputs = []any{
	pulumi.String(""), pulumi.Int(0), pulumi.Bool(false), pulumi.Float64(0),
	pulumi.StringArray{}, pulumi.IntArray{}, pulumi.BoolArray{}, pulumi.Float64Array{},
	pulumi.StringMap{}, pulumi.IntMap{}, pulumi.BoolMap{}, pulumi.Float64Map{},
	pulumi.StringMapArray{}, pulumi.MapArray{}, pulumi.Map{}, pulumi.Array{},
}

// decodeInput decodes into a pulumi Input interface (pulumi.IntInput, StringMapInput, pulumi.Input, ...).
func (d *decoder) decodeInput(n *node, v reflect.Value, secret bool) error {
	t := v.Type()
	generic := reflect.TypeOf(pulumi.String("")).Implements(t) && reflect.TypeOf(pulumi.Map{}).Implements(t)
	if generic {
		x, err := d.generic(n, secret)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(x))
		return nil
	}
	for _, c := range scalarInputs {
		ct := reflect.TypeOf(c)
		if !ct.Implements(t) {
			continue
		}
		if isScalar(ct) && n.isTable() {
			return d.reference(n, v, secret)
		}
		x := reflect.New(ct).Elem()
		if err := d.decode(n, x, secret); err != nil {
			return err
		}
		v.Set(x)
		return nil
	}
	return d.unsupported(n, t)
}

// generic decodes a value for a pulumi.Input of any type by what the file holds.
func (d *decoder) generic(n *node, secret bool) (pulumi.Input, error) {
	if n.isTable() {
		if _, ok := referenceOf(n); ok {
			var out pulumi.StringInput
			err := d.reference(n, reflect.ValueOf(&out).Elem(), secret)
			return out, err
		}
		m := pulumi.Map{}
		for _, key := range n.keys() {
			x, err := d.generic(n.children[key], secret)
			if err != nil {
				return nil, err
			}
			m[key] = x
		}
		return m, nil
	}
	if n.isArray() {
		a := make(pulumi.Array, 0, len(n.items))
		for _, item := range n.items {
			x, err := d.generic(item, secret)
			if err != nil {
				return nil, err
			}
			a = append(a, x)
		}
		return a, nil
	}
	if secret {
		if _, ok := n.value.(string); ok {
			return nil, d.literalSecret(n)
		}
	}
	switch x := n.value.(type) {
	case string:
		return pulumi.String(x), nil
	case int64:
		if x > math.MaxInt32 || x < math.MinInt32 {
			return pulumi.Float64(float64(x)), nil
		}
		return pulumi.Int(int(x)), nil
	case float64:
		return pulumi.Float64(x), nil
	case bool:
		return pulumi.Bool(x), nil
	}
	return nil, d.wrongType(n, "a string, number, boolean, table or array")
}

// isScalar reports a type that holds one value (where a table can only be a reference).
func isScalar(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.String, reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Float32, reflect.Float64:
		return true
	}
	return false
}

func (d *decoder) wrongType(n *node, want string) error {
	return fmt.Errorf("%s is %s; want %s", n.where(d.file), n.kind(), want)
}

func (d *decoder) unsupported(n *node, t reflect.Type) error {
	return fmt.Errorf("%s: DashSite's %s argument cannot be written in %s yet (Go type %s); set it in a Pulumi "+
		"program instead (see \"When you already use Pulumi\" in the README)", n.where(d.file), n.path, FileName, t)
}
