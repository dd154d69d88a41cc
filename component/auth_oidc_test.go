package component

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/component/edgeoidc"
	"github.com/opendash/opendash/component/edgesigner"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	resourceasset "github.com/pulumi/pulumi/sdk/v3/go/common/resource/asset"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const testIssuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Abc123"

func oidcArgs() *DashSiteArgs {
	return &DashSiteArgs{BundleDir: testBundle, Auth: &AuthArgs{Oidc: &OidcAuthArgs{
		Issuer: pulumi.String(testIssuer),
		// An output, as a Cognito app client's id is in the same program.
		ClientId:            pulumi.String("client-1").ToStringOutput(),
		AllowedEmailDomains: []string{"example.com"},
	}}}
}

func TestOidcAuth(t *testing.T) {
	d := deploy(t, oidcArgs())
	if d.err != nil {
		t.Fatal(d.err)
	}
	m := testManifest(t)
	c := d.one(t, "aws:lambda/function:Function", "site-edge-auth")
	if !strings.Contains(c.provider, "pulumi:providers:aws::site-us-east-1") {
		t.Errorf("auth function provider = %q, want the us-east-1 provider", c.provider)
	}
	fn := c.inputs.Mappable()
	if fn["publish"] != true || fn["runtime"] != edgeoidc.Runtime || fn["handler"] != edgeoidc.Handler || fn["timeout"] != float64(5) {
		t.Errorf("auth function = %v", fn)
	}
	if env, ok := fn["environment"]; ok {
		t.Errorf("Lambda@Edge allows no environment; got %v", env)
	}
	code := c.inputs["code"]
	if !code.IsArchive() {
		t.Fatalf("auth code is %v, want an archive", code)
	}
	keyArn := "arn:aws:secretsmanager:us-east-1:" + account + ":secret:site-session-key-AbCdEf"
	want := edgeoidc.Files(edgeoidc.Config{Issuer: testIssuer, ClientID: "client-1", AllowedEmailDomains: []string{"example.com"},
		SessionKeyArn: keyArn, SessionKeyVersion: "version-of-site-session-key"})
	got := map[string]string{}
	for name, a := range code.ArchiveValue().Assets {
		if asset, ok := a.(*resourceasset.Asset); ok {
			got[name] = asset.Text
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("auth package = %v, want the function and its config %q", keys(got), want["config.json"])
	}
	trust := parsePolicy(t, d.one(t, "aws:iam/role:Role", "site-edge-auth-role").str("assumeRolePolicy"))
	if p := jsonOf(trust.Statement[0].Principal); p != `{"Service":["edgelambda.amazonaws.com","lambda.amazonaws.com"]}` {
		t.Errorf("auth role trust principal = %s", p)
	}

	// The viewer-request association on every behavior; the server behaviors keep their signer.
	authArn := "arn:aws:lambda:" + region + ":" + account + ":function:site-edge-auth-f1:1"
	signerArn := "arn:aws:lambda:" + region + ":" + account + ":function:site-edge-signer-f1:1"
	for i, b := range behaviors(t, d) {
		wantL := []any{map[string]any{"eventType": "viewer-request", "lambdaArn": authArn}}
		if m.Behaviors[i].Origin == manifest.OriginServer {
			wantL = append(wantL, map[string]any{"eventType": edgesigner.EventType, "includeBody": true, "lambdaArn": signerArn})
		}
		if l := b["lambdaFunctionAssociations"]; !reflect.DeepEqual(l, wantL) {
			t.Errorf("%s: lambda associations %v, want %v", m.Behaviors[i].PathPattern, l, wantL)
		}
		if f, ok := b["functionAssociations"]; ok {
			t.Errorf("%s: a CloudFront Function %v; with OIDC the viewer-request slot is the Lambda@Edge function's", m.Behaviors[i].PathPattern, f)
		}
	}
	if n := len(d.ofType("aws:cloudfront/function:Function")); n != 0 {
		t.Errorf("%d CloudFront Functions with OIDC, want none (the auth function forwards the host)", n)
	}
}

func TestOidcAuthErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		oidc *OidcAuthArgs
		want string
	}{
		{"no client", &OidcAuthArgs{Issuer: pulumi.String(testIssuer)}, "needs issuer and clientId"},
		{"no openid scope", &OidcAuthArgs{Issuer: pulumi.String(testIssuer), ClientId: pulumi.String("c"), Scopes: []string{"email"}}, `lack "openid"`},
		{"http issuer", &OidcAuthArgs{Issuer: pulumi.String("http://idp.example"), ClientId: pulumi.String("c"), AllowAnyUser: true}, "not an https URL"},
		{"bad domain", &OidcAuthArgs{Issuer: pulumi.String(testIssuer), ClientId: pulumi.String("c"), AllowedEmailDomains: []string{"Example.com"}}, "lower-case domain"},
		{"no allow-list", &OidcAuthArgs{Issuer: pulumi.String(testIssuer), ClientId: pulumi.String("c")}, "no allow-list: set allowedEmails, allowedEmailDomains or allowedGroups"},
		{"allow-list and anyone", &OidcAuthArgs{Issuer: pulumi.String(testIssuer), ClientId: pulumi.String("c"), AllowAnyUser: true,
			AllowedEmails: []string{"a@example.com"}}, "drop allowAnyUser"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: &AuthArgs{Oidc: c.oidc}})
			if d.err == nil || !strings.Contains(d.err.Error(), c.want) {
				t.Fatalf("error = %v, want one saying %q", d.err, c.want)
			}
		})
	}
	both := &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"a": pulumi.String(passwords["alice"])}}, Oidc: oidcArgs().Auth.Oidc}
	if d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: both}); d.err == nil || !strings.Contains(d.err.Error(), "choose one") {
		t.Errorf("basic and oidc together: %v", d.err)
	}
}

