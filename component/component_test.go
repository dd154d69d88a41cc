package component

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func testManifest(t *testing.T) *manifest.Manifest {
	t.Helper()
	m, err := manifest.Read(testBundle)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// deployed is the test bundle deployed with default arguments, shared by the read-only tests below.
func deployed(t *testing.T) *deployment {
	t.Helper()
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle})
	if d.err != nil {
		t.Fatalf("deploy: %v", d.err)
	}
	return d
}

func TestResourceCountsAndParents(t *testing.T) {
	d := deployed(t)
	want := map[string]int{
		Token:                      1,
		"aws:s3/bucketV2:BucketV2": 2, // the site, the deploy staging bucket
		"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock":                                     2,
		"aws:s3/bucketOwnershipControls:BucketOwnershipControls":                                     1,
		"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": 1,
		"aws:s3/bucketPolicy:BucketPolicy":                                                           1,
		"aws:s3/bucketObjectv2:BucketObjectv2":                                                       1, // the site's archive
		"aws:cloudfront/originAccessControl:OriginAccessControl":                                     1,
		"aws:cloudfront/distribution:Distribution":                                                   1,
		"aws:cloudfront/function:Function":                                                           1,
		"aws:ecr/repository:Repository":                                                              1,
		"aws:ecr/lifecyclePolicy:LifecyclePolicy":                                                    1,
		"opendash:index:ServerImage":                                                                 1,
		"pulumi:providers:aws":                                                                       1,
		"aws:iam/role:Role":                                                                          4, // server, edge signer, warmer, sync
		"aws:iam/rolePolicyAttachment:RolePolicyAttachment":                                          4,
		"aws:iam/rolePolicy:RolePolicy":                                                              3, // edge signer, warmer, sync
		"aws:lambda/function:Function":                                                               4,
		"aws:lambda/functionUrl:FunctionUrl":                                                         1,
		"aws:cloudwatch/logGroup:LogGroup":                                                           3, // server, warmer, sync
		"aws:cloudwatch/eventRule:EventRule":                                                         1,
		"aws:cloudwatch/eventTarget:EventTarget":                                                     1,
		"aws:lambda/permission:Permission":                                                           3, // warmer schedule; CloudFront's two (both modes)
		"aws:lambda/invocation:Invocation":                                                           2, // sync (and invalidation), warm-up
	}
	got := map[string]int{}
	for _, c := range d.children {
		got[c.typ]++
	}
	const componentURN = "urn:pulumi:stack::project::" + Token + "::site"
	if !reflect.DeepEqual(got, want) {
		t.Errorf("resource counts:\n got %v\nwant %v", got, want)
	}
	for _, c := range d.children {
		if c.typ == Token {
			continue
		}
		if c.parent != componentURN {
			t.Errorf("%s %s: parent %q, want the component %q", c.typ, c.name, c.parent, componentURN)
		}
	}
}

func TestOutputs(t *testing.T) {
	d := deployed(t)
	want := map[string]any{
		"url":                "https://" + distDomain,
		"distributionId":     distID,
		"bucketName":         "site-assets-b1",
		"serverFunctionName": "site-server-f1",
		"serverFunctionUrl":  "https://" + urlHostName + "/",
		"imageUri":           testImageUri,
		"warmerFunctionName": "site-warmer-f1",
	}
	if !reflect.DeepEqual(d.outputs, want) {
		t.Errorf("outputs:\n got %v\nwant %v", d.outputs, want)
	}
}

