package component

import (
	"github.com/opendash/opendash/component/edgesigner"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// EdgeRegion is where Lambda@Edge functions and CloudFront's ACM certificates must live.
const EdgeRegion = "us-east-1"

// edge holds what runs at CloudFront's edge in front of the server function.
type edge struct {
	provider *aws.Provider // us-east-1, also used for the custom domain's certificate
	signer   *lambda.Function
	// forwardedHost copies Host to X-Forwarded-Host on viewer requests for the server behaviors (auth off).
	forwardedHost *cloudfront.Function
	auth          *viewerAuth // nil with auth off
}

// newEdgeProvider is an AWS provider pinned to us-east-1. An explicit provider does not read the stack's
// aws:* configuration, so the profile is carried over; Transform.EdgeProvider can set anything else.
func newEdgeProvider(ctx *pulumi.Context, name string, s *settings, opts []pulumi.ResourceOption) (*aws.Provider, error) {
	args := &aws.ProviderArgs{Region: pulumi.String(EdgeRegion)}
	if profile, ok := ctx.GetConfig("aws:profile"); ok && profile != "" {
		args.Profile = pulumi.String(profile)
	}
	return aws.NewProvider(ctx, name+"-"+EdgeRegion, with(s.transform.EdgeProvider, args), opts...)
}

func newEdge(ctx *pulumi.Context, name string, provider *aws.Provider, server *serverFunction, s *settings, opts []pulumi.ResourceOption) (*edge, error) {
	t := &s.transform
	// Lambda@Edge runs replicas under the edgelambda principal; lambda.amazonaws.com creates the function.
	role, err := newLambdaRole(ctx, name+"-edge-signer", t.EdgeRole, t.EdgeBasicExecution, opts,
		"edgelambda.amazonaws.com", "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	_, err = iam.NewRolePolicy(ctx, name+"-edge-signer-invoke", with(t.EdgeRolePolicy, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyOf(server.function.Arn, edgeInvokePolicy),
	}), opts...)
	if err != nil {
		return nil, err
	}
	// No environment: Lambda@Edge forbids it. The signer reads the role's credentials Lambda provides.
	signer, err := lambda.NewFunction(ctx, name+"-edge-signer", with(t.EdgeFunction, &lambda.FunctionArgs{
		Description: pulumi.String("OpenDash " + name + ": signs CloudFront's requests to the server function URL"),
		Runtime:     pulumi.String(edgesigner.Runtime),
		Handler:     pulumi.String(edgesigner.Handler),
		Code: pulumi.NewAssetArchive(map[string]any{
			edgesigner.FileName: pulumi.NewStringAsset(edgesigner.Source),
		}),
		Role:       role.Arn,
		Publish:    pulumi.Bool(true), // CloudFront needs a numbered version, never $LATEST
		MemorySize: pulumi.Int(128),
		Timeout:    pulumi.Int(5),
	}), plus(opts, pulumi.Provider(provider))...)
	if err != nil {
		return nil, err
	}
	e := &edge{provider: provider, signer: signer}
	if s.Auth != nil {
		e.auth, err = newViewerAuth(ctx, name, e, s, opts)
		return e, err
	}
	e.forwardedHost, err = cloudfront.NewFunction(ctx, name+"-forwarded-host", with(t.ForwardedHostFunction,
		&cloudfront.FunctionArgs{
			Comment: pulumi.String("OpenDash: copy the viewer's Host to X-Forwarded-Host"),
			Runtime: pulumi.String("cloudfront-js-2.0"),
			Code:    pulumi.String(forwardedHostJS),
			Publish: pulumi.Bool(true),
		}), opts...)
	if err != nil {
		return nil, err
	}
	return e, nil
}
