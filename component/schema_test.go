package component

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/blang/semver"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// testServer serves NewDashSite through pulumi-go-provider's infer, as the provider plugin will.
func testServer(t *testing.T, monitor *integration.MockResourceMonitor) integration.Server {
	t.Helper()
	prov, err := infer.NewProviderBuilder().WithComponents(infer.ComponentF(NewDashSite)).Build()
	if err != nil {
		t.Fatalf("infer rejects the component: %v", err)
	}
	opts := []integration.ServerOption{integration.WithProvider(prov)}
	if monitor != nil {
		opts = append(opts, integration.WithMocks(monitor))
	}
	s, err := integration.NewServer(context.Background(), "opendash", semver.MustParse("0.1.0"), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type schemaProperty struct {
	Type        string `json:"type"`
	Description string `json:"description"`
	Plain       bool   `json:"plain"`
	Default     any    `json:"default"`
}

func TestInferSchema(t *testing.T) {
	resp, err := testServer(t, nil).GetSchema(p.GetSchemaRequest{})
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Resources map[string]struct {
			IsComponent     bool                      `json:"isComponent"`
			Description     string                    `json:"description"`
			InputProperties map[string]schemaProperty `json:"inputProperties"`
			Properties      map[string]schemaProperty `json:"properties"`
			Required        []string                  `json:"required"`
			RequiredInputs  []string                  `json:"requiredInputs"`
		} `json:"resources"`
	}
	if err := json.Unmarshal([]byte(resp.Schema), &schema); err != nil {
		t.Fatalf("schema is not JSON: %v", err)
	}
	res, ok := schema.Resources[Token]
	if !ok {
		t.Fatalf("schema has no %s; resources: %v", Token, keys(schema.Resources))
	}
	if !res.IsComponent || res.Description == "" || len(res.RequiredInputs) != 0 {
		t.Errorf("component: isComponent %v, description %q, required inputs %v", res.IsComponent, res.Description, res.RequiredInputs)
	}
	wantInputs := []string{"source", "app", "bundleDir", "outDir", "python", "skipInstall", "excludeDirs", "architecture", "imageBuilder", "baseImage", "memorySize",
		"timeout", "environment", "logRetentionDays", "priceClass", "responseHeadersPolicyId", "domainName", "hostedZoneId",
		"warmer", "warmerConcurrency",
		"deleteEdgeFunction", "reservedConcurrency", "provisionedConcurrency", "wafRateLimit", "edgeLogRetentionDays", "edgeLogRegions", "originAuth", "auth",
		"backgroundTimeout", "backgroundConcurrency", "backgroundReservedConcurrency",
		"policyArns", "policyStatements", "vpc", "secrets"}
	if len(res.InputProperties) != len(wantInputs) {
		t.Errorf("inputs %v, want exactly %v (transform must stay out)", keys(res.InputProperties), wantInputs)
	}
	for _, name := range wantInputs {
		prop, ok := res.InputProperties[name]
		if !ok || prop.Description == "" {
			t.Errorf("input %s missing or undocumented: %+v", name, prop)
		}
	}
	for _, plain := range []string{"source", "bundleDir", "architecture", "domainName", "warmer", "originAuth", "provisionedConcurrency"} {
		if !res.InputProperties[plain].Plain {
			t.Errorf("input %s must be plain: it is needed while the program runs", plain)
		}
	}
	if d := res.InputProperties["memorySize"].Default; d != float64(DefaultMemorySize) {
		t.Errorf("memorySize default = %v", d)
	}
	if d := res.InputProperties["originAuth"].Default; d != DefaultOriginAuth {
		t.Errorf("originAuth default = %v", d)
	}
	wantOutputs := []string{"url", "distributionId", "bucketName", "serverFunctionName", "serverFunctionUrl", "imageUri", "warmerFunctionName"}
	for _, name := range wantOutputs {
		if prop, ok := res.Properties[name]; !ok || prop.Description == "" {
			t.Errorf("output %s missing or undocumented", name)
		}
	}
	for _, name := range res.Required {
		if name == "warmerFunctionName" {
			t.Error("warmerFunctionName must be optional: there is none with the warmer off")
		}
	}
}

// TestInferConstruct builds the component through infer's Construct, the plugin's path: the untagged
// Transform field must not get in the way of decoding inputs.
func TestInferConstruct(t *testing.T) {
	var mu sync.Mutex
	types := map[string]int{}
	monitor := &integration.MockResourceMonitor{
		NewResourceF: func(args integration.MockResourceArgs) (string, property.Map, error) {
			mu.Lock()
			types[string(args.TypeToken)]++
			mu.Unlock()
			return args.Name + "-id", args.Inputs, nil
		},
	}
	resp, err := testServer(t, monitor).Construct(p.ConstructRequest{
		Urn:    resource.URN("urn:pulumi:stack::project::" + Token + "::site"),
		Inputs: property.NewMap(map[string]property.Value{"bundleDir": property.New(testBundle)}),
	})
	if err != nil {
		t.Fatalf("construct: %v", err)
	}
	if !strings.HasSuffix(string(resp.Urn), "::site") {
		t.Errorf("urn = %s", resp.Urn)
	}
	if types["aws:cloudfront/distribution:Distribution"] != 1 || types["aws:s3/bucketObjectv2:BucketObjectv2"] != 1 {
		t.Errorf("children registered through infer: %v", types)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
