package component

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/component/edgeoidc"
	"github.com/opendash/opendash/component/edgesigner"
	"github.com/opendash/opendash/manifest"
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
	want := edgeoidc.Files(edgeoidc.Config{Issuer: testIssuer, ClientID: "client-1", AllowedEmailDomains: []string{"example.com"}})
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
		{"http issuer", &OidcAuthArgs{Issuer: pulumi.String("http://idp.example"), ClientId: pulumi.String("c")}, "not an https URL"},
		{"bad domain", &OidcAuthArgs{Issuer: pulumi.String(testIssuer), ClientId: pulumi.String("c"), AllowedEmailDomains: []string{"Example.com"}}, "lower-case domain"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: &AuthArgs{Oidc: c.oidc}})
			if d.err == nil || !strings.Contains(d.err.Error(), c.want) {
				t.Fatalf("error = %v, want one saying %q", d.err, c.want)
			}
		})
	}
	both := &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"a": pulumi.String("b")}}, Oidc: oidcArgs().Auth.Oidc}
	if d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: both}); d.err == nil || !strings.Contains(d.err.Error(), "choose one") {
		t.Errorf("basic and oidc together: %v", d.err)
	}
}
