package component

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestStrayTrafficProtectionsOffByDefault(t *testing.T) {
	d := deployed(t)
	if n := len(d.ofType("aws:wafv2/webAcl:WebAcl")); n != 0 {
		t.Errorf("%d web ACLs without wafRateLimit", n)
	}
	if acl, ok := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs["webAclId"]; ok {
		t.Errorf("distribution has web ACL %v without wafRateLimit", acl)
	}
	if rc, ok := d.one(t, "aws:lambda/function:Function", "site-server").inputs["reservedConcurrentExecutions"]; ok {
		t.Errorf("server capped at %v without reservedConcurrency", rc)
	}
}

func TestStrayTrafficProtections(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, WafRateLimit: pulumi.Int(2000), ReservedConcurrency: pulumi.Int(20)})
	if d.err != nil {
		t.Fatal(d.err)
	}
	if rc := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["reservedConcurrentExecutions"]; rc != float64(20) {
		t.Errorf("server reserved concurrency = %v, want 20", rc)
	}
	c := d.one(t, "aws:wafv2/webAcl:WebAcl", "site-waf")
	if !strings.Contains(c.provider, "::site-us-east-1::") {
		t.Errorf("web ACL provider = %q: CLOUDFRONT-scope ACLs live in us-east-1", c.provider)
	}
	acl := c.inputs.Mappable()
	if acl["scope"] != "CLOUDFRONT" || jsonOf(acl["defaultAction"]) != `{"allow":{}}` {
		t.Errorf("web ACL scope %v, default action %v", acl["scope"], jsonOf(acl["defaultAction"]))
	}
	rules := acl["rules"].([]any)
	if len(rules) != 1 {
		t.Fatalf("rules = %v, want one", rules)
	}
	rule := rules[0].(map[string]any)
	rate := rule["statement"].(map[string]any)["rateBasedStatement"].(map[string]any)
	if jsonOf(rule["action"]) != `{"block":{}}` || rate["limit"] != float64(2000) || rate["aggregateKeyType"] != "IP" ||
		rate["evaluationWindowSec"] != float64(300) {
		t.Errorf("rule = %s", jsonOf(rule))
	}
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	if want := "arn:aws:wafv2:us-east-1:" + account + ":global/webacl/site-waf/a1"; dist["webAclId"] != want {
		t.Errorf("distribution webAclId = %v, want the ACL's ARN %s", dist["webAclId"], want)
	}
}
