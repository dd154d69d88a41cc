package component

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/component/edgesigner"
	resourceasset "github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
)

func TestServerFunction(t *testing.T) {
	d := deployed(t)
	fn := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()
	checks := map[string]any{
		"packageType": "Image", "memorySize": float64(DefaultMemorySize), "timeout": float64(DefaultTimeout),
		"imageUri": testImageUri,
		"role":     "arn:aws:iam::" + account + ":role/site-server-role-r1",
	}
	for k, want := range checks {
		if fn[k] != want {
			t.Errorf("server function %s = %v, want %v", k, fn[k], want)
		}
	}
	if !sameStrings(fn["architectures"], []string{"x86_64"}) {
		t.Errorf("architectures = %v", fn["architectures"])
	}
	if cmd := fn["imageConfig"].(map[string]any)["commands"]; !sameStrings(cmd, []string{"index.handler"}) {
		t.Errorf("image command = %v, want the manifest's handler", cmd)
	}
	if _, ok := fn["environment"]; ok {
		t.Errorf("no custom domain and no variables: environment should be absent, is %v", fn["environment"])
	}
	url := d.one(t, "aws:lambda/functionUrl:FunctionUrl", "site-server-url")
	if url.str("authorizationType") != "AWS_IAM" || url.str("functionName") != "site-server-f1" {
		t.Errorf("function URL = %v", url.inputs)
	}
	logs := d.one(t, "aws:cloudwatch/logGroup:LogGroup", "site-server-logs").inputs.Mappable()
	if logs["name"] != "/aws/lambda/site-server-"+stackHash || logs["retentionInDays"] != float64(DefaultLogRetentionDays) {
		t.Errorf("server log group = %v", logs)
	}
	trust := parsePolicy(t, d.one(t, "aws:iam/role:Role", "site-server-role").str("assumeRolePolicy"))
	if got := jsonOf(trust.Statement[0].Principal); got != `{"Service":"lambda.amazonaws.com"}` {
		t.Errorf("server role trust = %s", got)
	}
	for _, name := range []string{"site-server-basic-execution", "site-edge-signer-basic-execution", "site-warmer-basic-execution", "site-sync-basic-execution"} {
		if a := d.one(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name); a.str("policyArn") != BasicExecutionPolicyArn {
			t.Errorf("%s attaches %q", name, a.str("policyArn"))
		}
	}
}

func TestEdgeSigner(t *testing.T) {
	d := deployed(t)
	provider := d.one(t, "pulumi:providers:aws", "site-us-east-1")
	if provider.str("region") != "us-east-1" {
		t.Errorf("edge provider region = %q, want us-east-1", provider.str("region"))
	}
	c := d.one(t, "aws:lambda/function:Function", "site-edge-signer")
	if !strings.Contains(c.provider, "pulumi:providers:aws::site-us-east-1") {
		t.Errorf("edge function provider = %q, want the us-east-1 provider", c.provider)
	}
	fn := c.inputs.Mappable()
	if fn["publish"] != true || fn["runtime"] != edgesigner.Runtime || fn["handler"] != edgesigner.Handler {
		t.Errorf("edge function publish/runtime/handler = %v/%v/%v", fn["publish"], fn["runtime"], fn["handler"])
	}
	if env, ok := fn["environment"]; ok {
		t.Errorf("Lambda@Edge allows no environment; got %v", env)
	}
	code := c.inputs["code"]
	if !code.IsArchive() {
		t.Fatalf("edge code is %v, want an archive", code)
	}
	asset, ok := code.ArchiveValue().Assets[edgesigner.FileName]
	if !ok {
		t.Fatalf("edge archive lacks %s: %v", edgesigner.FileName, code.ArchiveValue().Assets)
	}
	if a, ok := asset.(*resourceasset.Asset); !ok || a.Text != edgesigner.Source {
		t.Errorf("edge archive's %s is not edgesigner.Source: %#v", edgesigner.FileName, asset)
	}

	trust := parsePolicy(t, d.one(t, "aws:iam/role:Role", "site-edge-signer-role").str("assumeRolePolicy"))
	if got := jsonOf(trust.Statement[0].Principal); got != `{"Service":["edgelambda.amazonaws.com","lambda.amazonaws.com"]}` {
		t.Errorf("edge role trust principal = %s", got)
	}
	invoke := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-edge-signer-invoke").str("policy"))
	server := "arn:aws:lambda:" + region + ":" + account + ":function:site-server-f1"
	want := []statement{
		{Sid: "InvokeServerFunctionUrl", Effect: "Allow", Action: "lambda:InvokeFunctionUrl", Resource: server},
		// No lambda:InvokedViaFunctionUrl condition: identity policies are not documented to evaluate it.
		{Sid: "InvokeServerFunction", Effect: "Allow", Action: "lambda:InvokeFunction", Resource: server},
	}
	if !reflect.DeepEqual(invoke.Statement, want) {
		t.Errorf("edge invoke policy = %+v\nwant %+v", invoke.Statement, want)
	}

	host := d.one(t, "aws:cloudfront/function:Function", "site-forwarded-host").inputs.Mappable()
	if host["runtime"] != "cloudfront-js-2.0" || host["publish"] != true || host["code"] != forwardedHostJS {
		t.Errorf("forwarded-host function = %v", host)
	}
}

