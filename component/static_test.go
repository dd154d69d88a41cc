package component

import (
	"reflect"
	"testing"

	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestBucketIsPrivateAndEncrypted(t *testing.T) {
	d := deployed(t)
	pab := d.one(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-assets-public-access").inputs.Mappable()
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("public access block %s = %v, want true", k, pab[k])
		}
	}
	own := d.one(t, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", "site-assets-ownership").inputs.Mappable()
	if rule := own["rule"].(map[string]any); rule["objectOwnership"] != "BucketOwnerEnforced" {
		t.Errorf("object ownership = %v", rule["objectOwnership"])
	}
	sse := d.one(t, "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
		"site-assets-encryption").inputs.Mappable()
	rule := sse["rules"].([]any)[0].(map[string]any)["applyServerSideEncryptionByDefault"].(map[string]any)
	if rule["sseAlgorithm"] != "AES256" {
		t.Errorf("sse algorithm = %v, want AES256", rule["sseAlgorithm"])
	}
	oac := d.one(t, "aws:cloudfront/originAccessControl:OriginAccessControl", "site-assets-oac")
	for k, want := range map[string]string{"originAccessControlOriginType": "s3", "signingBehavior": "always", "signingProtocol": "sigv4"} {
		if got := oac.str(k); got != want {
			t.Errorf("OAC %s = %q, want %q", k, got, want)
		}
	}
}

func TestBucketPolicyAllowsOnlyThisDistribution(t *testing.T) {
	d := deployed(t)
	doc := parsePolicy(t, d.one(t, "aws:s3/bucketPolicy:BucketPolicy", "site-assets-policy").str("policy"))
	if len(doc.Statement) != 1 {
		t.Fatalf("statements = %d, want 1: %+v", len(doc.Statement), doc)
	}
	st := doc.Statement[0]
	checks := []struct{ what, got, want string }{
		{"effect", st.Effect, "Allow"},
		{"principal", jsonOf(st.Principal), `{"Service":"cloudfront.amazonaws.com"}`},
		{"action", jsonOf(st.Action), `"s3:GetObject"`},
		{"resource", st.Resource, "arn:aws:s3:::site-assets-b1/*"},
		{"condition", jsonOf(st.Condition), `{"StringEquals":{"AWS:SourceArn":"arn:aws:cloudfront::` + account + `:distribution/` + distID + `"}}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("bucket policy %s = %s, want %s", c.what, c.got, c.want)
		}
	}
}

func TestDistributionMirrorsManifest(t *testing.T) {
	d := deployed(t)
	m := testManifest(t)
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	checks := map[string]any{
		"enabled": true, "isIpv6Enabled": true, "httpVersion": "http2and3", "priceClass": DefaultPriceClass,
		"defaultRootObject": "index.html",
	}
	for k, want := range checks {
		if dist[k] != want {
			t.Errorf("distribution %s = %v, want %v", k, dist[k], want)
		}
	}
	if cert := dist["viewerCertificate"].(map[string]any); cert["cloudfrontDefaultCertificate"] != true {
		t.Errorf("viewer certificate = %v, want CloudFront's default", cert)
	}
	origins := map[string]map[string]any{}
	for _, o := range dist["origins"].([]any) {
		om := o.(map[string]any)
		origins[om["originId"].(string)] = om
	}
	if s3o := origins[manifest.OriginS3]; s3o["domainName"] != "site-assets-b1.s3."+region+".amazonaws.com" || s3o["originAccessControlId"] != "E3OACEXAMPLE" {
		t.Errorf("s3 origin = %v", s3o)
	}
	srv := origins[manifest.OriginServer]
	cfg := srv["customOriginConfig"].(map[string]any)
	// Read timeout 5 s above the Lambda's 30 s; one connection attempt, or CloudFront re-runs a slow GET.
	if srv["domainName"] != urlHostName || cfg["originProtocolPolicy"] != "https-only" || cfg["originReadTimeout"] != float64(35) ||
		srv["connectionAttempts"] != float64(1) {
		t.Errorf("server origin = %v", srv)
	}

	ordered := dist["orderedCacheBehaviors"].([]any)
	behaviors := append(append([]any{}, ordered...), dist["defaultCacheBehavior"])
	if len(behaviors) != len(m.Behaviors) {
		t.Fatalf("%d behaviors, manifest has %d", len(behaviors), len(m.Behaviors))
	}
	for i, want := range m.Behaviors {
		got := behaviors[i].(map[string]any)
		where := want.PathPattern
		if i < len(ordered) && got["pathPattern"] != want.PathPattern {
			t.Errorf("behavior %d: pattern %v, want %s (manifest order)", i, got["pathPattern"], want.PathPattern)
		}
		if got["targetOriginId"] != want.Origin || !sameStrings(got["allowedMethods"], want.AllowedMethods) ||
			!sameStrings(got["cachedMethods"], manifest.MethodsRead) || got["viewerProtocolPolicy"] != "redirect-to-https" {
			t.Errorf("%s: %v does not mirror %+v", where, got, want)
		}
		lambdas, _ := got["lambdaFunctionAssociations"].([]any)
		functions, _ := got["functionAssociations"].([]any)
		switch want.Origin {
		case manifest.OriginS3:
			if got["cachePolicyId"] != CachingOptimizedPolicyID || got["compress"] != true || got["originRequestPolicyId"] != nil ||
				len(lambdas) != 0 || len(functions) != 0 {
				t.Errorf("%s (s3): %v", where, got)
			}
		case manifest.OriginServer:
			if got["cachePolicyId"] != CachingDisabledPolicyID || got["originRequestPolicyId"] != AllViewerExceptHostHeaderPolicyID {
				t.Errorf("%s (server): policies %v / %v", where, got["cachePolicyId"], got["originRequestPolicyId"])
			}
			wantLambda := []any{map[string]any{"eventType": "origin-request", "includeBody": true,
				"lambdaArn": "arn:aws:lambda:" + region + ":" + account + ":function:site-edge-signer-f1:1"}}
			if !reflect.DeepEqual(lambdas, wantLambda) {
				t.Errorf("%s (server): lambda associations %v, want %v", where, lambdas, wantLambda)
			}
			wantFn := []any{map[string]any{"eventType": "viewer-request",
				"functionArn": "arn:aws:cloudfront::" + account + ":function/site-forwarded-host"}}
			if !reflect.DeepEqual(functions, wantFn) {
				t.Errorf("%s (server): function associations %v, want %v", where, functions, wantFn)
			}
		}
	}
	if def := dist["defaultCacheBehavior"].(map[string]any); def["targetOriginId"] != manifest.OriginServer {
		t.Errorf("default behavior goes to %v, want the server (manifest's \"*\")", def["targetOriginId"])
	}
}

// TestBucketSettingsOneAfterAnother: S3 answers concurrent bucket-level changes with OperationAborted, so each
// setting waits for the one before it.
func TestBucketSettingsOneAfterAnother(t *testing.T) {
	d := deployed(t)
	urn := func(typ, name string) string {
		return "urn:pulumi:stack::project::" + Token + "$" + typ + "::" + name
	}
	chain := []struct{ typ, name string }{
		{"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-assets-public-access"},
		{"aws:s3/bucketOwnershipControls:BucketOwnershipControls", "site-assets-ownership"},
		{"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2", "site-assets-encryption"},
		{"aws:s3/bucketPolicy:BucketPolicy", "site-assets-policy"},
	}
	for i := 1; i < len(chain); i++ {
		before := urn(chain[i-1].typ, chain[i-1].name)
		if deps := d.one(t, chain[i].typ, chain[i].name).dependencies; !contains(deps, before) {
			t.Errorf("%s does not wait for %s; depends on %v", chain[i].name, chain[i-1].name, deps)
		}
	}
}

func TestSecurityHeadersOnEveryBehavior(t *testing.T) {
	tests := []struct {
		name string
		arg  pulumi.StringInput
		want any // the policy id on every behavior; nil: attribute absent or ""
	}{
		{"default: AWS's managed SecurityHeadersPolicy", nil, SecurityHeadersPolicyID},
		{"another policy", pulumi.String("11111111-2222-3333-4444-555555555555"), "11111111-2222-3333-4444-555555555555"},
		{"none", pulumi.String(""), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, &DashSiteArgs{BundleDir: testBundle, ResponseHeadersPolicyId: tt.arg})
			if d.err != nil {
				t.Fatal(d.err)
			}
			dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
			behaviors := append(append([]any{}, dist["orderedCacheBehaviors"].([]any)...), dist["defaultCacheBehavior"])
			for _, b := range behaviors {
				bm := b.(map[string]any)
				if got := bm["responseHeadersPolicyId"]; got != tt.want {
					t.Errorf("behavior %v: response headers policy %v, want %v", bm["pathPattern"], got, tt.want)
				}
			}
		})
	}
}
