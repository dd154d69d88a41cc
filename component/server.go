package component

import (
	"strings"

	"github.com/opendash/opendash/bundler/secrets"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// serverFunction is the container Lambda that runs the Dash app behind an IAM-protected function URL.
type serverFunction struct {
	// imageUri is the image the server and jobs functions run, by digest.
	imageUri pulumi.StringOutput
	function *lambda.Function
	url      *lambda.FunctionUrl
	logs     *cloudwatch.LogGroup
	// alias is set with provisioned concurrency: the URL, signer and warmer go through it.
	alias *lambda.Alias
	// target is what callers invoke and are granted: the alias when set, else the function.
	target invokeTarget
	// originDomain is the function URL's host, the CloudFront origin.
	originDomain pulumi.StringOutput
}

func newServerFunction(ctx *pulumi.Context, name string, b *siteBundle, s *settings, opts []pulumi.ResourceOption) (*serverFunction, error) {
	t := &s.transform
	imageUri, err := builderFor(s).image(ctx, name, b, s, opts)
	if err != nil {
		return nil, err
	}

	role, err := newLambdaRole(ctx, name+"-server", t.ServerRole, t.ServerBasicExecution, opts, "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	access, err := newDataAccess(ctx, name, role, s, opts) // policyArns, policyStatements, vpc, secrets
	if err != nil {
		return nil, err
	}
	fnOpts := plus(opts, pulumi.DependsOn(access))
	var jobs *backgroundJobs
	var jobsEnv pulumi.StringMap
	if len(b.manifest.App.BackgroundCallbacks) > 0 {
		if jobs, err = newBackgroundJobs(ctx, name, b, s, imageUri, role, fnOpts); err != nil {
			return nil, err
		}
		jobsEnv = jobs.serverEnv()
	}
	logs, err := newLogGroup(ctx, name+"-server-logs", s, t.ServerLogGroup, opts)
	if err != nil {
		return nil, err
	}
	args := imageFunctionArgs("OpenDash "+name+": the Dash app", b, s, imageUri, role, s.timeout, jobsEnv)
	args.LoggingConfig = loggingTo(logs)
	// Unset (nil) leaves the function uncapped; checked like the other numbers when known.
	args.ReservedConcurrentExecutions = reservedConcurrency(name, s)
	// Provisioned concurrency needs a numbered version behind an alias.
	args.Publish = pulumi.Bool(provisionedServer(s))
	fn, err := lambda.NewFunction(ctx, name+"-server", with(t.ServerFunction, args), fnOpts...)
	if err != nil {
		return nil, err
	}
	target := invokeTarget{Function: fn.Name, Name: fn.Name, Arn: fn.Arn}
	var alias *lambda.Alias
	if provisionedServer(s) {
		if alias, err = newServerAlias(ctx, name, fn, s, opts); err != nil {
			return nil, err
		}
		target = invokeTarget{Function: fn.Name, Qualifier: alias.Name, Arn: alias.Arn,
			Name: pulumi.Sprintf("%s:%s", fn.Name, alias.Name)}
	}
	if jobs != nil {
		if err := jobs.grant(ctx, name, role, opts); err != nil {
			return nil, err
		}
	}
	url, err := lambda.NewFunctionUrl(ctx, name+"-server-url", with(t.ServerFunctionUrl, &lambda.FunctionUrlArgs{
		FunctionName:      target.Function,
		Qualifier:         target.Qualifier,
		AuthorizationType: pulumi.String("AWS_IAM"), // only CloudFront may call it: the edge signer, or its OAC
		InvokeMode:        pulumi.String("BUFFERED"),
	}), opts...)
	if err != nil {
		return nil, err
	}
	return &serverFunction{
		imageUri:     imageUri,
		function:     fn,
		url:          url,
		logs:         logs,
		alias:        alias,
		target:       target,
		originDomain: url.FunctionUrl.ApplyT(urlHost).(pulumi.StringOutput),
	}, nil
}

// urlHost turns "https://<id>.lambda-url.<region>.on.aws/" into its host.
// imageFunctionArgs are the arguments of a Lambda function that runs the bundle's server image: the server
// function and the background jobs function share the image, handler, role, architecture, memory and
// environment, and differ in timeout and their own settings.
func imageFunctionArgs(description string, b *siteBundle, s *settings, imageUri pulumi.StringOutput, role *iam.Role,
	timeout pulumi.IntInput, env pulumi.StringMap) *lambda.FunctionArgs {
	origin := b.manifest.Origins.Server
	return &lambda.FunctionArgs{
		Description:   pulumi.String(description),
		PackageType:   pulumi.String("Image"),
		ImageUri:      imageUri,
		ImageConfig:   &lambda.FunctionImageConfigArgs{Commands: pulumi.StringArray{pulumi.String(origin.Handler)}},
		Role:          role.Arn,
		Architectures: pulumi.StringArray{pulumi.String(origin.Architecture)},
		MemorySize:    s.MemorySize.ToIntOutput().ToIntPtrOutput(),
		Timeout:       timeout.ToIntOutput().ToIntPtrOutput(),
		Environment:   serverEnvironment(s, env),
		VpcConfig:     vpcConfig(s),
	}
}

func urlHost(u string) string {
	u = strings.TrimPrefix(u, "https://")
	host, _, _ := strings.Cut(u, "/")
	return host
}

// serverEnvironment is the user's variables plus DOMAIN_NAME when a custom domain is set, plus the
// background job settings (jobs, nil without background callbacks), plus the secrets' ARNs (OPENDASH_SECRETS)
// when secrets are set. Without a custom domain the app reads
// the host from X-Forwarded-Host: the distribution's own domain here would be a dependency cycle. A
// variable the user sets wins, except IdentityHeadersEnv: only auth.oidc may tell the handler to trust the
// identity headers.
func serverEnvironment(s *settings, jobs pulumi.StringMap) lambda.FunctionEnvironmentPtrInput {
	fixed := pulumi.StringMap{}
	if s.DomainName != "" {
		fixed["DOMAIN_NAME"] = pulumi.String(s.DomainName)
	}
	if s.Auth != nil && s.Auth.Oidc != nil {
		fixed[IdentityHeadersEnv] = pulumi.String("oidc")
	}
	for k, v := range jobs {
		fixed[k] = v
	}
	if len(s.Secrets) > 0 { // their ARNs: the functions read the values when they start
		fixed[secrets.Env] = s.secretsEnv
	}
	if s.Environment == nil {
		if len(fixed) == 0 {
			return nil
		}
		return &lambda.FunctionEnvironmentArgs{Variables: fixed}
	}
	vars := pulumi.All(fixed.ToStringMapOutput(), s.Environment.ToStringMapOutput()).ApplyT(func(a []any) map[string]string {
		ours, user := a[0].(map[string]string), a[1].(map[string]string)
		out := make(map[string]string, len(ours)+len(user))
		for k, v := range ours {
			out[k] = v
		}
		for k, v := range user {
			if k != IdentityHeadersEnv {
				out[k] = v
			}
		}
		return out
	}).(pulumi.StringMapOutput)
	return &lambda.FunctionEnvironmentArgs{Variables: vars}
}

// newLambdaRole creates a role the given services may assume, with the basic execution policy (logs).
func newLambdaRole(ctx *pulumi.Context, prefix string, roleT func(*iam.RoleArgs), attachT func(*iam.RolePolicyAttachmentArgs),
	opts []pulumi.ResourceOption, services ...string) (*iam.Role, error) {
	role, err := iam.NewRole(ctx, prefix+"-role", with(roleT, &iam.RoleArgs{
		AssumeRolePolicy: pulumi.String(assumeRolePolicy(services...)),
	}), opts...)
	if err != nil {
		return nil, err
	}
	_, err = iam.NewRolePolicyAttachment(ctx, prefix+"-basic-execution", with(attachT, &iam.RolePolicyAttachmentArgs{
		Role:      role.Name,
		PolicyArn: pulumi.String(BasicExecutionPolicyArn),
	}), opts...)
	if err != nil {
		return nil, err
	}
	return role, nil
}

// newLogGroup creates a function's log group with the configured retention, before the function, which
// names it in loggingConfig (see logGroupName): Lambda would otherwise create /aws/lambda/<function> on the
// first invocation with no retention at all, also during a destroy that deleted the group first.
func newLogGroup(ctx *pulumi.Context, resourceName string, s *settings, t func(*cloudwatch.LogGroupArgs),
	opts []pulumi.ResourceOption) (*cloudwatch.LogGroup, error) {
	return cloudwatch.NewLogGroup(ctx, resourceName, with(t, &cloudwatch.LogGroupArgs{
		Name:            pulumi.String(logGroupName(ctx, resourceName)),
		RetentionInDays: s.LogRetentionDays.ToIntOutput().ToIntPtrOutput(),
	}), opts...)
}

// reservedConcurrency is the server's concurrency cap, nil when none was asked for.
func reservedConcurrency(name string, s *settings) pulumi.IntPtrInput {
	if s.ReservedConcurrency == nil {
		return nil
	}
	return checkedInt(name, s.ReservedConcurrency, reservedConcurrencyRange).ToIntPtrOutput()
}
