package component

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Each function writes to a log group the component creates first and names in the function's
// loggingConfig. The function then depends on its group, so `pulumi destroy` deletes the function before
// the group: with the dependency the other way round (a group named after the function), the group went
// first, and Lambda recreated /aws/lambda/<function> with no retention for every invocation still arriving
// (the warmer's schedule, a distribution being disabled). The group's name must be known before the
// function's, which Pulumi picks at random; it is decided here instead, unique per stack.

// logGroupName is /aws/lambda/<resource name less "-logs">-<8 hex digits of the organization, project and
// stack>, e.g. /aws/lambda/site-server-1f2e3d4c: stable across deploys, distinct for the same component in
// two stacks of one account and region.
func logGroupName(ctx *pulumi.Context, resourceName string) string {
	sum := sha256.Sum256([]byte(ctx.Organization() + "/" + ctx.Project() + "/" + ctx.Stack()))
	return "/aws/lambda/" + strings.TrimSuffix(resourceName, "-logs") + "-" + hex.EncodeToString(sum[:4])
}

// loggingTo is the loggingConfig that sends a function's logs to group (plain text, as by default).
func loggingTo(group *cloudwatch.LogGroup) *lambda.FunctionLoggingConfigArgs {
	return &lambda.FunctionLoggingConfigArgs{LogFormat: pulumi.String("Text"), LogGroup: group.Name}
}
