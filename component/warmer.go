package component

import (
	"fmt"
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
	concurrency, err := warmerConcurrency(name, s)
	if err != nil {
		return nil, err
	}
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
	logs, err := newLogGroup(ctx, name+"-warmer-logs", s, t.WarmerLogGroup, opts)
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
			warmer.EnvConcurrency: concurrency.ApplyT(strconv.Itoa).(pulumi.StringOutput),
		}},
		LoggingConfig: loggingTo(logs),
	}), opts...)
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

// warmerConcurrency is how many instances the warmer pings at once, refused (now when both numbers are
// plain, else once known) when it could hold every instance reservedConcurrency allows: each ping keeps an
// instance busy for its delay, and a visitor arriving then would be throttled (502).
func warmerConcurrency(name string, s *settings) (pulumi.IntOutput, error) {
	if s.ReservedConcurrency == nil {
		return s.warmerConcurrency, nil
	}
	warm, okWarm := s.WarmerConcurrency.(pulumi.Int)
	reserved, okReserved := s.ReservedConcurrency.(pulumi.Int)
	if okWarm && okReserved {
		if err := checkWarmerFits(name, int(warm), int(reserved)); err != nil {
			return pulumi.IntOutput{}, err
		}
	}
	return pulumi.All(s.warmerConcurrency, s.ReservedConcurrency).ApplyT(func(v []any) (int, error) {
		return v[0].(int), checkWarmerFits(name, v[0].(int), v[1].(int))
	}).(pulumi.IntOutput), nil
}

func checkWarmerFits(name string, warm, reserved int) error {
	if warm <= reserved-1 {
		return nil
	}
	return fmt.Errorf("DashSite %q: warmerConcurrency %d leaves no instance of reservedConcurrency %d free for "+
		"visitors while the warmer runs (each warm-up call holds an instance); keep warmerConcurrency at most "+
		"reservedConcurrency - 1 (%d): raise reservedConcurrency, lower warmerConcurrency, or set warmer to false",
		name, warm, reserved, reserved-1)
}
