package component

import (
	"encoding/json"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/opendash/opendash/edgeauth"
	"github.com/opendash/opendash/manifest"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// passwords are long and unusual, so finding one in an input cannot be a coincidence.
var passwords = map[string]string{"alice": "correct-horse-battery-staple-41", "bob": "Tr0ub4dor&3-unusual-9"}

func basicAuthArgs(realm string) *DashSiteArgs {
	return &DashSiteArgs{BundleDir: testBundle, Auth: &AuthArgs{Basic: &BasicAuthArgs{
		Users: pulumi.StringMap{
			"bob":   pulumi.ToSecret(pulumi.String(passwords["bob"])).(pulumi.StringOutput),
			"alice": pulumi.ToSecret(pulumi.String(passwords["alice"])).(pulumi.StringOutput),
		},
		Realm: realm,
	}}}
}

// behaviors returns the distribution's behaviors, ordered then default, as the mocks saw them.
func behaviors(t *testing.T, d *deployment) []map[string]any {
	t.Helper()
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	var out []map[string]any
	for _, b := range dist["orderedCacheBehaviors"].([]any) {
		out = append(out, b.(map[string]any))
	}
	return append(out, dist["defaultCacheBehavior"].(map[string]any))
}

func TestBasicAuth(t *testing.T) {
	d := deploy(t, basicAuthArgs("Board"))
	if d.err != nil {
		t.Fatal(d.err)
	}
	m := testManifest(t)
	fnArn := func(name string) string { return "arn:aws:cloudfront::" + account + ":function/" + name }

	// The viewer-request association on every behavior, S3's included: none is left open.
	bs := behaviors(t, d)
	if len(bs) != len(m.Behaviors) {
		t.Fatalf("%d behaviors, manifest has %d", len(bs), len(m.Behaviors))
	}
	for i, b := range bs {
		want := fnArn("site-viewer-static")
		if m.Behaviors[i].Origin == manifest.OriginServer {
			want = fnArn("site-viewer-server")
		}
		got, _ := b["functionAssociations"].([]any)
		wantFn := []any{map[string]any{"eventType": "viewer-request", "functionArn": want}}
		if !reflect.DeepEqual(got, wantFn) {
			t.Errorf("%s: function associations %v, want %v", m.Behaviors[i].PathPattern, got, wantFn)
		}
	}
	if n := len(d.ofType("aws:cloudfront/function:Function")); n != 2 {
		t.Errorf("%d CloudFront Functions, want the server and the static viewer functions only", n)
	}

	storeArn := "arn:aws:cloudfront::" + account + ":key-value-store/site-auth-users-kvs"
	for name, cfg := range map[string]edgeauth.Config{
		"site-viewer-server": {ForwardHost: true, Basic: true, Realm: "Board"},
		"site-viewer-static": {Basic: true, Realm: "Board"},
	} {
		fn := d.one(t, "aws:cloudfront/function:Function", name).inputs.Mappable()
		if fn["code"] != edgeauth.Source(cfg) || fn["runtime"] != edgeauth.Runtime || fn["publish"] != true ||
			!reflect.DeepEqual(fn["keyValueStoreAssociations"], []any{storeArn}) {
			t.Errorf("%s = %v", name, fn)
		}
	}

	keys := d.one(t, "aws:cloudfront/keyvaluestoreKeysExclusive:KeyvaluestoreKeysExclusive", "site-auth-users")
	pairs := keys.inputs["resourceKeyValuePairs"]
	if !pairs.ContainsSecrets() {
		t.Error("the password hashes are not marked secret")
	}
	var got []map[string]any
	raw, _ := json.Marshal(unsecret(pairs).Mappable())
	_ = json.Unmarshal(raw, &got)
	// Salted by the store's ARN (random per store), never by the site's name alone.
	want := []map[string]any{
		{"key": "alice", "value": edgeauth.Hash(edgeauth.Salt(storeArn, "alice"), passwords["alice"])},
		{"key": "bob", "value": edgeauth.Hash(edgeauth.Salt(storeArn, "bob"), passwords["bob"])},
	}
	if !reflect.DeepEqual(got, want) || keys.str("keyValueStoreArn") != storeArn {
		t.Errorf("store entries = %v (store %s), want %v", got, keys.str("keyValueStoreArn"), want)
	}

	// No password in plain text anywhere: not in any resource's inputs, secret or not.
	for _, c := range d.children {
		all, _ := json.Marshal(unsecret(resource.NewObjectProperty(c.inputs)).Mappable())
		for user, pw := range passwords {
			if strings.Contains(string(all), pw) {
				t.Errorf("%s %s: %s's password in plain text in its inputs", c.typ, c.name, user)
			}
		}
	}
}

// unsecret reveals secrets, so a test can search inside them.
func unsecret(v resource.PropertyValue) resource.PropertyValue {
	switch {
	case v.IsSecret():
		return unsecret(v.SecretValue().Element)
	case v.IsOutput():
		return unsecret(v.OutputValue().Element)
	case v.IsArray():
		var out []resource.PropertyValue
		for _, e := range v.ArrayValue() {
			out = append(out, unsecret(e))
		}
		return resource.NewArrayProperty(out)
	case v.IsObject():
		out := resource.PropertyMap{}
		for k, e := range v.ObjectValue() {
			out[k] = unsecret(e)
		}
		return resource.NewObjectProperty(out)
	}
	return v
}

// TestBasicAuthPlainPasswords: passwords given in plain text still reach the store only as secret hashes.
func TestBasicAuthPlainPasswords(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: &AuthArgs{Basic: &BasicAuthArgs{
		Users: pulumi.StringMap{"alice": pulumi.String(passwords["alice"])}}}})
	if d.err != nil {
		t.Fatal(d.err)
	}
	keys := d.one(t, "aws:cloudfront/keyvaluestoreKeysExclusive:KeyvaluestoreKeysExclusive", "site-auth-users")
	if !keys.inputs["resourceKeyValuePairs"].ContainsSecrets() {
		t.Error("the password hashes are not marked secret")
	}
}

