package provider

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/component/imagepush"
)

var update = flag.Bool("update", false, "rewrite ../schema.json from the Go types (make schema)")

// schemaPath is schema.json at the repository root.
var schemaPath = filepath.Join("..", SchemaFile)

// TestSchema fails when the committed schema.json is not what the plugin serves; `make schema` (this test
// with -update) regenerates it.
func TestSchema(t *testing.T) {
	served, err := Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if *update {
		if err := os.WriteFile(schemaPath, served, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", schemaPath)
	}
	committed, err := os.ReadFile(schemaPath)
	if err != nil {
		t.Fatalf("%v; generate it with `make schema`", err)
	}
	var want, got any
	if err := json.Unmarshal(committed, &want); err != nil {
		t.Fatalf("%s is not JSON (%v); regenerate it with `make schema`, never edit it by hand", schemaPath, err)
	}
	if err := json.Unmarshal(served, &got); err != nil {
		t.Fatal(err)
	}
	if d := jsonDiff("", want, got); d != "" {
		t.Errorf("%s differs from the schema the plugin serves at %s; run `make schema` and commit the result", schemaPath, d)
	}
}

// TestSchemaIsDeterministic: two generations give the same bytes, so `make schema` never churns the file.
func TestSchemaIsDeterministic(t *testing.T) {
	a, err := Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	b, err := Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if string(a) != string(b) {
		t.Error("two schema generations differ")
	}
}

type schemaProperty struct {
	Type        string `json:"type"`
	Ref         string `json:"$ref"`
	Description string `json:"description"`
}

type schemaResource struct {
	IsComponent     bool                      `json:"isComponent"`
	Description     string                    `json:"description"`
	Properties      map[string]schemaProperty `json:"properties"`
	InputProperties map[string]schemaProperty `json:"inputProperties"`
	Required        []string                  `json:"required"`
}

type packageSchema struct {
	Name        string                     `json:"name"`
	DisplayName string                     `json:"displayName"`
	Version     string                     `json:"version"`
	Description string                     `json:"description"`
	Repository  string                     `json:"repository"`
	Resources   map[string]schemaResource  `json:"resources"`
	Language    map[string]map[string]any  `json:"language"`
	Types       map[string]json.RawMessage `json:"types"`
	Functions   map[string]json.RawMessage `json:"functions"`
}

func servedSchema(t *testing.T) packageSchema {
	t.Helper()
	raw, err := Schema(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var s packageSchema
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSchemaMetadata(t *testing.T) {
	s := servedSchema(t)
	if s.Name != Name || s.DisplayName != "OpenDash" || s.Version != Version() || s.Description == "" || s.Repository != Repository {
		t.Errorf("metadata: name %q, displayName %q, version %q (want %q), description %q, repository %q",
			s.Name, s.DisplayName, s.Version, Version(), s.Description, s.Repository)
	}
	// The component, and the custom resource it registers in every language.
	if got := sortedKeys(s.Resources); !reflect.DeepEqual(got, []string{component.Token, imagepush.Token}) || len(s.Functions) != 0 {
		t.Errorf("want the resources DashSite and ServerImage and no functions; resources %v", got)
	}
	// The only types are the auth, secrets and vpc arguments', in the index module beside the component.
	wantTypes := []string{"opendash:index:Auth", "opendash:index:BasicAuth", "opendash:index:OidcAuth",
		"opendash:index:Secret", "opendash:index:Vpc"}
	if got := sortedKeys(s.Types); !reflect.DeepEqual(got, wantTypes) {
		t.Errorf("types %v, want %v", got, wantTypes)
	}
	for lang, key := range map[string]string{"nodejs": "dependencies", "python": "requires"} {
		if _, ok := s.Language[lang][key]; !ok {
			t.Errorf("language.%s.%s is missing: the %s SDK needs pulumi-aws for the resource outputs", lang, key, lang)
		}
	}
}

// TestSchemaDocumentsEverything: every input and output carries the description Annotate gives it.
func TestSchemaDocumentsEverything(t *testing.T) {
	res, ok := servedSchema(t).Resources[component.Token]
	if !ok {
		t.Fatalf("schema has no %s", component.Token)
	}
	if !res.IsComponent || res.Description == "" {
		t.Errorf("%s: isComponent %v, description %q", component.Token, res.IsComponent, res.Description)
	}
	for kind, props := range map[string]map[string]schemaProperty{"input": res.InputProperties, "output": res.Properties} {
		if len(props) == 0 {
			t.Errorf("no %ss", kind)
		}
		for _, name := range sortedKeys(props) {
			if props[name].Description == "" {
				t.Errorf("%s %s has no description: describe it in the component's Annotate", kind, name)
			}
		}
	}
}

// TestSchemaReferencesAWSResources: the resource outputs are typed as pulumi-aws resources of the version
// built into the plugin, so SDKs hand out aws.s3.BucketV2 and friends.
func TestSchemaReferencesAWSResources(t *testing.T) {
	res := servedSchema(t).Resources[component.Token]
	prefix := "/aws/v" + component.AWSPackageVersion + "/schema.json#/resources/"
	for name, token := range map[string]string{
		"bucket":         "aws:s3/bucketV2:BucketV2",
		"distribution":   "aws:cloudfront/distribution:Distribution",
		"serverFunction": "aws:lambda/function:Function",
	} {
		if got := res.Properties[name].Ref; got != prefix+token {
			t.Errorf("output %s: $ref %q, want %q", name, got, prefix+token)
		}
		if !contains(res.Required, name) {
			t.Errorf("output %s should be required: every DashSite has one", name)
		}
	}
	for _, name := range []string{"url", "distributionId", "bucketName", "serverFunctionName", "serverFunctionUrl", "imageUri", "warmerFunctionName", "verifyCommand"} {
		if res.Properties[name].Type != "string" {
			t.Errorf("output %s: %+v, want a string", name, res.Properties[name])
		}
	}
}

// TestAWSPackageVersionMatchesModule: the version in the outputs' type tags is the pulumi-aws module in
// go.mod; after a `go get` of another pulumi-aws, update component.AWSPackageVersion and the tags with it.
func TestAWSPackageVersionMatchesModule(t *testing.T) {
	gomod, err := os.ReadFile(filepath.Join("..", "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	const module = "github.com/pulumi/pulumi-aws/sdk/v6 "
	for _, line := range strings.Split(string(gomod), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "require "))
		if !strings.HasPrefix(line, module) {
			continue
		}
		version := strings.Fields(strings.TrimPrefix(line, module))[0]
		if version != "v"+component.AWSPackageVersion {
			t.Errorf("go.mod requires pulumi-aws %s but component.AWSPackageVersion (and the outputs' type= tags) say %s",
				version, component.AWSPackageVersion)
		}
		return
	}
	t.Errorf("go.mod does not require %s", module)
}

// jsonDiff returns the path of the first difference between two decoded JSON values, or "".
func jsonDiff(path string, want, got any) string {
	switch w := want.(type) {
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s (object in the file, %T served)", orRoot(path), got)
		}
		keys := map[string]bool{}
		for k := range w {
			keys[k] = true
		}
		for k := range g {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			wv, inW := w[k]
			gv, inG := g[k]
			switch {
			case !inW:
				return path + "/" + k + " (served, not in the file)"
			case !inG:
				return path + "/" + k + " (in the file, not served)"
			}
			if d := jsonDiff(path+"/"+k, wv, gv); d != "" {
				return d
			}
		}
		return ""
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s (file %v, served %v)", orRoot(path), want, got)
		}
		for i := range w {
			if d := jsonDiff(fmt.Sprintf("%s/%d", path, i), w[i], g[i]); d != "" {
				return d
			}
		}
		return ""
	default:
		if !reflect.DeepEqual(want, got) {
			return fmt.Sprintf("%s (file %v, served %v)", orRoot(path), want, got)
		}
		return ""
	}
}

func orRoot(path string) string {
	if path == "" {
		return "/"
	}
	return path
}

func TestJSONDiff(t *testing.T) {
	for _, tc := range []struct {
		name, want, got, diff string
	}{
		{"equal despite key order", `{"a":1,"b":[1,2]}`, `{"b":[1,2],"a":1}`, ""},
		{"changed value", `{"a":{"b":"x"}}`, `{"a":{"b":"y"}}`, "/a/b (file x, served y)"},
		{"new key", `{"a":1}`, `{"a":1,"c":2}`, "/c (served, not in the file)"},
		{"missing key", `{"a":1,"c":2}`, `{"a":1}`, "/c (in the file, not served)"},
		{"array length", `{"r":[1]}`, `{"r":[1,2]}`, "/r (file [1], served [1 2])"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var w, g any
			if err := json.Unmarshal([]byte(tc.want), &w); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal([]byte(tc.got), &g); err != nil {
				t.Fatal(err)
			}
			if d := jsonDiff("", w, g); d != tc.diff {
				t.Errorf("jsonDiff = %q, want %q", d, tc.diff)
			}
		})
	}
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
