package component

import (
	_ "embed"
	"encoding/json"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// While the alias that carries provisioned concurrency moves to a new version, Lambda gives it routing
// weights, and refuses PutProvisionedConcurrencyConfig meanwhile ("Alias with weights can not be used with
// Provisioned Concurrency"). pulumi-aws v6 neither waits for the weights to go (the fix,
// terraform-provider-aws#48116, is only in the provider line of pulumi-aws v7) nor keeps them out of its
// state. So a small function, run through lambda.Invocation after each move, waits until the weights are
// gone; the provisioned concurrency config waits for it.
//
// The weights the alias' update read mid-move stay in its state, and the next preview shows the alias'
// routingConfig going back to none: a harmless update (UpdateAlias without weights). ignoreChanges must not
// hide it: for an ignored property the bridge plans the value in the state (pulumi-terraform-bridge's Update
// diffs with IgnoreChanges, ignore_changes_test.go), so the next move would send those weights back to
// Lambda, routing traffic to a version two deploys old (or be refused beside provisioned concurrency).

//go:embed functions/aliaswait.py
var aliasWaitPy string

// aliasWaitTimeout bounds the synchronous invoke (under the 350 s idle timeouts that drop a quiet
// connection); a move not done by then fails the step, and the next `pulumi up` runs it again.
const aliasWaitTimeout = 300

// aliasWaitInput is what functions/aliaswait.py receives.
type aliasWaitInput struct {
	FunctionName string `json:"functionName"`
	Alias        string `json:"alias"`
	Version      string `json:"version"`
}

// newAliasWait runs the alias wait for the alias's current version and returns its invocation.
func newAliasWait(ctx *pulumi.Context, name string, fn *lambda.Function, alias *lambda.Alias, s *settings,
	opts []pulumi.ResourceOption) (pulumi.Resource, error) {
	role, err := newLambdaRole(ctx, name+"-alias-wait", nil, nil, opts, "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	allow, err := iam.NewRolePolicy(ctx, name+"-alias-wait-policy", &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyOf(fn.Arn, readAliasPolicy),
	}, opts...)
	if err != nil {
		return nil, err
	}
	logs, err := newLogGroup(ctx, name+"-alias-wait-logs", s, nil, opts)
	if err != nil {
		return nil, err
	}
	waiter, err := lambda.NewFunction(ctx, name+"-alias-wait", &lambda.FunctionArgs{
		Description:   pulumi.String("OpenDash " + name + ": waits until the server's alias has moved to its new version"),
		Runtime:       pulumi.String(syncRuntime),
		Handler:       pulumi.String("aliaswait.handler"),
		Code:          pulumi.NewAssetArchive(map[string]any{"aliaswait.py": pulumi.NewStringAsset(aliasWaitPy)}),
		Role:          role.Arn,
		MemorySize:    pulumi.Int(128),
		Timeout:       pulumi.Int(aliasWaitTimeout),
		LoggingConfig: loggingTo(logs),
	}, opts...)
	if err != nil {
		return nil, err
	}
	input := pulumi.All(fn.Name, alias.Name, alias.FunctionVersion).ApplyT(func(v []any) (string, error) {
		data, err := json.Marshal(aliasWaitInput{FunctionName: v[0].(string), Alias: v[1].(string), Version: v[2].(string)})
		return string(data), err
	}).(pulumi.StringOutput)
	// A new version is a new input, and a new input a new invocation (a create, which is recorded only once it
	// succeeded: a wait that timed out runs again on the next `pulumi up`).
	return lambda.NewInvocation(ctx, name+"-alias-wait", &lambda.InvocationArgs{
		FunctionName: waiter.Name,
		Input:        input,
	}, plus(opts, pulumi.DependsOn([]pulumi.Resource{allow}), pulumi.ReplaceOnChanges([]string{"input"}))...)
}

// readAliasPolicy lets the alias wait read the server function's aliases, nothing else.
func readAliasPolicy(functionArn string) string {
	return policy(
		statement{Sid: "ReadServerAlias", Effect: "Allow", Action: "lambda:GetAlias", Resource: functionArn},
		statement{Sid: "ReadServerAliasQualified", Effect: "Allow", Action: "lambda:GetAlias", Resource: functionArn + ":*"},
	)
}
