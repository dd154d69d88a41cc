package component

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const distArn = "arn:aws:cloudfront::" + account + ":distribution/" + distID

// behaviorsOf returns the distribution's behaviors in manifest order (ordered ones, then the default).
func behaviorsOf(t *testing.T, d *deployment) []map[string]any {
	t.Helper()
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	var out []map[string]any
	for _, b := range dist["orderedCacheBehaviors"].([]any) {
		out = append(out, b.(map[string]any))
	}
	return append(out, dist["defaultCacheBehavior"].(map[string]any))
}

func serverOrigin(t *testing.T, d *deployment) map[string]any {
	t.Helper()
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	for _, o := range dist["origins"].([]any) {
		if om := o.(map[string]any); om["originId"] == manifest.OriginServer {
			return om
		}
	}
	t.Fatal("no server origin")
	return nil
}

func named(cs []child, name string) bool {
	for _, c := range cs {
		if c.name == name {
			return true
		}
	}
	return false
}

func TestOriginAuthOAC(t *testing.T) {
	edgeMode := deploy(t, &DashSiteArgs{BundleDir: testBundle, OriginAuth: OriginAuthEdge})
	oac := deploy(t, &DashSiteArgs{BundleDir: testBundle, OriginAuth: OriginAuthOAC})
	if edgeMode.err != nil || oac.err != nil {
		t.Fatalf("deploy: edge %v, oac %v", edgeMode.err, oac.err)
	}

	// No Lambda@Edge function, role, policy or us-east-1 provider (no custom domain needs one).
	for _, c := range oac.children {
		if strings.Contains(c.name, "edge-signer") || c.typ == "pulumi:providers:aws" {
			t.Errorf("oac mode created %s %s", c.typ, c.name)
		}
	}
	if fns := oac.ofType("aws:lambda/function:Function"); named(fns, "site-edge-signer") || len(fns) != 3 {
		t.Errorf("oac mode functions = %v, want server, sync and warmer", fns)
	}

	// An origin access control of type lambda, always signing with SigV4, on the server origin only.
	ctl := oac.one(t, "aws:cloudfront/originAccessControl:OriginAccessControl", "site-server-oac").inputs.Mappable()
	if ctl["originAccessControlOriginType"] != "lambda" || ctl["signingBehavior"] != "always" || ctl["signingProtocol"] != "sigv4" {
		t.Errorf("server OAC = %v", ctl)
	}
	if got := serverOrigin(t, oac)["originAccessControlId"]; got != "E3SERVEROAC" {
		t.Errorf("server origin OAC id = %v, want the server OAC", got)
	}
	if got, ok := serverOrigin(t, edgeMode)["originAccessControlId"]; ok && got != nil {
		t.Errorf("edge mode server origin has OAC %v", got)
	}
	if url := oac.one(t, "aws:lambda/functionUrl:FunctionUrl", "site-server-url"); url.str("authorizationType") != "AWS_IAM" {
		t.Errorf("function URL auth = %q, want AWS_IAM", url.str("authorizationType"))
	}

	// CloudFront may call the function, for this distribution only, with both actions.
	want := map[string]map[string]any{
		"site-server-url-permission": {"action": "lambda:InvokeFunctionUrl", "principal": "cloudfront.amazonaws.com",
			"sourceArn": distArn, "function": "site-server-f1", "functionUrlAuthType": "AWS_IAM"},
		"site-server-invoke-permission": {"action": "lambda:InvokeFunction", "principal": "cloudfront.amazonaws.com",
			"sourceArn": distArn, "function": "site-server-f1"},
	}
	for name, w := range want {
		if got := oac.one(t, "aws:lambda/permission:Permission", name).inputs.Mappable(); !reflect.DeepEqual(got, w) {
			t.Errorf("%s = %v\nwant %v", name, got, w)
		}
	}
	// The same grants with the edge signer: a switch between the modes changes none, so no request signed by
	// CloudFront meets a function that does not yet admit it while the distribution's update spreads.
	for name := range want {
		e, o := edgeMode.one(t, "aws:lambda/permission:Permission", name), oac.one(t, "aws:lambda/permission:Permission", name)
		if !reflect.DeepEqual(e.inputs.Mappable(), o.inputs.Mappable()) {
			t.Errorf("%s differs between the modes:\n edge %v\n  oac %v", name, e.inputs.Mappable(), o.inputs.Mappable())
		}
	}
	// The way back: the signer exists, with its invoke policy, before the distribution refers to it.
	dependsOn(t, edgeMode.one(t, "aws:lambda/function:Function", "site-edge-signer"), "site-edge-signer-invoke")
	dependsOn(t, edgeMode.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn"), "site-edge-signer")

	// Behaviors: the same as with the edge signer, minus its origin-request association; the viewer-request
	// function that sets X-Forwarded-Host stays.
	eb, ob := behaviorsOf(t, edgeMode), behaviorsOf(t, oac)
	if len(eb) != len(ob) {
		t.Fatalf("%d behaviors in oac mode, %d with the edge signer", len(ob), len(eb))
	}
	servers := 0
	for i := range eb {
		lambdas, _ := ob[i]["lambdaFunctionAssociations"].([]any)
		if len(lambdas) != 0 {
			t.Errorf("oac behavior %v has Lambda@Edge associations %v", ob[i]["pathPattern"], lambdas)
		}
		if eb[i]["targetOriginId"] == manifest.OriginServer {
			servers++
			if fns, _ := ob[i]["functionAssociations"].([]any); len(fns) != 1 {
				t.Errorf("oac server behavior %v: function associations %v, want the forwarded-host function", ob[i]["pathPattern"], fns)
			}
		}
		withoutSigner := map[string]any{}
		for k, v := range eb[i] {
			if k != "lambdaFunctionAssociations" {
				withoutSigner[k] = v
			}
		}
		if !reflect.DeepEqual(withoutSigner, ob[i]) {
			t.Errorf("behavior %d differs beyond the signer:\n edge %v\n  oac %v", i, eb[i], ob[i])
		}
	}
	if servers == 0 {
		t.Fatal("the test bundle has no server behavior")
	}
}

func TestOriginAuthDefaultIsEdge(t *testing.T) {
	d := deployed(t)
	d.one(t, "aws:lambda/function:Function", "site-edge-signer")
	if oacs := d.ofType("aws:cloudfront/originAccessControl:OriginAccessControl"); len(oacs) != 1 {
		t.Errorf("default mode OACs = %v, want only the bucket's", oacs)
	}
}

func TestOriginAuthOACWithCustomDomain(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, OriginAuth: OriginAuthOAC, DomainName: "dash.example.com",
		HostedZoneId: pulumi.String("Z123")})
	if d.err != nil {
		t.Fatal(d.err)
	}
	// The certificate still needs the us-east-1 provider; no edge function comes with it.
	cert := d.one(t, "aws:acm/certificate:Certificate", "site-certificate")
	if !strings.Contains(cert.provider, "site-us-east-1") {
		t.Errorf("certificate provider = %s", cert.provider)
	}
	if named(d.ofType("aws:lambda/function:Function"), "site-edge-signer") {
		t.Error("oac mode with a custom domain created the edge signer")
	}
}

