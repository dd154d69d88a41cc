package component

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestProvisionedConcurrency(t *testing.T) {
	const aliasArn = "arn:aws:lambda:" + region + ":" + account + ":function:site-server-f1:" + ServerAliasName
	on := true
	tests := []struct {
		name       string
		args       *DashSiteArgs
		wantWarmer bool
	}{
		{"warmer off by default", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: 2}, false},
		{"warmer asked for", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: 2, Warmer: &on}, true},
		{"within the cap", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: 2,
			ReservedConcurrency: pulumi.Int(2)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, tt.args)
			if d.err != nil {
				t.Fatal(d.err)
			}
			if fn := d.one(t, "aws:lambda/function:Function", "site-server"); fn.inputs["publish"].V != true {
				t.Errorf("server function publish = %v, want true: an alias needs a numbered version", fn.inputs["publish"])
			}
			alias := d.one(t, "aws:lambda/alias:Alias", "site-server-alias")
			if alias.str("name") != ServerAliasName || alias.str("functionName") != "site-server-f1" || alias.str("functionVersion") != "1" {
				t.Errorf("alias = %v, want %s on the published version 1 of site-server-f1", alias.inputs, ServerAliasName)
			}
			// No ignoreChanges on routingConfig: for an ignored property the bridge plans the value in the state,
			// so the weights Lambda showed mid-move (read right after UpdateAlias) would be sent back with the
			// next move, routing traffic to an old version. An absent routingConfig clears them instead.
			if len(alias.ignoreChanges) != 0 {
				t.Errorf("alias ignoreChanges = %v, want none", alias.ignoreChanges)
			}
			if rc, ok := alias.inputs["routingConfig"]; ok && !rc.IsNull() {
				t.Errorf("alias routingConfig = %v, want none (no weights)", rc)
			}
			wait := d.one(t, "aws:lambda/invocation:Invocation", "site-alias-wait")
			var in aliasWaitInput
			if err := json.Unmarshal([]byte(wait.str("input")), &in); err != nil ||
				in != (aliasWaitInput{FunctionName: "site-server-f1", Alias: ServerAliasName, Version: "1"}) {
				t.Errorf("alias wait input = %s (%v)", wait.str("input"), err)
			}
			if !reflect.DeepEqual(wait.replaceOnChanges, []string{"input"}) || wait.str("functionName") != "site-alias-wait-f1" {
				t.Errorf("alias wait = %v, replaceOnChanges %v: want a new run for each version", wait.inputs, wait.replaceOnChanges)
			}
			dependsOn(t, wait, "site-server-alias", "site-alias-wait-policy")
			read := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-alias-wait-policy").str("policy"))
			if got := jsonOf(read.Statement); got != `[{"Sid":"ReadServerAlias","Effect":"Allow","Action":"lambda:GetAlias",`+
				`"Resource":"arn:aws:lambda:`+region+`:`+account+`:function:site-server-f1"},{"Sid":"ReadServerAliasQualified",`+
				`"Effect":"Allow","Action":"lambda:GetAlias","Resource":"arn:aws:lambda:`+region+`:`+account+`:function:site-server-f1:*"}]` {
				t.Errorf("alias wait policy = %s", got)
			}
			if _, ok := d.one(t, "aws:lambda/function:Function", "site-alias-wait").inputs["code"].ArchiveValue().Assets["aliaswait.py"]; !ok {
				t.Error("the alias wait function's code lacks aliaswait.py")
			}
			pc := d.one(t, "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig", "site-server-provisioned")
			dependsOn(t, pc, "site-alias-wait")
			if pc.str("functionName") != "site-server-f1" || pc.str("qualifier") != ServerAliasName ||
				pc.inputs["provisionedConcurrentExecutions"].V != float64(2) {
				t.Errorf("provisioned concurrency = %v, want 2 on %s", pc.inputs, ServerAliasName)
			}
			url := d.one(t, "aws:lambda/functionUrl:FunctionUrl", "site-server-url")
			if url.str("functionName") != "site-server-f1" || url.str("qualifier") != ServerAliasName {
				t.Errorf("function URL = %v, want the alias as qualifier", url.inputs)
			}
			signer := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-edge-signer-invoke").str("policy"))
			for _, st := range signer.Statement {
				if st.Resource != aliasArn {
					t.Errorf("signer %s on %s, want the alias %s", jsonOf(st.Action), st.Resource, aliasArn)
				}
			}
			rules := d.ofType("aws:cloudwatch/eventRule:EventRule")
			if got := len(rules) == 1; got != tt.wantWarmer {
				t.Fatalf("%d warmer schedules, want warmer %v", len(rules), tt.wantWarmer)
			}
			if !tt.wantWarmer {
				if d.outputs["warmerFunctionName"] != nil {
					t.Errorf("warmerFunctionName = %v, want none", d.outputs["warmerFunctionName"])
				}
				return
			}
			warm := d.one(t, "aws:lambda/function:Function", "site-warmer").inputs.Mappable()
			vars := warm["environment"].(map[string]any)["variables"].(map[string]any)
			if vars["OPENDASH_WARM_TARGETS"] != "site-server-f1:"+ServerAliasName {
				t.Errorf("warmer targets %v, want the alias", vars["OPENDASH_WARM_TARGETS"])
			}
			doc := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-warmer-invoke").str("policy"))
			if len(doc.Statement) != 1 || doc.Statement[0].Resource != aliasArn {
				t.Errorf("warmer policy = %+v, want invoke on %s", doc, aliasArn)
			}
		})
	}
}