// TestOidcClientSecret: a confidential client's secret is stored in Secrets Manager in us-east-1, marked
// secret, readable by the edge function's role only, and appears in no other input (the code holds its ARN).
func TestOidcClientSecret(t *testing.T) {
	const plain = "client-secret-7f3a-unusual"
	args := oidcArgs()
	args.Auth.Oidc.ClientSecret = pulumi.ToSecret(pulumi.String(plain)).(pulumi.StringOutput)
	d := deploy(t, args)
	if d.err != nil {
		t.Fatal(d.err)
	}
	arn := edgeSecret(t, d, "site-oidc-client-secret", plain, "site-edge-auth-secret")
	if !d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-edge-auth-secret").retainOnDelete {
		t.Error("the secret read policy is deleted while the kept role still has it: IAM would refuse the role's deletion later")
	}
	code := d.one(t, "aws:lambda/function:Function", "site-edge-auth").inputs["code"].ArchiveValue().Assets["config.json"]
	if cfg := code.(*resourceasset.Asset).Text; !strings.Contains(cfg, `"clientSecretArn": "`+arn+`"`) {
		t.Errorf("config.json = %s, want the secret's ARN", cfg)
	}
	for _, c := range d.children {
		if c.typ == "aws:secretsmanager/secretVersion:SecretVersion" {
			continue // its value is the secret, encrypted in the state
		}
		if all, _ := json.Marshal(unsecret(resource.NewObjectProperty(c.inputs)).Mappable()); strings.Contains(string(all), plain) {
			t.Errorf("%s %s: the client secret in its inputs", c.typ, c.name)
		}
	}
}

// The OIDC sign-in function is a Lambda@Edge function like the signer: kept on delete unless
// deleteEdgeFunction, so `pulumi destroy` is not held up by CloudFront's replicas; in oac mode too.
func TestOidcAuthRetainedOnDelete(t *testing.T) {
	for _, tt := range []struct {
		originAuth string
		del        bool
	}{{OriginAuthEdge, false}, {OriginAuthEdge, true}, {OriginAuthOAC, false}, {OriginAuthOAC, true}} {
		args := oidcArgs()
		args.OriginAuth, args.DeleteEdgeFunction = tt.originAuth, tt.del
		d := deploy(t, args)
		if d.err != nil {
			t.Fatalf("%s, deleteEdgeFunction %v: %v", tt.originAuth, tt.del, d.err)
		}
		for _, name := range []string{"site-edge-auth", "site-edge-auth-role", "site-edge-auth-basic-execution"} {
			for _, c := range d.children {
				if c.name == name && c.retainOnDelete != !tt.del {
					t.Errorf("%s, deleteEdgeFunction %v: %s %s retainOnDelete = %v", tt.originAuth, tt.del, c.typ, name, c.retainOnDelete)
				}
			}
		}
	}
}

