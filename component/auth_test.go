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
	want := []map[string]any{
		{"key": "alice", "value": edgeauth.Hash(edgeauth.Salt("site", "alice"), passwords["alice"])},
		{"key": "bob", "value": edgeauth.Hash(edgeauth.Salt("site", "bob"), passwords["bob"])},
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
	} {
		t.Run(c.name, func(t *testing.T) {
			d := deploy(t, &DashSiteArgs{BundleDir: testBundle, Auth: c.auth})
			if d.err == nil || !strings.Contains(d.err.Error(), c.want) {
				t.Fatalf("error = %v, want one saying %q", d.err, c.want)
			}
			if strings.Contains(d.err.Error(), "pässwörd-secret") {
				t.Errorf("the error quotes the password: %v", d.err)
			}
		})
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
	hash := edgeauth.Hash(edgeauth.Salt("site", "alice"), passwords["alice"])
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
