// Package component is the DashSite Pulumi component: it bundles a Dash app (or takes an existing
// .open-dash bundle) and deploys it to AWS as a private S3 bucket and a container Lambda behind one
// CloudFront distribution, with a Lambda@Edge signer (or, with originAuth "oac", CloudFront origin access
// control) in front of the Lambda's IAM-protected function URL, an optional warmer and an optional custom
// domain. Everything it deploys follows the bundle's manifest.
package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Token is the component's Pulumi type token.
const Token = "opendash:index:DashSite"

// AWSPackageVersion is the pulumi-aws version in go.mod. The resource outputs' `provider:"type=..."` tags
// repeat it (Go tags must be constants): the schema refers to /aws/<version>/schema.json for their types, and
// the provider's tests fail when it drifts from the module actually built in.
const AWSPackageVersion = "6.83.4"

// DashSite is a deployed Dash app. Its fields are the component's outputs.
type DashSite struct {
	pulumi.ResourceState

	Url                pulumi.StringOutput    `pulumi:"url"`
	DistributionId     pulumi.StringOutput    `pulumi:"distributionId"`
	BucketName         pulumi.StringOutput    `pulumi:"bucketName"`
	ServerFunctionName pulumi.StringOutput    `pulumi:"serverFunctionName"`
	ServerFunctionUrl  pulumi.StringOutput    `pulumi:"serverFunctionUrl"`
	ImageUri           pulumi.StringOutput    `pulumi:"imageUri"`
	WarmerFunctionName pulumi.StringPtrOutput `pulumi:"warmerFunctionName,optional"`
	VerifyCommand      pulumi.StringOutput    `pulumi:"verifyCommand"`

	// The main child resources, as resource references: other languages get typed pulumi-aws objects
	// (site.bucket.arn, site.distribution.domainName) instead of re-reading them by name.
	Bucket         s3.BucketV2Output             `pulumi:"bucket" provider:"type=aws@6.83.4:s3/bucketV2:BucketV2"`
	Distribution   cloudfront.DistributionOutput `pulumi:"distribution" provider:"type=aws@6.83.4:cloudfront/distribution:Distribution"`
	ServerFunction lambda.FunctionOutput         `pulumi:"serverFunction" provider:"type=aws@6.83.4:lambda/function:Function"`
}

// Annotate documents the component and its outputs for the generated schema.
func (d *DashSite) Annotate(a infer.Annotator) {
	a.SetToken("index", "DashSite")
	a.Describe(d, "A Plotly Dash app on AWS: static files in a private S3 bucket and the app in a container "+
		"Lambda, behind one CloudFront distribution whose routes come from the OpenDash bundle's manifest.")
	a.Describe(&d.Url, "The site's URL: https:// and the custom domain, or the distribution's domain.")
	a.Describe(&d.DistributionId, "The CloudFront distribution's id.")
	a.Describe(&d.BucketName, "The private S3 bucket holding the static files.")
	a.Describe(&d.ServerFunctionName, "The server Lambda function's name.")
	a.Describe(&d.ServerFunctionUrl, "The server function's URL (AWS_IAM auth: only CloudFront may call it, "+
		"through the edge signer or, with originAuth \"oac\", its origin access control).")
	a.Describe(&d.ImageUri, "The server image the server function runs, by digest: repository@sha256:<digest>.")
	a.Describe(&d.WarmerFunctionName, "The warmer Lambda function's name, when the warmer is on.")
	a.Describe(&d.VerifyCommand, "The `open-dash verify` command that checks this deployment against its bundle "+
		"(static files, routes, a callback, closed function URL and bucket); run it from the Pulumi project's folder. "+
		"With auth.oidc it carries --oidc: the checks that need no sign-in.")
	a.Describe(&d.Bucket, "The private S3 bucket holding the static files (read by CloudFront only).")
	a.Describe(&d.Distribution, "The CloudFront distribution that serves the site.")
	a.Describe(&d.ServerFunction, "The server Lambda function running the Dash app (container image).")
}

