package component

import (
	"fmt"
	"strings"

	"github.com/opendash/opendash/bundler/secrets"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// A function in a VPC reaches AWS APIs only through a NAT gateway or VPC endpoints (DESIGN.md §3). With vpc
// set, the component warns once per endpoint what it deploys needs: the secrets' services, read at start-up,
// and for background callbacks S3 (the job store) and Lambda (job starts). KMS needs none: Secrets Manager and
// SSM call it themselves. The warmer and the edge functions are not in the VPC: they call the server through
// Lambda's Invoke API and its function URL, which Lambda serves whatever the function's network.

// warn reports a warning on the component; tests replace it (the mock engine drops log messages).
var warn = func(ctx *pulumi.Context, site pulumi.Resource, msg string) {
	_ = ctx.Log.Warn(msg, &pulumi.LogArgs{Resource: site})
}

// warnVpcEndpoints warns, with vpc set, about every VPC endpoint the site needs, once the region and the
// secrets' ARNs are known (at preview for ARNs given as strings).
func warnVpcEndpoints(ctx *pulumi.Context, name string, site pulumi.Resource, b *siteBundle, s *settings) {
	if s.Vpc == nil {
		return
	}
	region := aws.GetRegionOutput(ctx, aws.GetRegionOutputArgs{}, pulumi.Parent(site)).Name()
	jobs := len(b.manifest.App.BackgroundCallbacks) > 0
	services := pulumi.ToOutput([]resolvedSecret(nil)).(pulumi.AnyOutput)
	if len(s.Secrets) > 0 {
		services = resolvedSecrets(name, s)
	}
	// The program's run (RunErr, the engine's) waits only for outputs of its context: those a resource or an
	// invoke of ctx made, and what is derived from them. The region's lookup (pulumi-aws wraps ctx's invoke in
	// an apply of plain arguments) and the other inputs are not, so the site's URN ties the apply to ctx:
	// without it the run could end, and drop the warnings, before they were logged.
	pulumi.All(site.URN(), region, services, actionServices(s.PolicyStatements)).ApplyT(func(a []any) int {
		for _, msg := range endpointWarnings(name, a[1].(string), a[2].([]resolvedSecret), jobs, a[3].([]string)) {
			warn(ctx, site, msg)
		}
		return 0
	})
}

// endpointWarnings are the messages for a site in region: one per endpoint, then one for the app's own calls.
func endpointWarnings(name, region string, secretList []resolvedSecret, jobs bool, appServices []string) []string {
	route := "or a NAT gateway; without a route %s"
	interfaceEndpoint := func(service string) string {
		return fmt.Sprintf("the interface VPC endpoint com.amazonaws.%s.%s (private DNS on, in the functions' subnets, "+
			"its security group admitting HTTPS from the functions' security groups) ", region, service)
	}
	var out []string
	say := func(format string, args ...any) {
		out = append(out, fmt.Sprintf("DashSite %q runs its functions in a VPC: ", name)+fmt.Sprintf(format, args...))
	}
	seen := map[string]bool{}
	for _, sec := range secretList {
		key := sec.arn.Service + " " + sec.arn.Region
		if seen[key] {
			continue
		}
		seen[key] = true
		what := map[string]string{secrets.SecretsManager: "Secrets Manager", secrets.SSM: "SSM Parameter Store"}[sec.arn.Service]
		if sec.arn.Region != region {
			say("the secrets in %s are read from %s in %s at start-up: a function in %s reaches another region's "+
				"API only through a NAT gateway; without one the functions fail to start", what, what, sec.arn.Region, region)
			continue
		}
		say("the secrets in %s are read at start-up: they need "+interfaceEndpoint(sec.arn.Service)+route, what,
			"the functions fail to start within seconds, naming this endpoint in their logs")
	}
	if jobs {
		say("background callbacks keep their jobs in S3: the functions need the gateway VPC endpoint "+
			"com.amazonaws.%s.s3 (free, in the route tables of the functions' subnets) "+route, region,
			"every background callback fails")
		say("background callbacks start each job with Lambda's Invoke: the server function needs "+
			interfaceEndpoint("lambda")+route, "every background callback fails")
	}
	if len(appServices) > 0 {
		say("the app's own calls to %s (policyStatements) need their VPC endpoints (com.amazonaws.%s.SERVICE; "+
			"gateway endpoints for s3 and dynamodb) or a NAT gateway", strings.Join(appServices, ", "), region)
	}
	return out
}

// actionServices are the services the statements' actions name ("s3" for s3:GetObject), sorted.
func actionServices(in pulumi.MapArrayInput) pulumi.StringArrayOutput {
	if in == nil {
		return pulumi.ToStringArrayOutput(nil)
	}
	return in.ToMapArrayOutput().ApplyT(func(statements []map[string]any) []string {
		set := map[string]bool{}
		for _, st := range statements {
			if st["Effect"] != "Allow" {
				continue
			}
			actions, _ := strings1(st["Action"])
			for _, a := range actions {
				if service, _, ok := strings.Cut(a, ":"); ok {
					set[service] = true
				}
			}
		}
		return sortedKeys(set)
	}).(pulumi.StringArrayOutput)
}
