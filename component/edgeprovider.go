package component

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The edge function and the custom domain's certificate must live in us-east-1, so the component creates an
// AWS provider there. It must act as the same identity, in the same account, as the provider of the rest of
// the site: CloudFront takes Lambda@Edge functions only from the distribution's own account.

// alwaysSecret are aws:* settings kept secret in the provider's state even when not set with --secret.
var alwaysSecret = map[string]bool{"accessKey": true, "secretKey": true, "token": true}

// newEdgeProvider is an AWS provider pinned to us-east-1 with every other aws:* setting of the stack
// configuration (profile, assumeRole, static keys, shared files, defaultTags, endpoints, retries, ...).
// An explicit provider passed to the component cannot be read here (a Go program cannot see a provider
// resource's inputs): checkEdgeAccount catches the case where it resolves to another account, and
// Transform.EdgeProvider (Go) or a `transforms` entry for pulumi:providers:aws (other languages) adjusts it.
func newEdgeProvider(ctx *pulumi.Context, name string, s *settings, opts []pulumi.ResourceOption) (*aws.Provider, error) {
	args, err := edgeProviderArgs(ctx)
	if err != nil {
		return nil, fmt.Errorf("DashSite %q: %w", name, err)
	}
	return aws.NewProvider(ctx, name+"-"+EdgeRegion, with(s.transform.EdgeProvider, args), opts...)
}

// edgeProviderArgs copies each aws:<key> of the configuration into the provider argument of the same name,
// found by reflection over pulumi-aws's own provider arguments so that no setting is forgotten.
func edgeProviderArgs(ctx *pulumi.Context) (*aws.ProviderArgs, error) {
	args := &aws.ProviderArgs{}
	target := reflect.ValueOf(args).Elem()
	plain := args.ElementType() // pulumi-aws's plain provider arguments, tagged with the config key names
	for i := 0; i < plain.NumField(); i++ {
		field := plain.Field(i)
		key, _, _ := strings.Cut(field.Tag.Get("pulumi"), ",")
		raw, ok := ctx.GetConfig("aws:" + key)
		if key == "" || key == "region" || !ok {
			continue
		}
		value, err := decodeSetting(raw, field.Type)
		if err != nil {
			return nil, fmt.Errorf("stack configuration aws:%s = %q cannot be read as the AWS provider's %s "+
				"(%v); fix it with `pulumi config set aws:%s ...`", key, redact(key, raw), field.Type, err, key)
		}
		out := pulumi.ToOutput(value)
		if alwaysSecret[key] || ctx.IsConfigSecret("aws:"+key) {
			out = pulumi.ToSecret(out)
		}
		dst := target.FieldByName(field.Name)
		if !dst.IsValid() || !reflect.TypeOf(out).AssignableTo(dst.Type()) {
			return nil, fmt.Errorf("aws:%s: pulumi-aws's provider arguments changed shape (%T for %s); "+
				"set the us-east-1 provider with Transform.EdgeProvider", key, out, field.Name)
		}
		dst.Set(reflect.ValueOf(out))
	}
	args.Region = pulumi.String(EdgeRegion)
	return args, nil
}

// decodeSetting turns a config value into a value of type t: strings as they are, anything else as JSON
// (how Pulumi stores booleans, numbers, lists and objects); a list of strings may also be one plain string.
func decodeSetting(raw string, t reflect.Type) (any, error) {
	v := reflect.New(t)
	if t.Kind() == reflect.Pointer && t.Elem().Kind() == reflect.String {
		s := raw
		v.Elem().Set(reflect.ValueOf(&s))
		return v.Elem().Interface(), nil
	}
	if err := json.Unmarshal([]byte(raw), v.Interface()); err != nil {
		if t == reflect.TypeOf([]string(nil)) {
			return []string{raw}, nil
		}
		return nil, err
	}
	return v.Elem().Interface(), nil
}

func redact(key, raw string) string {
	if alwaysSecret[key] {
		return "[secret]"
	}
	return raw
}

// checkEdgeAccount asks STS, through the component's own provider and through the us-east-1 provider, which
// account each acts in. The returned output fails, naming both accounts, when they differ; resources created
// through the us-east-1 provider wait for it, so nothing lands in the wrong account.
func checkEdgeAccount(ctx *pulumi.Context, name string, site pulumi.Resource, edge *aws.Provider) pulumi.StringOutput {
	home := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Parent(site)).AccountId()
	east := aws.GetCallerIdentityOutput(ctx, aws.GetCallerIdentityOutputArgs{}, pulumi.Provider(edge)).AccountId()
	return pulumi.All(home, east).ApplyT(func(v []any) (string, error) {
		if v[0] != v[1] {
			return "", fmt.Errorf("DashSite %q: the site's AWS provider acts in account %s but the us-east-1 "+
				"provider (for the Lambda@Edge function and the certificate, which CloudFront needs in the "+
				"distribution's account) acts in account %s. The us-east-1 provider copies every aws:* setting of "+
				"the stack configuration but the region and cannot read an explicit provider's settings: use the "+
				"same credentials in the stack configuration, or set the us-east-1 provider's with "+
				"Transform.EdgeProvider (Go) or a `transforms` entry for pulumi:providers:aws (other languages)",
				name, v[0], v[1])
		}
		return v[0].(string), nil
	}).(pulumi.StringOutput)
}
