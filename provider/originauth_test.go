package provider

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// TestConstructOriginAuthOAC: the plugin input originAuth reaches the component (YAML: `originAuth: oac`).
func TestConstructOriginAuthOAC(t *testing.T) {
	aws := &fakeAWS{}
	if _, err := construct(t, aws, map[string]property.Value{
		"bundleDir":  property.New(testBundle),
		"originAuth": property.New("oac"),
	}); err != nil {
		t.Fatalf("construct: %v", err)
	}
	if got := aws.count("aws:cloudfront/originAccessControl:OriginAccessControl"); got != 2 {
		t.Errorf("%d origin access controls, want the bucket's and the server's", got)
	}
	if got := aws.count("aws:lambda/permission:Permission"); got != 3 {
		t.Errorf("%d Lambda permissions, want the warmer's and CloudFront's two", got)
	}
	for _, c := range aws.children {
		if strings.Contains(c.name, "edge-signer") {
			t.Errorf("originAuth oac created %s %s", c.typ, c.name)
		}
	}
}