// TestOidcSessionKey: the key that signs session cookies is a random value from Secrets Manager's
// GetRandomPassword, kept in a secret version in us-east-1 that ignores later draws; only the edge function's
// role may read it, and the function's package names its version, never the key.
func TestOidcSessionKey(t *testing.T) {
	m := &mocks{}
	d := deployWith(t, m, oidcArgs())
	if d.err != nil {
		t.Fatal(d.err)
	}
	edgeSecret(t, d, "site-session-key", RandomPasswordFromAWS, "site-edge-auth-session-key")
	version := d.one(t, "aws:secretsmanager/secretVersion:SecretVersion", "site-session-key")
	if !reflect.DeepEqual(version.ignoreChanges, []string{"secretString"}) {
		t.Errorf("ignoreChanges = %v: each deploy's new draw would replace the key and end every session", version.ignoreChanges)
	}
	var draws int
	for _, c := range m.calls {
		if c.Token == "aws:secretsmanager/getRandomPassword:getRandomPassword" {
			draws++
			if !strings.Contains(c.Provider, "::site-us-east-1::") || c.Args["passwordLength"].NumberValue() != SessionKeyLength ||
				!c.Args["excludePunctuation"].BoolValue() {
				t.Errorf("getRandomPassword %v (provider %s)", c.Args, c.Provider)
			}
		}
	}
	if draws != 1 {
		t.Errorf("%d getRandomPassword calls, want 1", draws)
	}
	for _, c := range d.children {
		if c.typ == "aws:secretsmanager/secretVersion:SecretVersion" {
			continue
		}
		if all, _ := json.Marshal(unsecret(resource.NewObjectProperty(c.inputs)).Mappable()); strings.Contains(string(all), RandomPasswordFromAWS) {
			t.Errorf("%s %s: the session key in its inputs", c.typ, c.name)
		}
	}
	dependsOn(t, d.one(t, "aws:lambda/function:Function", "site-edge-auth"), "site-session-key", "site-edge-auth-session-key")
}

// TestOidcIdentityHeadersEnv: only with auth.oidc is the server function told to trust the identity headers,
// and a user's environment cannot tell it so.
func TestOidcIdentityHeadersEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		args *DashSiteArgs
		want any
	}{
		{"oidc", oidcArgs(), "oidc"},
		{"basic", basicAuthArgs(""), nil},
		{"public", &DashSiteArgs{BundleDir: testBundle}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			for _, env := range []pulumi.StringMapInput{nil, pulumi.StringMap{IdentityHeadersEnv: pulumi.String("oidc"), "A": pulumi.String("1")}} {
				c.args.Environment = env
				d := deploy(t, c.args)
				if d.err != nil {
					t.Fatal(d.err)
				}
				vars, _ := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["environment"].(map[string]any)
				got := any(nil)
				if v, ok := vars["variables"].(map[string]any); ok {
					got = v[IdentityHeadersEnv]
				}
				if got != c.want {
					t.Errorf("environment %v: %s = %v, want %v", env, IdentityHeadersEnv, got, c.want)
				}
			}
		})
	}
}

// edgeSecret checks the secret name and its version: in us-east-1 (where the edge function's replicas read
// it by ARN), holding value as a Pulumi secret, readable through policy by the edge function's role only.
// It returns the secret's ARN.
func edgeSecret(t *testing.T, d *deployment, name, value, policyName string) string {
	t.Helper()
	arn := "arn:aws:secretsmanager:us-east-1:" + account + ":secret:" + name + "-AbCdEf"
	for _, typ := range []string{"aws:secretsmanager/secret:Secret", "aws:secretsmanager/secretVersion:SecretVersion"} {
		if c := d.one(t, typ, name); !strings.Contains(c.provider, "pulumi:providers:aws::site-us-east-1") {
			t.Errorf("%s provider = %q, want the us-east-1 provider", typ, c.provider)
		}
	}
	if v := d.one(t, "aws:secretsmanager/secretVersion:SecretVersion", name).inputs["secretString"]; !v.IsSecret() || unsecret(v).StringValue() != value {
		t.Errorf("%s secretString = %v, want %q as a Pulumi secret", name, v, value)
	}
	read := d.one(t, "aws:iam/rolePolicy:RolePolicy", policyName)
	doc := parsePolicy(t, read.str("policy"))
	if len(doc.Statement) != 1 || jsonOf(doc.Statement[0].Action) != `"secretsmanager:GetSecretValue"` || doc.Statement[0].Resource != arn ||
		read.str("role") != "site-edge-auth-role-r1" {
		t.Errorf("%s: read policy %+v on role %q, want GetSecretValue on %s for the edge auth function's role", name, doc, read.str("role"), arn)
	}
	return arn
}