func TestAuthErrors(t *testing.T) {
	for _, c := range []struct {
		name string
		auth *AuthArgs
		want string
	}{
		{"empty auth", &AuthArgs{}, "neither basic nor oidc"},
		{"no users", &AuthArgs{Basic: &BasicAuthArgs{}}, "auth.basic has no users"},
		{"bad realm", &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"a": pulumi.String("b")}, Realm: `x"y`}}, "realm"},
		{"empty users", &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{}}}, "auth.basic.users is empty"},
		{"colon in name", &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"a:b": pulumi.String("pw")}}}, "cannot contain ':'"},
		{"non-ASCII password", &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"a": pulumi.String("pässwörd-secret")}}}, "printable ASCII"},
		{"short password", &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"carol": pulumi.ToSecret(pulumi.String("short-secret")).(pulumi.StringOutput)}}},
			`user "carol": the password has 12 characters, fewer than 16`},
		{"long realm", &AuthArgs{Basic: &BasicAuthArgs{Users: pulumi.StringMap{"a": pulumi.String(passwords["alice"])}, Realm: strings.Repeat("r", 101)}}, "at most 100"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: c.auth})
			if d.err == nil || !strings.Contains(d.err.Error(), c.want) {
				t.Fatalf("error = %v, want one saying %q", d.err, c.want)
			}
			if strings.Contains(d.err.Error(), "pässwörd-secret") || strings.Contains(d.err.Error(), "short-secret") {
				t.Errorf("the error quotes the password: %v", d.err)
			}
		})
	}
}

// TestBasicAuthShortPasswordAtPreview: `pulumi preview` of a new stack refuses a short password, though the
// store whose ARN salts the hashes does not exist yet.
func TestBasicAuthShortPasswordAtPreview(t *testing.T) {
	m := &mocks{unknown: map[string]string{"aws:cloudfront/keyValueStore:KeyValueStore": "arn"}}
	args := basicAuthArgs("")
	args.Auth.Basic.Users = pulumi.StringMap{"carol": pulumi.ToSecret(pulumi.String("too-short")).(pulumi.StringOutput)}
	d := deployWith(t, m, args, func(info *pulumi.RunInfo) { info.DryRun = true })
	if d.err == nil || !strings.Contains(d.err.Error(), `user "carol": the password has 9 characters`) {
		t.Fatalf("error = %v, want the short password refused at preview", d.err)
	}
}

// TestInferConstructAuth passes auth through the plugin's path (as YAML or Python would), passwords as
// secrets: the store gets hashes, and no input of any resource holds a password.
func TestInferConstructAuth(t *testing.T) {
	var mu sync.Mutex
	var inputs []string
	monitor := &integration.MockResourceMonitor{
		NewResourceF: func(args integration.MockResourceArgs) (string, property.Map, error) {
			raw, _ := json.Marshal(unsecret(resource.NewObjectProperty(resource.ToResourcePropertyMap(args.Inputs))).Mappable())
			mu.Lock()
			inputs = append(inputs, string(args.TypeToken)+" "+string(raw))
			mu.Unlock()
			outs := args.Inputs
			if args.TypeToken == "aws:cloudfront/keyValueStore:KeyValueStore" {
				outs = outs.Set("arn", property.New("arn:aws:cloudfront::"+account+":key-value-store/k1"))
			}
			return args.Name + "-id", outs, nil
		},
	}
	users := property.New(property.NewMap(map[string]property.Value{
		"alice": property.New(passwords["alice"]).WithSecret(true),
	}))
	auth := property.New(property.NewMap(map[string]property.Value{
		"basic": property.New(property.NewMap(map[string]property.Value{"users": users})),
	}))
	_, err := testServer(t, monitor).Construct(p.ConstructRequest{
		Urn: resource.URN("urn:pulumi:stack::project::" + Token + "::site"),
		Inputs: property.NewMap(map[string]property.Value{
			"bundleDir": property.New(testBundle), "auth": auth}),
	})
	if err != nil {
		t.Fatalf("construct: %v", err)
	}
	hash := edgeauth.Hash(edgeauth.Salt("arn:aws:cloudfront::"+account+":key-value-store/k1", "alice"), passwords["alice"])
	var stored bool
	for _, in := range inputs {
		if strings.Contains(in, passwords["alice"]) {
			t.Errorf("a password in plain text: %s", in)
		}
		stored = stored || strings.HasPrefix(in, "aws:cloudfront/keyvaluestoreKeysExclusive") && strings.Contains(in, hash)
	}
	if !stored {
		t.Errorf("no KeyValueStore entry with alice's hash among %d resources", len(inputs))
	}
}

