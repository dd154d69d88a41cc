package component

import (
	"fmt"
	"regexp"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RegionalEdgeCacheRegions are the AWS regions with CloudFront regional edge caches, where Lambda@Edge
// origin-request functions run and so write their logs (list as of 2022; AWS may add regions).
var RegionalEdgeCacheRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2", "ap-south-1", "ap-northeast-1", "ap-northeast-2",
	"ap-southeast-1", "ap-southeast-2", "eu-central-1", "eu-west-1", "eu-west-2", "sa-east-1",
}

var regionName = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)

// edgeLogRegions are the regions edge log groups are made in: the user's list, else the regional edge caches.
func edgeLogRegions(name string, s *settings) ([]string, error) {
	if len(s.EdgeLogRegions) == 0 {
		return RegionalEdgeCacheRegions, nil
	}
	seen := map[string]bool{}
	for _, r := range s.EdgeLogRegions {
		if !regionName.MatchString(r) || seen[r] {
			return nil, fmt.Errorf("DashSite %q: edgeLogRegions: %q is not an AWS region name (like eu-west-1) or "+
				"is listed twice", name, r)
		}
		seen[r] = true
	}
	return s.EdgeLogRegions, nil
}

// newEdgeLogGroups creates, in each region, the log group Lambda@Edge writes each edge function's logs to
// (/aws/lambda/us-east-1.<function name>: the signer's, and the OIDC sign-in's) with s.EdgeLogRetentionDays.
// Left to Lambda@Edge, each is created on first use, keeps logs forever and outlives the stack
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/edge-functions-logs.html). The
// distribution waits for these, so on a new stack they exist before any request; a group Lambda@Edge already
// made must be imported (`pulumi import`) or deleted first.
func newEdgeLogGroups(ctx *pulumi.Context, name string, e *edge, s *settings, opts []pulumi.ResourceOption) ([]pulumi.Resource, error) {
	regions, err := edgeLogRegions(name, s)
	if err != nil {
		return nil, err
	}
	functions := map[string]*lambda.Function{"-edge-logs-": e.signer} // resource name part -> edge function
	if e.auth != nil {
		functions["-edge-auth-logs-"] = e.auth.oidc
	}
	var groups []pulumi.Resource
	for _, region := range regions {
		args, err := edgeProviderArgs(ctx)
		if err != nil {
			return nil, fmt.Errorf("DashSite %q: %w", name, err)
		}
		args = with(s.transform.EdgeProvider, args)
		args.Region = pulumi.String(region)
		provider, err := aws.NewProvider(ctx, name+"-logs-"+region, args, opts...)
		if err != nil {
			return nil, err
		}
		for _, part := range []string{"-edge-logs-", "-edge-auth-logs-"} {
			fn := functions[part]
			if fn == nil {
				continue
			}
			group := fn.Name.ApplyT(func(n string) string { return "/aws/lambda/" + EdgeRegion + "." + n }).(pulumi.StringOutput)
			g, err := cloudwatch.NewLogGroup(ctx, name+part+region, with(s.transform.EdgeLogGroup, &cloudwatch.LogGroupArgs{
				Name:            group,
				RetentionInDays: s.EdgeLogRetentionDays.ToIntOutput().ToIntPtrOutput(),
			}), plus(opts, pulumi.Provider(provider))...)
			if err != nil {
				return nil, err
			}
			groups = append(groups, g)
		}
	}
	return groups, nil
}
