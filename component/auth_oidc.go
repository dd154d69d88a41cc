package component

import (
	"fmt"
	"sort"

	"github.com/opendash/opendash/component/edgeoidc"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// OidcAuthArgs configure sign-in with an OpenID Connect provider. The app client allows the authorization
// code flow (with PKCE) and the callback URL https://<site domain>/_opendash/callback.
type OidcAuthArgs struct {
	Issuer              pulumi.StringInput `pulumi:"issuer"`
	ClientId            pulumi.StringInput `pulumi:"clientId"`
	ClientSecret        pulumi.StringInput `pulumi:"clientSecret,optional" provider:"secret"`
	Scopes              []string           `pulumi:"scopes,optional"`
	AllowedEmails       []string           `pulumi:"allowedEmails,optional"`
	AllowedEmailDomains []string           `pulumi:"allowedEmailDomains,optional"`
	AllowedGroups       []string           `pulumi:"allowedGroups,optional"`
	AllowAnyUser        bool               `pulumi:"allowAnyUser,optional"`
}

func (a *OidcAuthArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "OidcAuth")
	an.Describe(&a.Issuer, "The provider's issuer URL, exactly as its ID tokens name it (Cognito: "+
		"https://cognito-idp.<region>.amazonaws.com/<user pool id>); its /.well-known/openid-configuration is read at the edge.")
	an.Describe(&a.ClientId, "The app client's id. The client allows the authorization code flow and the "+
		"callback URL https://<site domain>"+edgeoidc.CallbackPath+".")
	an.Describe(&a.ClientSecret, "The client secret, for providers whose clients must have one (Google's web "+
		"clients). A public client with PKCE needs none. It goes into a Secrets Manager secret in us-east-1 "+
		"that the edge function reads at run time, never into the function's code.")
	an.Describe(&a.Scopes, "Scopes to ask for. Default: openid email.")
	an.Describe(&a.AllowedEmails, "Users whose verified email (email_verified true) is one of these, in lower "+
		"case, may enter. Set at least one of allowedEmails, allowedEmailDomains and allowedGroups (a user "+
		"matching any of them enters), or allowAnyUser.")
	an.Describe(&a.AllowedEmailDomains, "Users whose verified email (email_verified true) is in one of these "+
		"lower-case domains may enter.")
	an.Describe(&a.AllowedGroups, "Users in one of these groups (the ID token's cognito:groups or groups claim) may enter.")
	an.Describe(&a.AllowAnyUser, "Admit everyone the provider signs in, instead of allow-lists: with Google, "+
		"every Google account; with a Cognito pool open to sign-up, anyone who signs up. Default: false (an "+
		"allow-list is required).")
}

// check refuses plain mistakes now; issuer and clientId may be outputs, checked when known.
func (a *OidcAuthArgs) check(name string) error {
	if a.Issuer == nil || a.ClientId == nil {
		return fmt.Errorf("DashSite %q: auth.oidc needs issuer and clientId", name)
	}
	if err := a.config("https://issuer.invalid", "client").Check(); err != nil {
		return fmt.Errorf("DashSite %q: auth.oidc: %w", name, err)
	}
	return nil
}

func (a *OidcAuthArgs) config(issuer, clientID string) edgeoidc.Config {
	return edgeoidc.Config{Issuer: issuer, ClientID: clientID, Scopes: a.Scopes, AllowedEmails: a.AllowedEmails,
		AllowedEmailDomains: a.AllowedEmailDomains, AllowedGroups: a.AllowedGroups, AllowAnyUser: a.AllowAnyUser}
}

