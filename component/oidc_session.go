package component

import (
	"github.com/opendash/opendash/component/edgeoidc"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/secretsmanager"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// IdentityHeadersEnv is set to "oidc" on the server function with auth.oidc only (see edgeoidc).
const IdentityHeadersEnv = edgeoidc.IdentityHeadersEnv

// SessionKeyLength is the length of the key that signs OIDC session cookies: letters and digits, ~380 bits.
const SessionKeyLength = 64

// sessionKey is the key the OIDC sign-in function signs its session cookies with, one version of a Secrets
// Manager secret in us-east-1 (the function names that version in its package and reads it at run time).
//
// Why there: the function's package is readable by anyone allowed lambda:GetFunction, so the key cannot be in
// it; Lambda@Edge has no environment; and a secret read by ARN works from every replica's region. Only the
// function's role may read it. How it is made without a provider plugin for randomness: Secrets Manager's
// own GetRandomPassword (an invoke, run on every deploy) gives the value, and the version ignores changes to
// its value, so it keeps the first one: the state holds the stored key (encrypted), not each run's draw.
// Rotation is a replacement of the version (`pulumi up --replace <its URN>`): the new version takes the run's
// fresh value, its id changes the function's package, CloudFront gets the new function version, and every
// session signed with the old key ends (users sign in again).
type sessionKey struct {
	arn, version pulumi.StringOutput
	ready        []pulumi.Resource // the value, and the role's permission to read it
}

func newSessionKey(ctx *pulumi.Context, name string, role *iam.Role, e *edge, opts []pulumi.ResourceOption) (*sessionKey, error) {
	inUSEast1 := pulumi.Provider(e.provider)
	secret, err := secretsmanager.NewSecret(ctx, name+"-session-key", &secretsmanager.SecretArgs{
		Description: pulumi.String("OpenDash " + name + ": the key that signs sign-in session cookies, read by the edge sign-in function"),
	}, plus(opts, inUSEast1)...)
	if err != nil {
		return nil, err
	}
	random := secretsmanager.GetRandomPasswordOutput(ctx, secretsmanager.GetRandomPasswordOutputArgs{
		PasswordLength:     pulumi.Int(SessionKeyLength),
		ExcludePunctuation: pulumi.Bool(true),
	}, inUSEast1)
	version, err := secretsmanager.NewSecretVersion(ctx, name+"-session-key", &secretsmanager.SecretVersionArgs{
		SecretId:     secret.ID(),
		SecretString: pulumi.ToSecret(random.RandomPassword()).(pulumi.StringOutput),
	}, plus(opts, inUSEast1, pulumi.IgnoreChanges([]string{"secretString"}))...)
	if err != nil {
		return nil, err
	}
	read, err := iam.NewRolePolicy(ctx, name+"-edge-auth-session-key", &iam.RolePolicyArgs{
		Role: role.Name,
		Policy: policyOf(secret.Arn, func(arn string) string {
			return policy(statement{Sid: "ReadSessionKey", Effect: "Allow", Action: "secretsmanager:GetSecretValue", Resource: arn})
		}),
	}, opts...)
	if err != nil {
		return nil, err
	}
	return &sessionKey{arn: secret.Arn, version: version.VersionId, ready: []pulumi.Resource{version, read}}, nil
}
