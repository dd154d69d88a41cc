package component

import (
	"strconv"

	"github.com/opendash/opendash/bundler/warmer"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// warmerTimeout covers the warmer's 60 s wait for each server answer plus its own start, and leaves the
// deploy-time warm-up about a minute to retry calls refused while IAM applies the fresh invoke policy.
const warmerTimeout = 120

// newWarmer deploys the bundle's warmer function, runs it on the manifest's schedule, and once right after
// each new server image so the first visitors after a deploy do not pay the cold start.
func newWarmer(ctx *pulumi.Context, name string, b *siteBundle, server *serverFunction, s *settings, opts []pulumi.ResourceOption) (*lambda.Function, error) {
	t := &s.transform
	w := b.manifest.Origins.Warmer
	role, err := newLambdaRole(ctx, name+"-warmer", t.WarmerRole, t.WarmerBasicExecution, opts, "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	invoke, err := iam.NewRolePolicy(ctx, name+"-warmer-invoke", with(t.WarmerRolePolicy, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyOf(server.target.Arn, warmerInvokePolicy),
	}), opts...)
	if err != nil {
		return nil, err
	}
	fn, err := lambda.NewFunction(ctx, name+"-warmer", with(t.WarmerFunction, &lambda.FunctionArgs{
		Description: pulumi.String("OpenDash " + name + ": keeps server instances warm"),
		Runtime:     pulumi.String(w.Runtime),
		Handler:     pulumi.String(w.Handler),
		Code:        pulumi.NewFileArchive(b.path(w.Dir)),
		Role:        role.Arn,
		MemorySize:  pulumi.Int(128),
		Timeout:     pulumi.Int(warmerTimeout),
		Environment: &lambda.FunctionEnvironmentArgs{Variables: pulumi.StringMap{
			warmer.EnvTargets:     server.target.Name, // name:alias with provisioned concurrency
			warmer.EnvConcurrency: s.warmerConcurrency.ApplyT(strconv.Itoa).(pulumi.StringOutput),
		}},
	}), opts...)
	if err != nil {
		return nil, err
	}
	logs, err := newLogGroup(ctx, name+"-warmer-logs", fn.Name, s, t.WarmerLogGroup, opts)
	if err != nil {
		return nil, err
	}
	rule, err := cloudwatch.NewEventRule(ctx, name+"-warmer-schedule", with(t.WarmerRule, &cloudwatch.EventRuleArgs{
		Description:        pulumi.String("OpenDash " + name + ": run the warmer"),
		ScheduleExpression: pulumi.String(w.Schedule),
	}), opts...)
	if err != nil {
		return nil, err
	}
	_, err = cloudwatch.NewEventTarget(ctx, name+"-warmer-target", with(t.WarmerTarget, &cloudwatch.EventTargetArgs{
		Rule: rule.Name,
		Arn:  fn.Arn,
	}), opts...)
	if err != nil {
		return nil, err
	}
	_, err = lambda.NewPermission(ctx, name+"-warmer-schedule", with(t.WarmerPermission, &lambda.PermissionArgs{
		Action:    pulumi.String("lambda:InvokeFunction"),
		Function:  fn.Name,
		Principal: pulumi.String("events.amazonaws.com"),
		SourceArn: rule.Arn,
	}), opts...)
	if err != nil {
		return nil, err
	}
	// The warmer reports failures in its result instead of raising, so a cold or failing server never
	// fails the deploy here. A new image URI re-creates the invocation, which runs the warmer again.
	_, err = lambda.NewInvocation(ctx, name+"-warm-up", with(t.WarmerInvocation, &lambda.InvocationArgs{
		FunctionName: fn.Name,
		Input:        pulumi.String(`{"source":"opendash.deploy"}`),
		Triggers:     pulumi.StringMap{"imageUri": server.imageUri},
	}), plus(opts, pulumi.DependsOn([]pulumi.Resource{invoke, logs, server.logs}))...)
	if err != nil {
		return nil, err
	}
	return fn, nil
}