// TestBasicAuthRateLimit: basic auth gets the WAF rate limit unless told otherwise (a fast hash needs guesses
// slowed); a given limit wins, and 0 turns it off. Without auth there is none by default.
func TestBasicAuthRateLimit(t *testing.T) {
	for _, c := range []struct {
		name  string
		limit pulumi.IntInput
		want  float64 // 0: no web ACL
	}{
		{"default", nil, DefaultBasicAuthWafRateLimit},
		{"given", pulumi.Int(500), 500},
		{"off", pulumi.Int(0), 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			args := basicAuthArgs("")
			args.WafRateLimit = c.limit
			d := deploy(t, args)
			if d.err != nil {
				t.Fatal(d.err)
			}
			acls := d.ofType("aws:wafv2/webAcl:WebAcl")
			if c.want == 0 {
				if len(acls) != 0 {
					t.Errorf("%d web ACLs with wafRateLimit 0", len(acls))
				}
				return
			}
			if len(acls) != 1 {
				t.Fatalf("%d web ACLs, want one", len(acls))
			}
			rule := acls[0].inputs.Mappable()["rules"].([]any)[0].(map[string]any)
			if limit := rule["statement"].(map[string]any)["rateBasedStatement"].(map[string]any)["limit"]; limit != c.want {
				t.Errorf("limit = %v, want %v", limit, c.want)
			}
		})
	}
	if d := deploy(t, &DashSiteArgs{BundleDir: testBundle, WafRateLimit: pulumi.Int(0)}); d.err != nil || len(d.ofType("aws:wafv2/webAcl:WebAcl")) != 0 {
		t.Errorf("a public site with wafRateLimit 0: %v, %d web ACLs", d.err, len(d.ofType("aws:wafv2/webAcl:WebAcl")))
	}
}

// TestInferConstructRateLimitOff: `wafRateLimit: 0` turns basic auth's default web ACL off from YAML or
// Python too (the plugin's path).
func TestInferConstructRateLimitOff(t *testing.T) {
	var mu sync.Mutex
	var types []string
	monitor := &integration.MockResourceMonitor{
		NewResourceF: func(args integration.MockResourceArgs) (string, property.Map, error) {
			mu.Lock()
			types = append(types, string(args.TypeToken))
			mu.Unlock()
			outs := args.Inputs
			if args.TypeToken == "aws:cloudfront/keyValueStore:KeyValueStore" {
				outs = outs.Set("arn", property.New("arn:aws:cloudfront::"+account+":key-value-store/k1"))
			}
			return args.Name + "-id", outs, nil
		},
	}
	for _, c := range []struct {
		limit property.Value
		acls  int
	}{{property.New(0.0), 0}, {property.Value{}, 1}} {
		types = nil
		basic := property.New(property.NewMap(map[string]property.Value{"users": property.New(property.NewMap(map[string]property.Value{
			"alice": property.New(passwords["alice"]).WithSecret(true)}))}))
		inputs := map[string]property.Value{"bundleDir": property.New(testBundle),
			"auth": property.New(property.NewMap(map[string]property.Value{"basic": basic}))}
		if !c.limit.IsNull() {
			inputs["wafRateLimit"] = c.limit
		}
		if _, err := testServer(t, monitor).Construct(p.ConstructRequest{
			Urn:    resource.URN("urn:pulumi:stack::project::" + Token + "::site"),
			Inputs: property.NewMap(inputs),
		}); err != nil {
			t.Fatalf("construct: %v", err)
		}
		n := 0
		for _, typ := range types {
			if typ == "aws:wafv2/webAcl:WebAcl" {
				n++
			}
		}
		if n != c.acls {
			t.Errorf("wafRateLimit %v: %d web ACLs, want %d", c.limit, n, c.acls)
		}
	}
}
