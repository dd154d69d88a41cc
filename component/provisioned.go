package component

import (
	"fmt"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// ServerAliasName is the alias that carries the server's provisioned concurrency. Stable, so the function
// URL (bound to it) keeps its address across deploys while the alias moves to each new version.
const ServerAliasName = "live"

// invokeTarget is what calls the server go through: the function, plus the alias when provisioned
// concurrency is on (calls to the bare function would run on $LATEST, never on the provisioned instances).
// Code that grants or makes calls to the server (IAM policies, lambda.Permission, the warmer) takes it
// from here rather than from the function, so it follows the alias when there is one.
type invokeTarget struct {
	// Function is the function's name.
	Function pulumi.StringOutput
	// Qualifier is the alias name, or nil without provisioned concurrency.
	Qualifier pulumi.StringPtrInput
	// Name is what the Invoke API takes: the function's name, or name:alias.
	Name pulumi.StringOutput
	// Arn is the alias ARN with provisioned concurrency, else the function's ARN: the IAM resource to grant
	// lambda:InvokeFunction and lambda:InvokeFunctionUrl on, and a name the Invoke API accepts.
	Arn pulumi.StringOutput
}

// permission fills a lambda.Permission's Function and Qualifier with the target, so a resource-based grant
// (e.g. CloudFront's origin access control) lands on the alias when there is one.
func (t invokeTarget) permission(args *lambda.PermissionArgs) *lambda.PermissionArgs {
	args.Function = t.Function
	args.Qualifier = t.Qualifier
	return args
}

// provisionedServer reports whether the server is published, with an alias holding provisioned instances.
func provisionedServer(s *settings) bool { return s.ProvisionedConcurrency > 0 }

// newServerAlias points the "live" alias at the function's newest version and provisions instances on it.
// Lambda starts them (running the handler's module import, where the app loads) before the alias serves
// traffic on a new version, so visitors never meet a cold start while traffic stays within them.
func newServerAlias(ctx *pulumi.Context, name string, fn *lambda.Function, s *settings, opts []pulumi.ResourceOption) (*lambda.Alias, error) {
	t := &s.transform
	alias, err := lambda.NewAlias(ctx, name+"-server-alias", with(t.ServerAlias, &lambda.AliasArgs{
		Description:     pulumi.String("OpenDash " + name + ": the version with provisioned instances"),
		FunctionName:    fn.Name,
		FunctionVersion: fn.Version,
		Name:            pulumi.String(ServerAliasName),
	}), opts...) // no routingConfig: each update sends none, which clears what Lambda set mid-move (aliaswait.go)
	if err != nil {
		return nil, err
	}
	settled, err := newAliasWait(ctx, name, fn, alias, s, opts)
	if err != nil {
		return nil, err
	}
	_, err = lambda.NewProvisionedConcurrencyConfig(ctx, name+"-server-provisioned", with(t.ServerProvisionedConcurrency,
		&lambda.ProvisionedConcurrencyConfigArgs{
			FunctionName:                    fn.Name,
			Qualifier:                       alias.Name,
			ProvisionedConcurrentExecutions: provisionedConcurrency(name, s),
		}), plus(opts, pulumi.DependsOn([]pulumi.Resource{settled}))...)
	if err != nil {
		return nil, err
	}
	return alias, nil
}

// provisionedConcurrency is the number of provisioned instances, failing once a reservedConcurrency known
// only at deploy time turns out lower (Lambda would refuse the config with a less helpful message).
func provisionedConcurrency(name string, s *settings) pulumi.IntOutput {
	n := s.ProvisionedConcurrency
	if s.ReservedConcurrency == nil {
		return pulumi.Int(n).ToIntOutput()
	}
	return s.ReservedConcurrency.ToIntOutput().ApplyT(func(reserved int) (int, error) {
		return n, checkProvisionedFits(name, n, reserved)
	}).(pulumi.IntOutput)
}

// checkProvisioned checks provisionedConcurrency alone and against a plain reservedConcurrency.
func checkProvisioned(name string, args *DashSiteArgs) error {
	n := args.ProvisionedConcurrency
	if n < 0 || n > provisionedConcurrencyMax {
		return fmt.Errorf("DashSite %q: provisionedConcurrency is %d, outside 0..%d: 0 (the default) provisions "+
			"nothing; Lambda's regional concurrency quota bounds it further", name, n, provisionedConcurrencyMax)
	}
	if reserved, ok := args.ReservedConcurrency.(pulumi.Int); ok && n > 0 {
		return checkProvisionedFits(name, n, int(reserved))
	}
	return nil
}

// provisionedConcurrencyMax matches reservedConcurrency's upper bound; the account quota is the real limit.
const provisionedConcurrencyMax = 1_000_000

func checkProvisionedFits(name string, provisioned, reserved int) error {
	if provisioned > reserved {
		return fmt.Errorf("DashSite %q: provisionedConcurrency %d is above reservedConcurrency %d: Lambda provisions "+
			"instances out of the function's reserved concurrency; raise reservedConcurrency to at least %d or "+
			"lower provisionedConcurrency", name, provisioned, reserved, provisioned)
	}
	return nil
}
