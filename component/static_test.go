package component

import (
	"encoding/json"
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

func TestObjectsFollowManifest(t *testing.T) {
	d := deployed(t)
	m := testManifest(t)
	objects := map[string]child{}
	for _, c := range d.ofType("aws:s3/bucketObjectv2:BucketObjectv2") {
		objects[c.str("key")] = c
	}
	classes := map[string]bool{}
	for _, f := range m.Files {
		obj, ok := objects[f.Key]
		if !ok {
			t.Errorf("no object for %s", f.Key)
			continue
		}
		classes[f.Class] = true
		if obj.str("contentType") != f.ContentType || obj.str("cacheControl") != f.CacheControl || obj.str("sourceHash") != f.SHA256 {
			t.Errorf("%s: content type %q, cache control %q, hash %q; manifest says %q, %q, %q", f.Key,
				obj.str("contentType"), obj.str("cacheControl"), obj.str("sourceHash"), f.ContentType, f.CacheControl, f.SHA256)
		}
		wantCache := map[string]string{manifest.ClassImmutable: manifest.CacheImmutable, manifest.ClassRevalidate: manifest.CacheRevalidate}[f.Class]
		if obj.str("cacheControl") != wantCache {
			t.Errorf("%s (%s): cache control %q, want %q", f.Key, f.Class, obj.str("cacheControl"), wantCache)
		}
		if src := obj.inputs["source"]; !src.IsAsset() || src.AssetValue().Path != testBundle+"/assets/"+f.Path {
			t.Errorf("%s: source %v, want the file %s/assets/%s", f.Key, src, testBundle, f.Path)
		}
		if obj.str("bucket") != "site-assets-b1" {
			t.Errorf("%s: bucket %q", f.Key, obj.str("bucket"))
		}
	}
	if !classes[manifest.ClassImmutable] || !classes[manifest.ClassRevalidate] {
		t.Errorf("the test bundle should hold both file classes, has %v", classes)
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

func TestInvalidation(t *testing.T) {
	d := deployed(t)
	m := testManifest(t)
	inv := d.one(t, "aws:lambda/invocation:Invocation", "site-invalidation")
	if inv.str("lifecycleScope") != "CRUD" || inv.str("terraformKey") != "tf" || inv.str("functionName") != "site-invalidator-f1" {
		t.Errorf("invalidation = %v", inv.inputs)
	}
	var input invalidationInput
	if err := json.Unmarshal([]byte(inv.str("input")), &input); err != nil {
		t.Fatalf("invalidation input %q: %v", inv.str("input"), err)
	}
	want := map[string]string{}
	for _, f := range m.Files {
		if f.Class == manifest.ClassRevalidate {
			want["/"+f.Key] = f.SHA256
		}
	}
	index, _ := m.FileForKey("index.html")
	want["/"] = index.SHA256
	if input.DistributionID != distID || !reflect.DeepEqual(input.Paths, want) {
		t.Errorf("invalidation input = %+v\nwant paths %v", input, want)
	}
	doc := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-invalidator-policy").str("policy"))
	if len(doc.Statement) != 1 || jsonOf(doc.Statement[0].Action) != `"cloudfront:CreateInvalidation"` ||
		doc.Statement[0].Resource != "arn:aws:cloudfront::"+account+":distribution/"+distID {
		t.Errorf("invalidator policy = %+v", doc)
	}
	fn := d.one(t, "aws:lambda/function:Function", "site-invalidator")
	if fn.str("handler") != invalidatorHandler {
		t.Errorf("invalidator handler = %q", fn.str("handler"))
	}
	if _, ok := fn.inputs["code"].ArchiveValue().Assets[invalidatorFile]; !ok {
		t.Errorf("invalidator archive lacks %s", invalidatorFile)
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