// newOidcEdge deploys the sign-in function in us-east-1, its configuration baked into the package.
func newOidcEdge(ctx *pulumi.Context, name string, e *edge, s *settings, opts []pulumi.ResourceOption) (*lambda.Function, error) {
	o := s.Auth.Oidc
	role, err := newLambdaRole(ctx, name+"-edge-auth", nil, nil, retainEdge(opts, s), "edgelambda.amazonaws.com", "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	secretArn := pulumi.String("").ToStringOutput()
	var deps []pulumi.Resource
	if o.ClientSecret != nil {
		secret, err := newClientSecret(ctx, name, role, e, o.ClientSecret, s, opts)
		if err != nil {
			return nil, err
		}
		secretArn, deps = secret.arn, secret.ready
	}
	key, err := newSessionKey(ctx, name, role, e, opts)
	if err != nil {
		return nil, err
	}
	deps = append(deps, key.ready...)
	code := pulumi.All(o.Issuer, o.ClientId, secretArn, key.arn, key.version).ApplyT(func(v []any) (pulumi.Archive, error) {
		cfg := o.config(v[0].(string), v[1].(string))
		cfg.ClientSecretArn = v[2].(string)
		cfg.SessionKeyArn, cfg.SessionKeyVersion = v[3].(string), v[4].(string)
		if err := cfg.Check(); err != nil {
			return nil, fmt.Errorf("DashSite %q: auth.oidc: %w", name, err)
		}
		files := edgeoidc.Files(cfg)
		names := make([]string, 0, len(files))
		for n := range files {
			names = append(names, n)
		}
		sort.Strings(names)
		assets := map[string]any{}
		for _, n := range names {
			assets[n] = pulumi.NewStringAsset(files[n])
		}
		return pulumi.NewAssetArchive(assets), nil
	}).(pulumi.ArchiveOutput)
	// No environment: Lambda@Edge forbids it; the configuration is config.json in the package.
	return lambda.NewFunction(ctx, name+"-edge-auth", &lambda.FunctionArgs{
		Description: pulumi.String("OpenDash " + name + ": OpenID Connect sign-in in front of every path"),
		Runtime:     pulumi.String(edgeoidc.Runtime),
		Handler:     pulumi.String(edgeoidc.Handler),
		Code:        code,
		Role:        role.Arn,
		Publish:     pulumi.Bool(true), // CloudFront needs a numbered version
		MemorySize:  pulumi.Int(128),
		Timeout:     pulumi.Int(5), // the viewer-request maximum
		// Kept on delete unless deleteEdgeFunction, like the signer: Lambda refuses the delete while CloudFront
		// still has replicas, hours after the distribution lets go, which would fail `pulumi destroy`.
	}, plus(retainEdge(opts, s), pulumi.Provider(e.provider), pulumi.DependsOn(deps))...)
}

// clientSecret is the Secrets Manager secret holding the OIDC client secret.
type clientSecret struct {
	arn   pulumi.StringOutput
	ready []pulumi.Resource // the value and the role's permission to read it
}

// newClientSecret stores value (a Pulumi secret: encrypted in the state) in us-east-1, where the edge
// function's replicas read it, and lets the function's role read that one secret.
func newClientSecret(ctx *pulumi.Context, name string, role *iam.Role, e *edge, value pulumi.StringInput,
	s *settings, opts []pulumi.ResourceOption) (*clientSecret, error) {
	secret, err := secretsmanager.NewSecret(ctx, name+"-oidc-client-secret", &secretsmanager.SecretArgs{
		Description: pulumi.String("OpenDash " + name + ": the OpenID Connect client secret, read by the edge sign-in function"),
	}, plus(opts, pulumi.Provider(e.provider))...)
	if err != nil {
		return nil, err
	}
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-oidc-client-secret", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(value).(pulumi.StringOutput),
	}, plus(opts, pulumi.Provider(e.provider))...)
	if err != nil {
		return nil, err
	}
	policy, err := iam.NewRolePolicy(ctx, name+"-edge-auth-secret", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyOf(secret.Arn, readSecretPolicy),
	}, retainEdge(opts, s)...) // a role is deleted only once its policies are
	if err != nil {
		return nil, err
	}
	return &clientSecret{arn: secret.Arn, ready: []pulumi.Resource{version, policy}}, nil
}

// readSecretPolicy allows reading one secret.
func readSecretPolicy(secretArn string) string {
	return policy(statement{Sid: "ReadOidcClientSecret", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: secretArn})
}