func TestWarmer(t *testing.T) {
	d := deployed(t)
	m := testManifest(t)
	fn := d.one(t, "aws:lambda/function:Function", "site-warmer")
	in := fn.inputs.Mappable()
	if in["runtime"] != m.Origins.Warmer.Runtime || in["handler"] != m.Origins.Warmer.Handler {
		t.Errorf("warmer runtime/handler = %v/%v", in["runtime"], in["handler"])
	}
	if code := fn.inputs["code"]; !code.IsArchive() || code.ArchiveValue().Path != testBundle+"/warmer-function" {
		t.Errorf("warmer code = %v, want the archive of %s/warmer-function", code, testBundle)
	}
	vars := in["environment"].(map[string]any)["variables"].(map[string]any)
	wantVars := map[string]any{"OPENDASH_WARM_TARGETS": "site-server-f1", "OPENDASH_WARM_CONCURRENCY": "1"}
	if !reflect.DeepEqual(vars, wantVars) {
		t.Errorf("warmer environment = %v, want %v", vars, wantVars)
	}
	doc := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-warmer-invoke").str("policy"))
	if len(doc.Statement) != 1 || jsonOf(doc.Statement[0].Action) != `"lambda:InvokeFunction"` ||
		doc.Statement[0].Resource != "arn:aws:lambda:"+region+":"+account+":function:site-server-f1" || doc.Statement[0].Condition != nil {
		t.Errorf("warmer policy = %+v", doc)
	}
	rule := d.one(t, "aws:cloudwatch/eventRule:EventRule", "site-warmer-schedule")
	if rule.str("scheduleExpression") != m.Origins.Warmer.Schedule {
		t.Errorf("schedule = %q, want %q", rule.str("scheduleExpression"), m.Origins.Warmer.Schedule)
	}
	target := d.one(t, "aws:cloudwatch/eventTarget:EventTarget", "site-warmer-target")
	if target.str("rule") != "site-warmer-schedule-e1" || target.str("arn") != "arn:aws:lambda:"+region+":"+account+":function:site-warmer-f1" {
		t.Errorf("target = %v", target.inputs)
	}
	perm := d.one(t, "aws:lambda/permission:Permission", "site-warmer-schedule")
	if perm.str("principal") != "events.amazonaws.com" || perm.str("action") != "lambda:InvokeFunction" ||
		perm.str("sourceArn") != "arn:aws:events:"+region+":"+account+":rule/site-warmer-schedule-e1" || perm.str("function") != "site-warmer-f1" {
		t.Errorf("permission = %v", perm.inputs)
	}
	warm := d.one(t, "aws:lambda/invocation:Invocation", "site-warm-up").inputs.Mappable()
	if warm["functionName"] != "site-warmer-f1" || warm["triggers"].(map[string]any)["imageUri"] == "" {
		t.Errorf("warm-up invocation = %v", warm)
	}
}

func TestWarmerOff(t *testing.T) {
	off := false
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Warmer: &off})
	if d.err != nil {
		t.Fatal(d.err)
	}
	if n := len(d.ofType("aws:cloudwatch/eventRule:EventRule")); n != 0 {
		t.Errorf("%d schedules with the warmer off", n)
	}
	for _, c := range d.ofType("aws:lambda/function:Function") {
		if strings.Contains(c.name, "warmer") {
			t.Errorf("warmer function %s created with the warmer off", c.name)
		}
	}
	if d.outputs["warmerFunctionName"] != nil {
		t.Errorf("warmerFunctionName = %v, want none", d.outputs["warmerFunctionName"])
	}
}

func TestEdgeFunctionRetainedOnDelete(t *testing.T) {
	for _, del := range []bool{false, true} {
		d := deploy(t, &DashSiteArgs{BundleDir: testBundle, DeleteEdgeFunction: del})
		if d.err != nil {
			t.Fatal(d.err)
		}
		if got := d.one(t, "aws:lambda/function:Function", "site-edge-signer").retainOnDelete; got != !del {
			t.Errorf("deleteEdgeFunction %v: edge function retainOnDelete = %v, want %v", del, got, !del)
		}
		// The role it runs as stays with it (with its policies: IAM deletes a role only without them).
		kept := map[string]bool{"site-edge-signer": true, "site-edge-signer-role": true,
			"site-edge-signer-basic-execution": true, "site-edge-signer-invoke": true}
		for _, c := range d.children {
			if c.retainOnDelete != (kept[c.name] && !del) {
				t.Errorf("deleteEdgeFunction %v: %s %s retainOnDelete = %v", del, c.typ, c.name, c.retainOnDelete)
			}
		}
	}
}
