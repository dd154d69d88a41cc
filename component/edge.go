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
	// serverOAC signs CloudFront's requests to the function URL instead of signer (originAuth "oac").
	serverOAC *cloudfront.OriginAccessControl
	// auth checks every viewer request, and sets X-Forwarded-Host in place of forwardedHost (nil with auth off).
	auth *viewerAuth
}

// newEdge creates the signer in us-east-1 once accountChecked resolves (see checkEdgeAccount).
func newEdge(ctx *pulumi.Context, name string, provider *aws.Provider, accountChecked pulumi.StringOutput, server *serverFunction,
	s *settings, opts []pulumi.ResourceOption) (*edge, error) {
	t := &s.transform
	// Lambda@Edge runs replicas under the edgelambda principal; lambda.amazonaws.com creates the function.
	// The role goes (or stays) with the function: see retainEdge.
	role, err := newLambdaRole(ctx, name+"-edge-signer", t.EdgeRole, t.EdgeBasicExecution, retainEdge(opts, s),
		"edgelambda.amazonaws.com", "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	invoke, err := iam.NewRolePolicy(ctx, name+"-edge-signer-invoke", with(t.EdgeRolePolicy, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyOf(server.target.Arn, edgeInvokePolicy),
	}), retainEdge(opts, s)...)
	if err != nil {
		return nil, err
	}
	// No environment: Lambda@Edge forbids it. The signer reads the role's credentials Lambda provides.
	// Retained on delete unless asked otherwise: Lambda refuses to delete a function while CloudFront still
	// has replicas of it, which lasts hours after the distribution lets go, so a delete would fail `pulumi
	// destroy` (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-edge-delete-replicas.html).
	signer, err := lambda.NewFunction(ctx, name+"-edge-signer", with(t.EdgeFunction, &lambda.FunctionArgs{
		Description: after(accountChecked, "OpenDash "+name+": signs CloudFront's requests to the server function URL"),
		Runtime:     pulumi.String(edgesigner.Runtime),
		Handler:     pulumi.String(edgesigner.Handler),
		Code: pulumi.NewAssetArchive(map[string]any{
			edgesigner.FileName: pulumi.NewStringAsset(edgesigner.Source),
		}),
		Role:       role.Arn,
		Publish:    pulumi.Bool(true), // CloudFront needs a numbered version, never $LATEST
		MemorySize: pulumi.Int(128),
		Timeout:    pulumi.Int(5),
	}), plus(retainEdge(opts, s), pulumi.Provider(provider), pulumi.DependsOn([]pulumi.Resource{invoke}))...)
	if err != nil {
		return nil, err
	}
	e := &edge{provider: provider, signer: signer}
	if err := addViewerFunctions(ctx, name, e, s, opts); err != nil {
		return nil, err
	}
	return e, nil
}

// after is value once gate resolves, and fails with gate: a resource given it waits for the gate.
func after(gate pulumi.StringOutput, value string) pulumi.StringOutput {
	return gate.ApplyT(func(string) string { return value }).(pulumi.StringOutput)
}

// retainEdge is opts plus, unless deleteEdgeFunction, retain on delete: for an edge function, and for its
// role and the role's policies, so that what destroy leaves in us-east-1 (the function, until CloudFront's
// replicas are gone) still has the role it runs as.
func retainEdge(opts []pulumi.ResourceOption, s *settings) []pulumi.ResourceOption {
	return plus(opts, pulumi.RetainOnDelete(!s.DeleteEdgeFunction))
}
