package provider

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/blang/semver"
	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/version"
	"gopkg.in/yaml.v3"
)

// TestYAMLExample keeps examples/yaml in step with the schema: its resource uses the component's token,
// only inputs the schema has, outputs the schema has, and names a plugin release and the schema's download
// URL for it.
func TestYAMLExample(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "examples", "yaml", "Pulumi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var program struct {
		Runtime   string `yaml:"runtime"`
		Resources map[string]struct {
			Type       string         `yaml:"type"`
			Properties map[string]any `yaml:"properties"`
			Options    struct {
				Version           string `yaml:"version"`
				PluginDownloadURL string `yaml:"pluginDownloadURL"`
			} `yaml:"options"`
		} `yaml:"resources"`
		Outputs map[string]string `yaml:"outputs"`
	}
	if err := yaml.Unmarshal(raw, &program); err != nil {
		t.Fatalf("examples/yaml/Pulumi.yaml: %v", err)
	}
	if program.Runtime != "yaml" {
		t.Errorf("runtime %q", program.Runtime)
	}
	site, ok := program.Resources["site"]
	if !ok || site.Type != component.Token {
		t.Fatalf("resource site: %+v, want type %s", site, component.Token)
	}
	v := site.Options.Version
	if _, err := semver.Parse(v); err != nil || strings.Contains(v, "-") {
		t.Errorf("options.version %q is not a release", v)
	}
	if want := strings.ReplaceAll(version.PluginDownloadURL, "${VERSION}", v); site.Options.PluginDownloadURL != want {
		t.Errorf("options.pluginDownloadURL = %q, want %q", site.Options.PluginDownloadURL, want)
	}
	res := servedSchema(t).Resources[component.Token]
	for name := range site.Properties {
		if _, ok := res.InputProperties[name]; !ok {
			t.Errorf("property %s is not a DashSite input", name)
		}
	}
	ref := regexp.MustCompile(`^\$\{site\.(\w+)(?:\.\w+)?\}$`)
	for out, expr := range program.Outputs {
		m := ref.FindStringSubmatch(expr)
		if m == nil {
			t.Errorf("output %s = %q is not ${site.<output>}", out, expr)
			continue
		}
		if _, ok := res.Properties[m[1]]; !ok {
			t.Errorf("output %s reads site.%s, which DashSite does not have", out, m[1])
		}
	}
}
