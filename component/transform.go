package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/acm"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudwatch"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/ecr"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/route53"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/wafv2"
	ecrx "github.com/pulumi/pulumi-awsx/sdk/v2/go/awsx/ecr"
)

// Transform holds optional functions that adjust a child resource's arguments right before it is created,
// like SST's `transform`: each receives the arguments the component built and may change them in place.
// Functions applied to several children (BucketObject, the log groups, the role policies) see each one's
// arguments in turn. Go programs set these through DashSiteArgs.Transform; programs in other languages use
// Pulumi's generic `transforms` resource option on the component instead.
type Transform struct {
	// Static site.
	Bucket                  func(*s3.BucketV2Args)
	BucketPublicAccessBlock func(*s3.BucketPublicAccessBlockArgs)
	BucketOwnershipControls func(*s3.BucketOwnershipControlsArgs)
	BucketEncryption        func(*s3.BucketServerSideEncryptionConfigurationV2Args)
	BucketPolicy            func(*s3.BucketPolicyArgs)
	BucketObject            func(*s3.BucketObjectv2Args) // the static site's archive, in the deploy bucket
	OriginAccessControl     func(*cloudfront.OriginAccessControlArgs)
	Distribution            func(*cloudfront.DistributionArgs)
	ForwardedHostFunction   func(*cloudfront.FunctionArgs)
	WebAcl                  func(*wafv2.WebAclArgs) // with wafRateLimit

	// Server function.
	Repository                   func(*ecrx.RepositoryArgs)     // imageBuilder "docker"
	Image                        func(*ecrx.ImageArgs)          // imageBuilder "docker"
	ImageRepository              func(*ecr.RepositoryArgs)      // imageBuilder "native"
	ImageLifecyclePolicy         func(*ecr.LifecyclePolicyArgs) // imageBuilder "native"
	ServerRole                   func(*iam.RoleArgs)
	ServerBasicExecution         func(*iam.RolePolicyAttachmentArgs)
	ServerPolicyAttachment       func(*iam.RolePolicyAttachmentArgs) // each of policyArns, and the VPC access policy
	ServerRolePolicy             func(*iam.RolePolicyArgs)           // policyStatements, and the secrets' reads
	ServerLogGroup               func(*cloudwatch.LogGroupArgs)
	ServerFunction               func(*lambda.FunctionArgs)
	ServerFunctionUrl            func(*lambda.FunctionUrlArgs)
	ServerAlias                  func(*lambda.AliasArgs)                        // with provisionedConcurrency
	ServerProvisionedConcurrency func(*lambda.ProvisionedConcurrencyConfigArgs) // with provisionedConcurrency
	EdgeProvider                 func(*aws.ProviderArgs)
	EdgeRole                     func(*iam.RoleArgs)
	EdgeBasicExecution           func(*iam.RolePolicyAttachmentArgs)
	EdgeRolePolicy               func(*iam.RolePolicyArgs)
	EdgeFunction                 func(*lambda.FunctionArgs)
	EdgeLogGroup                 func(*cloudwatch.LogGroupArgs)            // once per region, with edgeLogRetentionDays
	ServerOriginAccessControl    func(*cloudfront.OriginAccessControlArgs) // originAuth "oac"
	ServerUrlPermission          func(*lambda.PermissionArgs)              // originAuth "oac": both permissions
	JobsBucket                   func(*s3.BucketV2Args)                    // with background callbacks
	JobsFunction                 func(*lambda.FunctionArgs)                // with background callbacks

	// Static site sync (sync.go).
	DeployBucket                  func(*s3.BucketV2Args)
	DeployBucketPublicAccessBlock func(*s3.BucketPublicAccessBlockArgs)
	SyncRole                      func(*iam.RoleArgs)
	SyncBasicExecution            func(*iam.RolePolicyAttachmentArgs)
	SyncRolePolicy                func(*iam.RolePolicyArgs)
	SyncLogGroup                  func(*cloudwatch.LogGroupArgs)
	SyncFunction                  func(*lambda.FunctionArgs)
	Sync                          func(*lambda.InvocationArgs) // also invalidates what it overwrote

	// Warmer.
	WarmerRole           func(*iam.RoleArgs)
	WarmerBasicExecution func(*iam.RolePolicyAttachmentArgs)
	WarmerRolePolicy     func(*iam.RolePolicyArgs)
	WarmerLogGroup       func(*cloudwatch.LogGroupArgs)
	WarmerFunction       func(*lambda.FunctionArgs)
	WarmerRule           func(*cloudwatch.EventRuleArgs)
	WarmerTarget         func(*cloudwatch.EventTargetArgs)
	WarmerPermission     func(*lambda.PermissionArgs)
	WarmerInvocation     func(*lambda.InvocationArgs) // the warm-up right after a new image

	// Custom domain.
	Certificate                 func(*acm.CertificateArgs)
	CertificateValidationRecord func(*route53.RecordArgs)
	CertificateValidation       func(*acm.CertificateValidationArgs)
	AliasRecord                 func(*route53.RecordArgs) // the A and the AAAA record
}

// with runs fn (when set) on args and returns args, so a call site reads `with(t.Bucket, &s3.BucketV2Args{...})`.
func with[T any](fn func(*T), args *T) *T {
	if fn != nil {
		fn(args)
	}
	return args
}
