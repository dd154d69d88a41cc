package component

import (
	"fmt"
	"sort"

	"github.com/opendash/opendash/edgeauth"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// forwardedHostJS is the viewer-request CloudFront Function of the server behaviors when auth is off.
var forwardedHostJS = edgeauth.Source(edgeauth.Config{ForwardHost: true})

// AuthArgs puts a sign-in in front of the whole site (static files and callbacks alike), at CloudFront's
// edge. Set exactly one of basic and oidc.
type AuthArgs struct {
	Basic *BasicAuthArgs `pulumi:"basic,optional"`
	Oidc  *OidcAuthArgs  `pulumi:"oidc,optional"`
}

func (a *AuthArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "Auth")
	an.Describe(&a.Basic, "HTTP basic auth: a CloudFront Function on every behavior checks the Authorization "+
		"header against salted password hashes kept in a CloudFront KeyValueStore.")
	an.Describe(&a.Oidc, "Sign-in with an OpenID Connect provider (Amazon Cognito, Okta, Entra ID, ...): a "+
		"Lambda@Edge function on every behavior checks a signed session cookie of its own and gives the app the "+
		"signed-in user in X-OpenDash-User-Email, -Groups and -Subject headers. Needs an allow-list or allowAnyUser.")
}

// BasicAuthArgs are the users of basic auth.
type BasicAuthArgs struct {
	Users pulumi.StringMapInput `pulumi:"users" provider:"secret"`
	Realm string                `pulumi:"realm,optional"`
}

func (a *BasicAuthArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "BasicAuth")
	an.Describe(&a.Users, "User name to password; pass the passwords as Pulumi secrets. Only salted HMAC-SHA256 "+
		"hashes reach AWS (a CloudFront KeyValueStore), so a password change updates the store, not the function. "+
		"Names and passwords are printable ASCII; names have no ':'. Passwords have at least "+
		fmt.Sprint(edgeauth.MinPasswordLength)+" characters (shorter ones are refused): the hashes are fast to "+
		"compute, so use long random passwords (`openssl rand -base64 24`). A name and its password have at most "+
		fmt.Sprint((edgeauth.MaxAuthorization-len("Basic "))/4*3-1)+" characters together (their Authorization "+
		"header fits the "+fmt.Sprint(edgeauth.MaxAuthorization)+" bytes the edge reads). With basic auth, "+
		"wafRateLimit is on by default.")
	an.Describe(&a.Realm, "The realm the browser's sign-in prompt names, at most "+fmt.Sprint(edgeauth.MaxRealmLength)+
		" printable ASCII characters without quotes or backslashes. Default: "+edgeauth.DefaultRealm+".")
}

// check refuses an auth block that sets neither or both kinds, or a realm that breaks the header.
func (a *AuthArgs) check(name string) error {
	if a == nil {
		return nil
	}
	switch {
	case a.Basic == nil && a.Oidc == nil:
		return fmt.Errorf("DashSite %q: auth is set with neither basic nor oidc; set one, or leave auth out for a public site", name)
	case a.Basic != nil && a.Oidc != nil:
		return fmt.Errorf("DashSite %q: auth sets both basic and oidc; choose one", name)
	case a.Oidc != nil:
		return a.Oidc.check(name)
	case a.Basic != nil && a.Basic.Users == nil:
		return fmt.Errorf("DashSite %q: auth.basic has no users; set auth.basic.users (name to secret password)", name)
	case a.Basic != nil:
		if err := edgeauth.CheckRealm(a.Basic.Realm); err != nil {
			return fmt.Errorf("DashSite %q: auth.basic.%v", name, err)
		}
	}
	return nil
}

// viewerAuth is what runs at viewer request when auth is on.
type viewerAuth struct {
	server, static *cloudfront.Function // basic auth: one function per kind of behavior
	oidc           *lambda.Function     // oidc: one Lambda@Edge function on every behavior
}