func TestNoProvisionedConcurrencyByDefault(t *testing.T) {
	d := deployed(t)
	if fn := d.one(t, "aws:lambda/function:Function", "site-server"); fn.inputs["publish"].V == true {
		t.Errorf("server function published without provisionedConcurrency")
	}
	for _, typ := range []string{"aws:lambda/alias:Alias", "aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig"} {
		if n := len(d.ofType(typ)); n != 0 {
			t.Errorf("%d %s without provisionedConcurrency", n, typ)
		}
	}
	if q, ok := d.one(t, "aws:lambda/functionUrl:FunctionUrl", "site-server-url").inputs["qualifier"]; ok && !q.IsNull() {
		t.Errorf("function URL qualifier = %v without provisionedConcurrency", q)
	}
}

func TestProvisionedConcurrencyBadInput(t *testing.T) {
	tests := []struct {
		name string
		args *DashSiteArgs
		want []string
	}{
		{"negative", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: -1},
			[]string{"provisionedConcurrency is -1", "0.."}},
		{"above the cap", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: 5, ReservedConcurrency: pulumi.Int(3)},
			[]string{"provisionedConcurrency 5 is above reservedConcurrency 3", "raise reservedConcurrency to at least 5"}},
		{"above a cap known at deploy time", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: 5,
			ReservedConcurrency: pulumi.Int(3).ToIntOutput()}, []string{"provisionedConcurrency 5 is above reservedConcurrency 3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, tt.args)
			if d.err == nil {
				t.Fatalf("no error; want one mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(d.err.Error(), w) {
					t.Errorf("error %q does not mention %q", d.err, w)
				}
			}
		})
	}
}

// TestInvokeTargetPermission: a lambda.Permission built through the server's invoke target lands on the
// alias with provisioned concurrency, and on the bare function without.
func TestInvokeTargetPermission(t *testing.T) {
	for _, n := range []int{0, 2} {
		m := &mocks{}
		err := pulumi.RunErr(func(ctx *pulumi.Context) error {
			s, err := resolve("site", &DashSiteArgs{BundleDir: testBundle, ProvisionedConcurrency: n})
			if err != nil {
				return err
			}
			b := &siteBundle{manifest: testManifest(t), dir: testBundle}
			server, err := newServerFunction(ctx, "site", b, s, nil)
			if err != nil {
				return err
			}
			_, err = lambda.NewPermission(ctx, "site-oac", server.target.permission(&lambda.PermissionArgs{
				Action:    pulumi.String("lambda:InvokeFunctionUrl"),
				Principal: pulumi.String("cloudfront.amazonaws.com"),
			}))
			return err
		}, pulumi.WithMocks("project", "stack", m))
		if err != nil {
			t.Fatal(err)
		}
		d := &deployment{children: m.children}
		perm := d.one(t, "aws:lambda/permission:Permission", "site-oac")
		wantQualifier := map[int]string{0: "", 2: ServerAliasName}[n]
		if perm.str("function") != "site-server-f1" || perm.str("qualifier") != wantQualifier {
			t.Errorf("provisionedConcurrency %d: permission = %v, want qualifier %q", n, perm.inputs, wantQualifier)
		}
	}
}

// With originAuth "oac", CloudFront's two permissions are on the alias, whose function URL it calls.
func TestProvisionedConcurrencyWithOAC(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, OriginAuth: OriginAuthOAC, ProvisionedConcurrency: 2})
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, n := range []string{"site-server-url-permission", "site-server-invoke-permission"} {
		if q := d.one(t, "aws:lambda/permission:Permission", n).str("qualifier"); q != ServerAliasName {
			t.Errorf("%s qualifier = %q, want the alias %q", n, q, ServerAliasName)
		}
	}
}