func TestOriginAuthUnknown(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, OriginAuth: "OAC"})
	if d.err == nil || !strings.Contains(d.err.Error(), `originAuth "OAC"`) || !strings.Contains(d.err.Error(), `"oac"`) {
		t.Fatalf("err = %v, want one naming the bad originAuth and the valid values", d.err)
	}
}

// TestEdgeSettingsWithOIDC: the OIDC sign-in is a Lambda@Edge function in either originAuth mode, so its
// log groups are managed like the signer's, and edgeLogRetentionDays is taken with oac too.
func TestEdgeSettingsWithOIDC(t *testing.T) {
	for _, mode := range []string{OriginAuthEdge, OriginAuthOAC} {
		t.Run(mode, func(t *testing.T) {
			args := oidcArgs()
			args.OriginAuth, args.EdgeLogRetentionDays, args.EdgeLogRegions = mode, pulumi.Int(3), []string{"eu-west-1"}
			d := deploy(t, args)
			if d.err != nil {
				t.Fatal(d.err)
			}
			g := d.one(t, "aws:cloudwatch/logGroup:LogGroup", "site-edge-auth-logs-eu-west-1")
			if g.str("name") != "/aws/lambda/us-east-1.site-edge-auth-f1" || g.inputs["retentionInDays"].NumberValue() != 3 ||
				!strings.Contains(g.provider, "::site-logs-eu-west-1::") {
				t.Errorf("OIDC edge log group = %v through %s", g.inputs, g.provider)
			}
			dependsOn(t, d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn"), "site-edge-auth-logs-eu-west-1")
			signerGroups := 0
			for _, c := range d.ofType("aws:cloudwatch/logGroup:LogGroup") {
				if strings.HasPrefix(c.name, "site-edge-logs-") {
					signerGroups++
				}
			}
			if want := map[string]int{OriginAuthEdge: 1, OriginAuthOAC: 0}[mode]; signerGroups != want {
				t.Errorf("%d signer log groups, want %d", signerGroups, want)
			}
		})
	}
}

func TestOriginAuthOACRefusesEdgeSettings(t *testing.T) {
	for name, args := range map[string]*DashSiteArgs{
		"edgeLogRetentionDays": {EdgeLogRetentionDays: pulumi.Int(7)},
		"deleteEdgeFunction":   {DeleteEdgeFunction: true},
	} {
		args.BundleDir, args.OriginAuth = testBundle, OriginAuthOAC
		d := deploy(t, args)
		if d.err == nil || !strings.Contains(d.err.Error(), name) || !strings.Contains(d.err.Error(), `originAuth "oac"`) {
			t.Errorf("%s with oac: err = %v, want one naming the setting and originAuth", name, d.err)
		}
	}
}

func TestOriginAuthOACWithWAF(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, OriginAuth: OriginAuthOAC, WafRateLimit: pulumi.Int(100)})
	if d.err != nil {
		t.Fatal(d.err)
	}
	// CloudFront's web ACLs live in us-east-1: the provider is there, the edge signer is not.
	d.one(t, "pulumi:providers:aws", "site-us-east-1")
	if named(d.ofType("aws:lambda/function:Function"), "site-edge-signer") {
		t.Error("oac mode with a WAF created the edge signer")
	}
}
