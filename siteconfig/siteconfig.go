// Package siteconfig reads open-dash.toml, the configuration file a repository keeps beside its Dash app so
// that a deploy is reproducible from a checkout. Its [site] table holds DashSite arguments under their
// schema names (the `pulumi:"..."` tags of component.DashSiteArgs), mapped by reflection, so an argument
// added to the component works here with no change; [deploy] holds the settings of `open-dash deploy`.
// Secrets never sit in the file: a secret argument names an environment variable ({ env = "NAME" }) or a
// Pulumi config secret of the stack ({ secret = "name" }).
//
// TOML rather than YAML: Dash developers know it from pyproject.toml, strings are always quoted (YAML reads
// `python: 3.10` as the number 3.1 and `no` as false), and BurntSushi/toml is already in the module graph.
package siteconfig

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
)

// FileName is the configuration file `open-dash deploy` and `open-dash preview` look for in the app folder.
const FileName = "open-dash.toml"

// File is a parsed open-dash.toml.
type File struct {
	Path   string // as read, for messages
	Dir    string // absolute folder of the file: relative paths in it are relative to this
	Deploy Deploy
	site   *node // the [site] table; nil when absent
}

// Deploy is the [deploy] table: where and as what the site is deployed. Flags override each.
type Deploy struct {
	// Name is the DashSite's name, which AWS resource names start with. Default: the app folder's name.
	Name string `toml:"name"`
	// Stack is the Pulumi stack (one deployment of the app: dev, prod, ...). Default: dev.
	Stack string `toml:"stack"`
	// Region is the AWS region. Default: the AWS profile's or AWS_REGION.
	Region string `toml:"region"`
	// Profile is the AWS shared-config profile. Default: AWS_PROFILE, else the default credentials chain.
	Profile string `toml:"profile"`
	// Backend is a Pulumi state backend URL; default: the state bucket in the account and region.
	Backend string `toml:"backend"`
	// SecretsProvider is a Pulumi secrets provider URL; default: the state KMS key.
	SecretsProvider string `toml:"secretsProvider"`
	// EnvFile is a dotenv file (relative to this file's folder) whose variables the app gets while it is
	// bundled, for an app that reads os.environ at import; its values are never deployed (see [site]'s
	// environment and secrets for the function's own).
	EnvFile string `toml:"envFile"`
}

// Find returns the open-dash.toml of an app folder, or "" when it has none.
func Find(appDir string) string {
	p := filepath.Join(appDir, FileName)
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return ""
}

// Load reads and checks a configuration file: unknown tables and keys, and values of the wrong type, are
// errors naming the key and its line. Secret references are checked when the arguments are built.
func Load(path string) (*File, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%s: no such file; write one (see `open-dash deploy --help`) or leave out --config", path)
	}
	if err != nil {
		return nil, err
	}
	return parseFile(path, string(data))
}

func parseFile(path, data string) (*File, error) {
	root, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, err
	}
	f := &File{Path: path, Dir: dir}
	for _, key := range root.keys() {
		n := root.children[key]
		switch key {
		case "site":
			if !n.isTable() {
				return nil, fmt.Errorf("%s is %s; want a table of DashSite arguments ([site])", n.where(path), n.kind())
			}
			f.site = n
		case "deploy":
			if err := decodeInto(path, n, reflect.ValueOf(&f.Deploy).Elem(), tomlField, false); err != nil {
				return nil, err
			}
		default:
			return nil, fmt.Errorf("%s: unknown table; %s holds [site] (DashSite arguments) and [deploy]%s",
				n.where(path), FileName, suggest(key, []string{"site", "deploy"}))
		}
	}
	if f.site != nil {
		// Check names and types now, before anything is bundled or deployed.
		if _, err := f.SiteArgs(checkOnly{}); err != nil {
			return nil, err
		}
	}
	return f, nil
}

// suggest is ` (did you mean "x"?)` when one of known is close to key, else "".
func suggest(key string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := distance(strings.ToLower(key), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean %q?)", best)
}

// distance is the Levenshtein distance between a and b.
func distance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

// knownKeys lists a struct's keys for "unknown key" errors.
func knownKeys(t reflect.Type, name func(reflect.StructField) string) []string {
	var keys []string
	for i := 0; i < t.NumField(); i++ {
		if k := name(t.Field(i)); k != "" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// tomlField is a [deploy] field's key.
func tomlField(f reflect.StructField) string { return f.Tag.Get("toml") }
