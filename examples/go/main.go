// Command go is a Pulumi program that deploys ../single-page (a Dash app) with the DashSite component.
// Run `pulumi up` in this folder: it bundles the app into ../.open-dash with the Python found through
// $VIRTUAL_ENV or on PATH (install the app's requirements there), builds the server image without Docker
// (the opendash plugin pushes it: `make install-plugin` once), and deploys to the AWS account and region of
// the stack's aws configuration. Then check the deployment
// against its bundle from this folder: `$(pulumi stack output verifyCommand)` runs `open-dash verify`.
package main

import (
	"strings"

	"github.com/opendash/opendash/component"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func main() {
	pulumi.Run(func(ctx *pulumi.Context) error {
		get := func(key string) string {
			v, _ := ctx.GetConfig(ctx.Project() + ":" + key)
			return v
		}
		args := &component.DashSiteArgs{
			Source:       "../single-page",
			Architecture: get("architecture"),
		}
		args.DomainName = get("domainName")
		if zone := get("hostedZoneId"); zone != "" {
			args.HostedZoneId = pulumi.String(zone)
		}
		// Off by default: run the server (and jobs) function in a VPC to reach what is private there, a
		// database say. `pulumi preview` then names the VPC endpoints the site needs.
		//   pulumi config set vpcSubnetIds subnet-0abc,subnet-0def
		//   pulumi config set vpcSecurityGroupIds sg-0123
		if subnets := list(get("vpcSubnetIds")); len(subnets) > 0 {
			args.Vpc = &component.VpcArgs{
				SubnetIds:        pulumi.ToStringArray(subnets),
				SecurityGroupIds: pulumi.ToStringArray(list(get("vpcSecurityGroupIds"))),
			}
		}
		site, err := component.NewDashSite(ctx, "single-page", args)
		if err != nil {
			return err
		}
		ctx.Export("url", site.Url)
		ctx.Export("distributionId", site.DistributionId)
		ctx.Export("serverFunctionName", site.ServerFunctionName)
		ctx.Export("warmerFunctionName", site.WarmerFunctionName)
		ctx.Export("serverFunctionUrl", site.ServerFunctionUrl)
		ctx.Export("bucketName", site.BucketName)
		ctx.Export("verifyCommand", site.VerifyCommand)
		return nil
	})
}

// list splits a comma-separated setting, dropping empty items.
func list(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' })
}
