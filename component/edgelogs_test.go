package component

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestEdgeLogGroups(t *testing.T) {
	tests := []struct {
		name    string
		regions []string
		want    []string
	}{
		{"regional edge caches by default", nil, RegionalEdgeCacheRegions},
		{"the regions listed", []string{"eu-west-1", "eu-central-1"}, []string{"eu-west-1", "eu-central-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deployWith(t, &mocks{}, &DashSiteArgs{BundleDir: testBundle, EdgeLogRetentionDays: pulumi.Int(7),
				EdgeLogRegions: tt.regions}, withConfig(map[string]string{"aws:region": "us-west-2", "aws:profile": "p"}))
			if d.err != nil {
				t.Fatal(d.err)
			}
			var dist child
			for _, c := range d.children {
				if c.name == "site-cdn" {
					dist = c
				}
			}
			if len(d.ofType("aws:cloudwatch/logGroup:LogGroup")) != 3+len(tt.want) {
				t.Errorf("%d log groups, want the 3 functions' and %d edge ones", len(d.ofType("aws:cloudwatch/logGroup:LogGroup")), len(tt.want))
			}
			for _, region := range tt.want {
				p := d.one(t, "pulumi:providers:aws", "site-logs-"+region)
				if p.str("region") != region || p.str("profile") != "p" {
					t.Errorf("%s provider: region %q profile %q, want %s and the stack's profile", region, p.str("region"), p.str("profile"), region)
				}
				g := d.one(t, "aws:cloudwatch/logGroup:LogGroup", "site-edge-logs-"+region)
				in := g.inputs.Mappable()
				if in["name"] != "/aws/lambda/us-east-1.site-edge-signer-f1" || in["retentionInDays"] != float64(7) ||
					!strings.Contains(g.provider, "::site-logs-"+region+"::") {
					t.Errorf("%s log group = %v through %s", region, in, g.provider)
				}
				groupURN := "urn:pulumi:stack::project::" + Token + "$aws:cloudwatch/logGroup:LogGroup::site-edge-logs-" + region
				if !contains(dist.dependencies, groupURN) {
					t.Errorf("the distribution does not wait for %s", groupURN)
				}
			}
		})
	}
}

func TestNoEdgeLogGroupsByDefault(t *testing.T) {
	d := deployed(t)
	for _, c := range d.children {
		if strings.Contains(c.name, "edge-logs") || strings.Contains(c.name, "-logs-") {
			t.Errorf("%s %s created without edgeLogRetentionDays", c.typ, c.name)
		}
	}
}

func TestEdgeLogRegionsChecked(t *testing.T) {
	for _, args := range []*DashSiteArgs{
		{BundleDir: testBundle, EdgeLogRetentionDays: pulumi.Int(7), EdgeLogRegions: []string{"Europe"}},
		{BundleDir: testBundle, EdgeLogRetentionDays: pulumi.Int(7), EdgeLogRegions: []string{"eu-west-1", "eu-west-1"}},
		{BundleDir: testBundle, EdgeLogRegions: []string{"eu-west-1"}},
	} {
		if d := deploy(t, args); d.err == nil || !strings.Contains(d.err.Error(), "edgeLog") {
			t.Errorf("regions %v, retention set %v: error %v, want one about edgeLog settings", args.EdgeLogRegions,
				args.EdgeLogRetentionDays != nil, d.err)
		}
	}
}
