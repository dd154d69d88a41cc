package component

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// stackHash is logGroupName's suffix for the mocks' project "project" and stack "stack".
var stackHash = func() string {
	sum := sha256.Sum256([]byte("organization/project/stack")) // the mocks have no organization: Pulumi says "organization"
	return hex.EncodeToString(sum[:4])
}()

// TestEveryFunctionLogsToItsManagedGroup: each regional function names its log group in loggingConfig and so
// depends on it, which makes `pulumi destroy` delete the function first (a group deleted before its function
// came back, made by Lambda, with no retention).
func TestEveryFunctionLogsToItsManagedGroup(t *testing.T) {
	on := true
	d := deploy(t, &DashSiteArgs{BundleDir: backgroundBundle(t), ProvisionedConcurrency: 1, Warmer: &on})
	if d.err != nil {
		t.Fatal(d.err)
	}
	groups := map[string]child{}
	for _, g := range d.ofType("aws:cloudwatch/logGroup:LogGroup") {
		groups[g.str("name")] = g
	}
	want := map[string]string{"site-server": "site-server", "site-jobs": "site-jobs", "site-warmer": "site-warmer",
		"site-sync": "site-sync", "site-alias-wait": "site-alias-wait"}
	seen := 0
	for _, fn := range d.ofType("aws:lambda/function:Function") {
		if strings.Contains(fn.provider, "us-east-1") {
			continue // Lambda@Edge writes to /aws/lambda/us-east-1.<name> in each region: edgeLogRetentionDays
		}
		seen++
		cfg, _ := fn.inputs.Mappable()["loggingConfig"].(map[string]any)
		name, _ := cfg["logGroup"].(string)
		if cfg["logFormat"] != "Text" || name != "/aws/lambda/"+want[fn.name]+"-"+stackHash {
			t.Errorf("%s loggingConfig = %v, want Text to /aws/lambda/%s-%s", fn.name, cfg, want[fn.name], stackHash)
			continue
		}
		g, ok := groups[name]
		if !ok || g.inputs.Mappable()["retentionInDays"] != float64(DefaultLogRetentionDays) {
			t.Errorf("%s logs to %s, which is not a managed group with %d days' retention", fn.name, name, DefaultLogRetentionDays)
			continue
		}
		dependsOn(t, fn, g.name)
	}
	if seen != len(want) {
		t.Errorf("%d regional functions, want %d", seen, len(want))
	}
}

func TestLogGroupNameIsPerStack(t *testing.T) {
	name := func(project, stack string) string {
		var got string
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			got = logGroupName(ctx, "site-server-logs")
			return nil
		}, pulumi.WithMocks(project, stack, &mocks{}))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	dev, prod := name("proj", "dev"), name("proj", "prod")
	if !strings.HasPrefix(dev, "/aws/lambda/site-server-") || len(dev) != len("/aws/lambda/site-server-")+8 {
		t.Errorf("logGroupName = %q, want /aws/lambda/site-server-<8 hex digits>", dev)
	}
	if dev == prod || dev != name("proj", "dev") {
		t.Errorf("log group names %q (dev, twice) and %q (prod): want stable per stack, distinct across stacks", dev, prod)
	}
}