// NewDashSite bundles args.Source (or reads args.BundleDir) and deploys the bundle. Every child resource is
// parented to the component, so the component's options (providers, protect, transforms) reach them.
func NewDashSite(ctx *pulumi.Context, name string, args *DashSiteArgs, opts ...pulumi.ResourceOption) (*DashSite, error) {
	s, err := resolve(name, args)
	if err != nil {
		return nil, err
	}
	site := &DashSite{}
	if err := ctx.RegisterComponentResource(Token, name, site, opts...); err != nil {
		return nil, err
	}
	b, err := loadBundle(ctx, site, name, s)
	if err != nil {
		return nil, err
	}
	children := []pulumi.ResourceOption{pulumi.Parent(site)}

	static, err := newStaticSite(ctx, name, b, s, children)
	if err != nil {
		return nil, err
	}
	server, err := newServerFunction(ctx, name, b, s, children)
	if err != nil {
		return nil, err
	}
	warnVpcEndpoints(ctx, name, site, b, s)
	var edgeProvider *aws.Provider
	var edgeAccount pulumi.StringOutput
	if needsEdgeProvider(s) {
		if edgeProvider, err = newEdgeProvider(ctx, name, s, children); err != nil {
			return nil, err
		}
		// Everything created through the us-east-1 provider waits for the account check.
		edgeAccount = checkEdgeAccount(ctx, name, site, edgeProvider)
	}
	e, err := newOriginAuth(ctx, name, edgeProvider, edgeAccount, server, s, children)
	if err != nil {
		return nil, err
	}
	var certificateArn pulumi.StringInput
	if s.DomainName != "" {
		if certificateArn, err = newCertificate(ctx, name, edgeProvider, edgeAccount, s, children); err != nil {
			return nil, err
		}
	}
	var webACL pulumi.StringInput
	if s.WafRateLimit != nil {
		if webACL, err = newRateLimit(ctx, name, edgeProvider, edgeAccount, s, children); err != nil {
			return nil, err
		}
	}
	distOpts := children
	if s.EdgeLogRetentionDays != nil {
		groups, err := newEdgeLogGroups(ctx, name, e, s, children)
		if err != nil {
			return nil, err
		}
		// No request reaches the signer before its log groups exist, or Lambda@Edge would make its own.
		distOpts = plus(children, pulumi.DependsOn(groups))
	}
	dist, err := newDistribution(ctx, name, b, static, server, e, certificateArn, webACL, s, distOpts)
	if err != nil {
		return nil, err
	}
	if err := newBucketPolicy(ctx, name, static, dist, s, children); err != nil {
		return nil, err
	}
	if err := newServerPermissions(ctx, name, server, dist, s, children); err != nil {
		return nil, err
	}
	if err := newSiteSync(ctx, name, b, static, dist, s, children); err != nil {
		return nil, err
	}
	site.WarmerFunctionName = pulumi.String("").ToStringOutput().ApplyT(func(string) *string { return nil }).(pulumi.StringPtrOutput)
	if b.warmerOn(s) {
		w, err := newWarmer(ctx, name, b, server, s, children)
		if err != nil {
			return nil, err
		}
		site.WarmerFunctionName = w.Name.ToStringPtrOutput()
	}
	if s.DomainName != "" {
		if err := newAliasRecords(ctx, name, dist, s, children); err != nil {
			return nil, err
		}
		// Derived from the distribution (not a bare constant): the URL is live once the distribution is, and an
		// output tied to a resource is one Pulumi waits for.
		site.Url = dist.DomainName.ApplyT(func(string) string { return "https://" + s.DomainName }).(pulumi.StringOutput)
	} else {
		site.Url = pulumi.Sprintf("https://%s", dist.DomainName)
	}
	site.DistributionId = dist.ID().ToStringOutput()
	site.BucketName = static.bucket.Bucket
	site.ServerFunctionName = server.function.Name
	site.ServerFunctionUrl = server.url.FunctionUrl
	site.ImageUri = server.imageUri
	site.Bucket = static.bucket.ToBucketV2Output()
	site.Distribution = dist.ToDistributionOutput()
	site.ServerFunction = server.function.ToFunctionOutput()
	site.VerifyCommand = verifyCommand(site.Url, b.path("."), site.ServerFunctionUrl, static.bucket.BucketRegionalDomainName,
		s.Auth != nil && s.Auth.Oidc != nil)

	return site, ctx.RegisterResourceOutputs(site, pulumi.Map{
		"url":                site.Url,
		"distributionId":     site.DistributionId,
		"bucketName":         site.BucketName,
		"serverFunctionName": site.ServerFunctionName,
		"serverFunctionUrl":  site.ServerFunctionUrl,
		"imageUri":           site.ImageUri,
		"warmerFunctionName": site.WarmerFunctionName,
		"bucket":             site.Bucket,
		"distribution":       site.Distribution,
		"serverFunction":     site.ServerFunction,
		"verifyCommand":      site.VerifyCommand,
	})
}

// plus returns opts followed by more, without writing into opts' backing array (it is shared).
func plus(opts []pulumi.ResourceOption, more ...pulumi.ResourceOption) []pulumi.ResourceOption {
	out := make([]pulumi.ResourceOption, 0, len(opts)+len(more))
	return append(append(out, opts...), more...)
}
