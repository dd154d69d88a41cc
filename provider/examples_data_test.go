package provider

import (
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"gopkg.in/yaml.v3"
)

// TestYAMLExampleDataAccess deploys, through the plugin, both settings examples/yaml's `data` variable picks
// between: off (the default: no secret, no statement, nothing created) and on (one secret, one statement),
// with the config values it reads filled in as `pulumi config set` would.
func TestYAMLExampleDataAccess(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "examples", "yaml", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	config := map[string]string{
		"${databaseSecretArn}": "arn:aws:secretsmanager:us-west-2:123456789012:secret:db-AbC123",
		"${dataBucket}":        "my-data",
	}
	for k, v := range config {
		raw = []byte(strings.ReplaceAll(string(raw), k, v))
	}
	var program struct {
		Config    map[string]map[string]any `yaml:"config"`
		Variables struct {
			Data struct {
				Select []any `yaml:"fn::select"`
			} `yaml:"data"`
		} `yaml:"variables"`
		Resources map[string]struct {
			Properties map[string]any `yaml:"properties"`
		} `yaml:"resources"`
	}
	if err := yaml.Unmarshal(raw, &program); err != nil {
		t.Fatal(err)
	}
	if program.Config["dataAccess"]["default"] != 0 || len(program.Variables.Data.Select) != 2 {
		t.Fatalf("dataAccess must default to 0 (off) and pick from `data`'s fn::select: %+v", program.Variables.Data)
	}
	props := program.Resources["site"].Properties
	if props["secrets"] != "${data.secrets}" || props["policyStatements"] != "${data.policyStatements}" {
		t.Fatalf("site does not take its secrets and policyStatements from `data`: %v", props)
	}
	choices, _ := program.Variables.Data.Select[1].([]any)
	if len(choices) != 2 {
		t.Fatalf("fn::select chooses from %d settings, want 2 (off, on)", len(choices))
	}
	for i, want := range map[int][]string{0: nil, 1: {"site-server-data-policy", "site-server-secrets-policy"}} {
		settings := choices[i].(map[string]any)
		aws := &fakeAWS{}
		_, err := construct(t, aws, map[string]property.Value{
			"bundleDir":        property.New(testBundle),
			"secrets":          toValue(settings["secrets"]),
			"policyStatements": toValue(settings["policyStatements"]),
		})
		if err != nil {
			t.Fatalf("dataAccess %d: construct: %v", i, err)
		}
		var got []string
		for _, c := range aws.children {
			if c.typ == "aws:iam/rolePolicy:RolePolicy" && strings.HasPrefix(c.name, "site-server-") {
				got = append(got, c.name)
			}
		}
		sort.Strings(got)
		if !slices.Equal(got, want) {
			t.Errorf("dataAccess %d: policies of the server's role %v, want %v", i, got, want)
		}
	}
}

// toValue converts what YAML decoded into a property value.
func toValue(v any) property.Value {
	switch v := v.(type) {
	case map[string]any:
		m := map[string]property.Value{}
		for k, e := range v {
			m[k] = toValue(e)
		}
		return property.New(m)
	case []any:
		list := make([]property.Value, len(v))
		for i, e := range v {
			list[i] = toValue(e)
		}
		return property.New(list)
	case string:
		return property.New(v)
	case int:
		return property.New(float64(v))
	case bool:
		return property.New(v)
	}
	return property.New(property.Null)
}