func TestCustomDomainAndArguments(t *testing.T) {
	d := deploy(t, &DashSiteArgs{
		BundleDir:         testBundle,
		DomainName:        "dash.example.com",
		HostedZoneId:      pulumi.String("Z123"),
		MemorySize:        pulumi.Int(2048),
		Timeout:           pulumi.Int(50),
		Environment:       pulumi.StringMap{"MODE": pulumi.String("prod")},
		LogRetentionDays:  pulumi.Int(30),
		PriceClass:        pulumi.String("PriceClass_All"),
		WarmerConcurrency: pulumi.Int(3),
	})
	if d.err != nil {
		t.Fatal(d.err)
	}
	cert := d.one(t, "aws:acm/certificate:Certificate", "site-certificate")
	if cert.str("domainName") != "dash.example.com" || cert.str("validationMethod") != "DNS" || !strings.Contains(cert.provider, "site-us-east-1") {
		t.Errorf("certificate = %v (provider %s)", cert.inputs, cert.provider)
	}
	rec := d.one(t, "aws:route53/record:Record", "site-certificate-validation").inputs.Mappable()
	if rec["zoneId"] != "Z123" || rec["name"] != "_x1.dash.example.com." || rec["type"] != "CNAME" ||
		!sameStrings(rec["records"], []string{"_y1.acm-validations.aws."}) {
		t.Errorf("validation record = %v", rec)
	}
	val := d.one(t, "aws:acm/certificateValidation:CertificateValidation", "site-certificate-validated").inputs.Mappable()
	if !sameStrings(val["validationRecordFqdns"], []string{"_x1.dash.example.com."}) {
		t.Errorf("certificate validation = %v", val)
	}
	for _, typ := range []string{"A", "AAAA"} {
		a := d.one(t, "aws:route53/record:Record", "site-alias-"+typ).inputs.Mappable()
		alias := a["aliases"].([]any)[0].(map[string]any)
		if a["type"] != typ || a["name"] != "dash.example.com" || alias["name"] != distDomain || alias["zoneId"] != "Z2FDTNDATAQYW2" {
			t.Errorf("alias %s = %v", typ, a)
		}
	}
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	vc := dist["viewerCertificate"].(map[string]any)
	if !sameStrings(dist["aliases"], []string{"dash.example.com"}) || vc["minimumProtocolVersion"] != "TLSv1.2_2021" ||
		vc["sslSupportMethod"] != "sni-only" || vc["acmCertificateArn"] != "arn:aws:acm:us-east-1:"+account+":certificate/c1" ||
		vc["cloudfrontDefaultCertificate"] != nil || dist["priceClass"] != "PriceClass_All" {
		t.Errorf("distribution with domain: aliases %v, certificate %v, price class %v", dist["aliases"], vc, dist["priceClass"])
	}
	srv := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()
	vars := srv["environment"].(map[string]any)["variables"]
	if !reflect.DeepEqual(vars, map[string]any{"DOMAIN_NAME": "dash.example.com", "MODE": "prod"}) {
		t.Errorf("server environment = %v", vars)
	}
	if srv["memorySize"] != float64(2048) || srv["timeout"] != float64(50) {
		t.Errorf("server memory/timeout = %v/%v", srv["memorySize"], srv["timeout"])
	}
	for _, o := range dist["origins"].([]any) {
		if om := o.(map[string]any); om["originId"] == manifest.OriginServer {
			if rt := om["customOriginConfig"].(map[string]any)["originReadTimeout"]; rt != float64(55) {
				t.Errorf("origin read timeout = %v, want 55 (the timeout + 5 s)", rt)
			}
		}
	}
	if r := d.one(t, "aws:cloudwatch/logGroup:LogGroup", "site-warmer-logs").inputs.Mappable()["retentionInDays"]; r != float64(30) {
		t.Errorf("log retention = %v", r)
	}
	vars = d.one(t, "aws:lambda/function:Function", "site-warmer").inputs.Mappable()["environment"].(map[string]any)["variables"]
	if vars.(map[string]any)["OPENDASH_WARM_CONCURRENCY"] != "3" {
		t.Errorf("warmer concurrency = %v", vars)
	}
	if d.outputs["url"] != "https://dash.example.com" {
		t.Errorf("url = %v", d.outputs["url"])
	}
}

func TestTransforms(t *testing.T) {
	var objects int
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Transform: &Transform{
		Bucket:         func(a *s3.BucketV2Args) { a.Tags = pulumi.StringMap{"team": pulumi.String("data")} },
		BucketObject:   func(*s3.BucketObjectv2Args) { objects++ },
		ServerFunction: func(a *lambda.FunctionArgs) { a.ReservedConcurrentExecutions = pulumi.Int(5) },
	}})
	if d.err != nil {
		t.Fatal(d.err)
	}
	tags := d.one(t, "aws:s3/bucketV2:BucketV2", "site-assets").inputs.Mappable()["tags"]
	if !reflect.DeepEqual(tags, map[string]any{"team": "data"}) {
		t.Errorf("bucket tags = %v, want the transform's", tags)
	}
	if objects != 1 {
		t.Errorf("BucketObject transform ran %d times, want once (the site's archive)", objects)
	}
	if rc := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["reservedConcurrentExecutions"]; rc != float64(5) {
		t.Errorf("server reserved concurrency = %v", rc)
	}
}

func TestSourceRunsTheBundler(t *testing.T) {
	fake := &fakeBundler{dir: testBundle}
	useBundler(t, fake.bundle)
	d := deploy(t, &DashSiteArgs{Source: "app", Python: "/venv/bin/python", ExcludeDirs: []string{"tests"},
		Architecture: ArchX86_64, SkipInstall: true})
	if d.err != nil {
		t.Fatal(d.err)
	}
	g := fake.got
	if g.SourceDir != "app" || g.Python != "/venv/bin/python" || !contains(g.ExcludeDirs, "tests") ||
		g.Architecture != ArchX86_64 || !g.SkipInstall || g.ExcludeWarmer || g.Progress == nil {
		t.Errorf("bundler options = %+v", g)
	}
	if n := len(d.ofType("aws:s3/bucketObjectv2:BucketObjectv2")); n != 1 {
		t.Errorf("%d objects from the bundler's result, want the site's archive", n)
	}

	off := false
	d = deploy(t, &DashSiteArgs{Source: "app", Warmer: &off})
	if d.err != nil || !fake.got.ExcludeWarmer {
		t.Errorf("warmer off should bundle without it: err %v, options %+v", d.err, fake.got)
	}
}

type policyDoc struct {
	Version   string      `json:"Version"`
	Statement []statement `json:"Statement"`
}

func parsePolicy(t *testing.T, text string) policyDoc {
	t.Helper()
	var doc policyDoc
	if err := json.Unmarshal([]byte(text), &doc); err != nil {
		t.Fatalf("policy %q is not JSON: %v", text, err)
	}
	if doc.Version != "2012-10-17" || len(doc.Statement) == 0 {
		t.Fatalf("policy %q: version %q, %d statements", text, doc.Version, len(doc.Statement))
	}
	return doc
}

func jsonOf(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// sameStrings compares a decoded input array with want.
func sameStrings(got any, want []string) bool {
	list, ok := got.([]any)
	if !ok || len(list) != len(want) {
		return false
	}
	for i := range want {
		if list[i] != want[i] {
			return false
		}
	}
	return true
}