// newViewerAuth creates the basic-auth store and functions, or the OIDC edge function; nil with auth off.
func newViewerAuth(ctx *pulumi.Context, name string, e *edge, s *settings, opts []pulumi.ResourceOption) (*viewerAuth, error) {
	switch {
	case s.Auth == nil:
		return nil, nil
	case s.Auth.Oidc != nil:
		fn, err := newOidcEdge(ctx, name, e, s, opts)
		return &viewerAuth{oidc: fn}, err
	}
	basic := s.Auth.Basic
	store, err := cloudfront.NewKeyValueStore(ctx, name+"-auth-users", &cloudfront.KeyValueStoreArgs{
		Comment: pulumi.String("OpenDash " + name + ": salted password hashes for basic auth"),
	}, opts...)
	if err != nil {
		return nil, err
	}
	// The users are checked on their own, so that `pulumi preview` refuses a short password before the store
	// (whose ARN the hashes need) exists.
	users := basic.Users.ToStringMapOutput().ApplyT(func(users map[string]string) (map[string]string, error) {
		return users, checkUsers(name, users)
	}).(pulumi.StringMapOutput)
	// Secret even when the passwords were given in plain text: a hash still helps guess a weak password. The
	// salts come from the store's ARN (random, kept in the state): no table made for one site fits another.
	pairs := pulumi.ToSecret(pulumi.All(users, store.Arn).ApplyT(func(v []any) []cloudfront.KeyvaluestoreKeysExclusiveResourceKeyValuePair {
		return hashedUsers(v[1].(string), v[0].(map[string]string))
	})).(cloudfront.KeyvaluestoreKeysExclusiveResourceKeyValuePairArrayOutput)
	// Exclusive: a user removed from the arguments is removed from the store.
	keys, err := cloudfront.NewKeyvaluestoreKeysExclusive(ctx, name+"-auth-users", &cloudfront.KeyvaluestoreKeysExclusiveArgs{
		KeyValueStoreArn:      store.Arn,
		ResourceKeyValuePairs: pairs,
	}, opts...)
	if err != nil {
		return nil, err
	}
	fn := func(suffix, what string, forwardHost bool) (*cloudfront.Function, error) {
		return cloudfront.NewFunction(ctx, name+"-viewer-"+suffix, &cloudfront.FunctionArgs{
			Comment: pulumi.String("OpenDash: basic auth" + what),
			Runtime: pulumi.String(edgeauth.Runtime),
			Code: pulumi.String(edgeauth.Source(edgeauth.Config{
				ForwardHost: forwardHost, Basic: true, Realm: basic.Realm})),
			KeyValueStoreAssociations: pulumi.StringArray{store.Arn},
			Publish:                   pulumi.Bool(true),
		}, plus(opts, pulumi.DependsOn([]pulumi.Resource{keys}))...)
	}
	v := &viewerAuth{}
	if v.server, err = fn("server", ", then the viewer's Host to X-Forwarded-Host", true); err != nil {
		return nil, err
	}
	if v.static, err = fn("static", "", false); err != nil {
		return nil, err
	}
	return v, nil
}

// checkUsers refuses no users, or a name or password the function cannot check (errors never quote a
// password).
func checkUsers(name string, users map[string]string) error {
	if len(users) == 0 {
		return fmt.Errorf("DashSite %q: auth.basic.users is empty; nobody could sign in", name)
	}
	names := make([]string, 0, len(users))
	for user := range users {
		names = append(names, user)
	}
	sort.Strings(names) // the first fault in name order, the same on every run
	for _, user := range names {
		if err := edgeauth.CheckCredential(user, users[user]); err != nil {
			return fmt.Errorf("DashSite %q: auth.basic.users: %w", name, err)
		}
	}
	return nil
}

// hashedUsers are the entries of the store storeArn, sorted by name so the input never changes order.
func hashedUsers(storeArn string, users map[string]string) []cloudfront.KeyvaluestoreKeysExclusiveResourceKeyValuePair {
	pairs := make([]cloudfront.KeyvaluestoreKeysExclusiveResourceKeyValuePair, 0, len(users))
	for user, password := range users {
		pairs = append(pairs, cloudfront.KeyvaluestoreKeysExclusiveResourceKeyValuePair{
			Key: user, Value: edgeauth.Hash(edgeauth.Salt(storeArn, user), password)})
	}
	sort.Slice(pairs, func(i, j int) bool { return pairs[i].Key < pairs[j].Key })
	return pairs
}

// viewerRequest is what a behavior of origin runs at viewer request: a CloudFront Function ARN or a
// Lambda@Edge version ARN (at most one is set; neither for S3 behaviors of a public site).
func (e *edge) viewerRequest(origin string) (functionArn, lambdaArn pulumi.StringInput) {
	switch {
	case e.auth == nil && origin == manifest.OriginS3:
		return nil, nil
	case e.auth == nil:
		return e.forwardedHost.Arn, nil
	case e.auth.oidc != nil:
		return nil, e.auth.oidc.QualifiedArn
	case origin == manifest.OriginS3:
		return e.auth.static.Arn, nil
	}
	return e.auth.server.Arn, nil
}
