package component

import (
	"fmt"
	"sort"

	"github.com/opendash/opendash/bundler/secrets"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// SecretArgs name one secret the functions read into an environment variable when they start.
type SecretArgs struct {
	Arn       pulumi.StringInput `pulumi:"arn"`
	JsonKey   string             `pulumi:"jsonKey,optional"`
	KmsKeyArn pulumi.StringInput `pulumi:"kmsKeyArn,optional"`
}

func (a *SecretArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "Secret")
	an.Describe(&a.Arn, "The full ARN of a Secrets Manager secret (with its 6-character suffix, as the console "+
		"shows it or as aws.secretsmanager.Secret's arn output) or the ARN of an SSM parameter (String or "+
		"SecureString). Read from the secret's own region.")
	an.Describe(&a.JsonKey, "Take this key of the value's JSON object (\"password\" of an RDS secret, say); a "+
		"string as it is, numbers and booleans as JSON text (5432). Default: the whole value.")
	an.Describe(&a.KmsKeyArn, "The ARN of the customer managed KMS key that encrypts the secret, when it is not "+
		"the AWS managed one: the role is granted kms:Decrypt on it through Secrets Manager or SSM only "+
		"(kms:ViaService).")
}

// checkSecrets refuses bad variable names, names environment also sets, and known ARNs of the wrong kind.
func checkSecrets(name string, args *DashSiteArgs) error {
	env, _ := args.Environment.(pulumi.StringMap)
	for _, v := range sortedKeys(args.Secrets) {
		sec := args.Secrets[v]
		if err := secrets.CheckName(v); err != nil {
			return fmt.Errorf("DashSite %q: secrets: %w", name, err)
		}
		if _, both := env[v]; both {
			return fmt.Errorf("DashSite %q: %s is in both environment and secrets; keep one", name, v)
		}
		if sec.Arn == nil {
			return fmt.Errorf("DashSite %q: secrets.%s has no arn", name, v)
		}
		if arn, ok := sec.Arn.(pulumi.String); ok {
			if _, err := secrets.ParseArn(string(arn)); err != nil {
				return fmt.Errorf("DashSite %q: secrets.%s.arn: %w", name, v, err)
			}
		}
		if key, ok := sec.KmsKeyArn.(pulumi.String); ok {
			if _, err := secrets.ParseKeyArn(string(key)); err != nil {
				return fmt.Errorf("DashSite %q: secrets.%s.kmsKeyArn: %w", name, v, err)
			}
		}
	}
	return nil
}

// resolvedSecret is one secret once its ARNs are known and checked.
type resolvedSecret struct {
	name    string
	arn     secrets.Arn
	ref     secrets.Ref
	kmsKey  string
	keyPart secrets.Arn
}

// resolvedSecrets waits for the secrets' ARNs and checks them; the list is sorted by variable name.
func resolvedSecrets(name string, s *settings) pulumi.AnyOutput {
	var inputs []any
	names := sortedKeys(s.Secrets)
	for _, v := range names {
		sec := s.Secrets[v]
		key := sec.KmsKeyArn
		if key == nil {
			key = pulumi.String("")
		}
		inputs = append(inputs, sec.Arn, key)
	}
	return pulumi.All(inputs...).ApplyT(func(vals []any) ([]resolvedSecret, error) {
		out := make([]resolvedSecret, len(names))
		for i, v := range names {
			arn, key := vals[2*i].(string), vals[2*i+1].(string)
			parsed, err := secrets.ParseArn(arn)
			if err != nil {
				return nil, fmt.Errorf("DashSite %q: secrets.%s.arn: %w", name, v, err)
			}
			out[i] = resolvedSecret{name: v, arn: parsed, ref: secrets.Ref{Arn: arn, JsonKey: s.Secrets[v].JsonKey}, kmsKey: key}
			if key != "" {
				if out[i].keyPart, err = secrets.ParseKeyArn(key); err != nil {
					return nil, fmt.Errorf("DashSite %q: secrets.%s.kmsKeyArn: %w", name, v, err)
				}
			}
		}
		return out, nil
	}).(pulumi.AnyOutput)
}

// secretsEnv is the value of OPENDASH_SECRETS: variable name to ARN and JSON key, never a value.
func secretsEnv(name string, s *settings) pulumi.StringOutput {
	return resolvedSecrets(name, s).ApplyT(func(v any) string {
		refs := map[string]secrets.Ref{}
		for _, sec := range v.([]resolvedSecret) {
			refs[sec.name] = sec.ref
		}
		return secrets.Encode(refs)
	}).(pulumi.StringOutput)
}

// secretsPolicyDoc grants exactly the reads of the named secrets: secretsmanager:GetSecretValue on each
// secret, ssm:GetParameter on each parameter, and kms:Decrypt on each customer managed key only when Secrets
// Manager or SSM (in the secret's region) uses it on the role's behalf. The function never calls KMS itself:
// the service decrypts (https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html).
func secretsPolicyDoc(name string, s *settings) pulumi.StringOutput {
	return resolvedSecrets(name, s).ApplyT(func(v any) string {
		list := v.([]resolvedSecret)
		read := map[string][]string{}
		type decrypt struct{ key, via string }
		decrypts := map[decrypt]bool{}
		for _, sec := range list {
			read[sec.arn.Service] = append(read[sec.arn.Service], sec.ref.Arn)
			if sec.kmsKey != "" {
				decrypts[decrypt{sec.kmsKey, sec.arn.Service + "." + sec.arn.Region + ".amazonaws.com"}] = true
			}
		}
		var statements []statement
		for _, g := range []struct{ service, sid, action string }{
			{secrets.SecretsManager, "ReadSecret", "secretsmanager:GetSecretValue"},
			{secrets.SSM, "ReadParameter", "ssm:GetParameter"},
		} {
			for i, arn := range uniqueSorted(read[g.service]) {
				statements = append(statements, statement{Sid: fmt.Sprintf("%s%d", g.sid, i+1), Effect: "Allow",
					Action: g.action, Resource: arn})
			}
		}
		keys := make([]decrypt, 0, len(decrypts))
		for d := range decrypts {
			keys = append(keys, d)
		}
		sort.Slice(keys, func(i, j int) bool {
			return keys[i].key < keys[j].key || keys[i].key == keys[j].key && keys[i].via < keys[j].via
		})
		for i, d := range keys {
			statements = append(statements, statement{Sid: fmt.Sprintf("DecryptSecrets%d", i+1), Effect: "Allow",
				Action: "kms:Decrypt", Resource: d.key,
				Condition: map[string]map[string]string{"StringEquals": {"kms:ViaService": d.via}}})
		}
		return policy(statements...)
	}).(pulumi.StringOutput)
}

func uniqueSorted(list []string) []string {
	sort.Strings(list)
	out := list[:0:0]
	for i, s := range list {
		if i == 0 || s != list[i-1] {
			out = append(out, s)
		}
	}
	return out
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
