package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// MinWafRateLimit is the lowest limit AWS WAF accepts in a rate-based rule (requests per evaluation window).
const MinWafRateLimit = 10

// DefaultBasicAuthWafRateLimit is the rate limit a site with auth.basic gets when wafRateLimit is unset: a
// CloudFront Function can only run a fast password hash, so guesses are slowed per IP instead (to about 7 a
// second), well above what people using a Dash app send (a page load is a few dozen requests).
const DefaultBasicAuthWafRateLimit = 2000

// wafRateLimit is the limit to apply: the one given, a plain 0 meaning none (no web ACL, nil); unset, the
// default with auth.basic and none otherwise.
func wafRateLimit(args *DashSiteArgs) pulumi.IntInput {
	switch v, plain := args.WafRateLimit.(pulumi.Int); {
	case plain && v == 0:
		return nil
	case args.WafRateLimit == nil && args.Auth != nil && args.Auth.Basic != nil:
		return pulumi.Int(DefaultBasicAuthWafRateLimit)
	}
	return args.WafRateLimit
}

// newRateLimit creates a WAF web ACL (scope CLOUDFRONT, hence us-east-1) whose one rule blocks an IP address
// for as long as it sends more than s.WafRateLimit requests in 5 minutes; everything else is allowed. It
// returns the ACL's ARN, which the distribution names (WAFv2 ACLs are referred to by ARN, not id).
func newRateLimit(ctx *pulumi.Context, name string, provider *aws.Provider, accountChecked pulumi.StringOutput, s *settings,
	opts []pulumi.ResourceOption) (pulumi.StringOutput, error) {
	metric := func(suffix string) pulumi.String { return pulumi.String(name + "-" + suffix) }
	acl, err := wafv2.NewWebAcl(ctx, name+"-waf", with(s.transform.WebAcl, &wafv2.WebAclArgs{
		Description:   after(accountChecked, "OpenDash "+name+": per-IP rate limit"),
		Scope:         pulumi.String("CLOUDFRONT"),
		DefaultAction: &wafv2.WebAclDefaultActionArgs{Allow: &wafv2.WebAclDefaultActionAllowArgs{}},
		Rules: wafv2.WebAclRuleArray{&wafv2.WebAclRuleArgs{
			Name:     pulumi.String("rate-limit-per-ip"),
			Priority: pulumi.Int(0),
			Action:   &wafv2.WebAclRuleActionArgs{Block: &wafv2.WebAclRuleActionBlockArgs{}},
			Statement: &wafv2.WebAclRuleStatementArgs{
				RateBasedStatement: &wafv2.WebAclRuleStatementRateBasedStatementArgs{
					Limit:               checkedInt(name, s.WafRateLimit, wafRateLimitRange),
					AggregateKeyType:    pulumi.String("IP"),
					EvaluationWindowSec: pulumi.Int(300),
				},
			},
			VisibilityConfig: &wafv2.WebAclRuleVisibilityConfigArgs{
				CloudwatchMetricsEnabled: pulumi.Bool(true),
				MetricName:               metric("rate-limit"),
				SampledRequestsEnabled:   pulumi.Bool(true),
			},
		}},
		VisibilityConfig: &wafv2.WebAclVisibilityConfigArgs{
			CloudwatchMetricsEnabled: pulumi.Bool(true),
			MetricName:               metric("waf"),
			SampledRequestsEnabled:   pulumi.Bool(true),
		},
	}), plus(opts, pulumi.Provider(provider))...)
	if err != nil {
		return pulumi.StringOutput{}, err
	}
	return acl.Arn, nil
}
