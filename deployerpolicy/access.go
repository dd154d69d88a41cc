package deployerpolicy

// What `pulumi up`, `pulumi refresh` and `pulumi destroy` of a DashSite call in AWS, by Pulumi type token:
// the Terraform AWS provider under pulumi-aws 6.83.4 (terraform-provider-aws 5.x) calls these APIs for each
// resource, and a component test keeps this table in step with the resource types the component creates.
// IAM action names and resource types: AWS's Service Authorization Reference.

// Scopes: where each group of actions applies. {name} is the DashSite's name (every child's physical name
// starts with "<name>-": Pulumi's auto-naming appends a suffix to the logical name), {account} the AWS
// account.
var (
	buckets       = newScope("SiteBuckets", "arn:aws:s3:::{name}-*")
	objects       = newScope("SiteBucketObjects", "arn:aws:s3:::{name}-*/*")
	functions     = newScope("SiteFunctions", "arn:aws:lambda:*:{account}:function:{name}-*", "arn:aws:lambda:*:{account}:function:{name}-*:*")
	roles         = newScope("SiteRoles", "arn:aws:iam::{account}:role/{name}-*")
	logGroups     = newScope("SiteLogGroups", "arn:aws:logs:*:{account}:log-group:/aws/lambda/{name}-*", "arn:aws:logs:*:{account}:log-group:/aws/lambda/us-east-1.{name}-*")
	anyLogGroup   = newScope("ListLogGroups", "arn:aws:logs:*:{account}:log-group:*")
	rules         = newScope("SiteSchedules", "arn:aws:events:*:{account}:rule/{name}-*")
	repositories  = newScope("SiteImageRepositories", "arn:aws:ecr:*:{account}:repository/{name}-*")
	distributions = newScope("Distributions", "arn:aws:cloudfront::{account}:distribution/*")
	cfFunctions   = newScope("SiteCloudFrontFunctions", "arn:aws:cloudfront::{account}:function/{name}-*")
	originAccess  = newScope("OriginAccessControls", "arn:aws:cloudfront::{account}:origin-access-control/*")
	keyStores     = newScope("KeyValueStores", "arn:aws:cloudfront::{account}:key-value-store/*")
	certificates  = newScope("Certificates", "arn:aws:acm:us-east-1:{account}:certificate/*")
	zones         = newScope("HostedZoneRecords", "arn:aws:route53:::hostedzone/*", "arn:aws:route53:::change/*")
	webACLs       = newScope("SiteWebACLs", "arn:aws:wafv2:us-east-1:{account}:global/webacl/{name}-*/*")
	secrets       = newScope("SiteSecrets", "arn:aws:secretsmanager:us-east-1:{account}:secret:{name}-*")
	// Actions AWS authorizes without a resource (no resource type in the Service Authorization Reference).
	anyResource = newScope("NoResourceLevel", "*")
)

// passRole lets the functions take the roles the component makes for them, and nothing else.
var passRole = Grant{On: roles, Actions: []string{"iam:PassRole"},
	Condition: map[string]map[string][]string{"StringEquals": {"iam:PassedToService": {"lambda.amazonaws.com"}}}}

// bucketRead is what refreshing an S3 bucket reads: the Terraform provider reads every bucket setting.
var bucketRead = []string{"s3:ListBucket", "s3:GetBucketLocation", "s3:GetBucketPolicy", "s3:GetBucketAcl",
	"s3:GetBucketCORS", "s3:GetBucketWebsite", "s3:GetBucketVersioning", "s3:GetAccelerateConfiguration",
	"s3:GetBucketRequestPayment", "s3:GetBucketLogging", "s3:GetLifecycleConfiguration",
	"s3:GetReplicationConfiguration", "s3:GetEncryptionConfiguration", "s3:GetBucketObjectLockConfiguration",
	"s3:GetBucketOwnershipControls", "s3:GetBucketPublicAccessBlock"}

// ecrRepository is a private ECR repository (pulumi-aws's, or awsx's which wraps it with a lifecycle policy).
var ecrRepository = Access{On: repositories,
	Create: []string{"ecr:CreateRepository", "ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability"},
	Read:   []string{"ecr:DescribeRepositories", "ecr:ListTagsForResource", "ecr:GetRepositoryPolicy"},
	Update: []string{"ecr:PutImageScanningConfiguration", "ecr:PutImageTagMutability", "ecr:PutEncryptionConfiguration"},
	Delete: []string{"ecr:DeleteRepository", "ecr:BatchDeleteImage", "ecr:ListImages"}, // forceDelete empties it
	Tag:    []string{"ecr:TagResource", "ecr:UntagResource"},
}

// ecrLifecycle is a repository's lifecycle policy.
var ecrLifecycle = Access{On: repositories,
	Create: []string{"ecr:PutLifecyclePolicy"}, Read: []string{"ecr:GetLifecyclePolicy"},
	Update: []string{"ecr:PutLifecyclePolicy"}, Delete: []string{"ecr:DeleteLifecyclePolicy"},
	Without: "tag: a lifecycle policy has no tags",
}

// imagePush is what pushing an image to the repository sends (Docker's and go-containerregistry's
// registry protocol against ECR): the layers it lacks, then the manifest.
var imagePush = Access{On: repositories,
	Create: []string{"ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart",
		"ecr:CompleteLayerUpload", "ecr:PutImage"},
	Read:    []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:DescribeImages"},
	Update:  []string{"ecr:PutImage"},
	Delete:  []string{"ecr:BatchGetImage"}, // deleting the image deletes nothing: the lifecycle policy expires it
	Also:    []Grant{{On: anyResource, Actions: []string{"ecr:GetAuthorizationToken"}}},
	Without: "tag: images carry registry tags, not AWS tags",
}

// Resources is what each Pulumi resource type the component creates needs.
var Resources = map[string]Access{
	"pulumi:providers:aws": {On: anyResource,
		Read:    []string{"sts:GetCallerIdentity"}, // the provider learns its account when configured
		Without: "create, update, delete, tag: a provider is configuration in Pulumi's state, not an AWS resource"},

	// The static site's bucket, the deploy bucket and the jobs bucket.
	"aws:s3/bucketV2:BucketV2": {On: buckets,
		Create: []string{"s3:CreateBucket"}, Read: append(bucketRead, "s3:GetBucketTagging"),
		Update: []string{"s3:PutBucketTagging"},
		Delete: []string{"s3:DeleteBucket", "s3:ListBucketVersions"}, // forceDestroy empties it first
		Tag:    []string{"s3:PutBucketTagging", "s3:GetBucketTagging"},
		Also:   []Grant{{On: objects, Actions: []string{"s3:DeleteObject", "s3:DeleteObjectVersion"}}}},
	"aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": {On: buckets,
		// DeletePublicAccessBlock is authorized by s3:PutBucketPublicAccessBlock.
		Create: []string{"s3:PutBucketPublicAccessBlock"}, Read: []string{"s3:GetBucketPublicAccessBlock"},
		Update: []string{"s3:PutBucketPublicAccessBlock"}, Delete: []string{"s3:PutBucketPublicAccessBlock"},
		Without: "tag: a bucket setting has no tags of its own"},
	"aws:s3/bucketOwnershipControls:BucketOwnershipControls": {On: buckets,
		Create: []string{"s3:PutBucketOwnershipControls"}, Read: []string{"s3:GetBucketOwnershipControls"},
		Update: []string{"s3:PutBucketOwnershipControls"}, Delete: []string{"s3:PutBucketOwnershipControls"},
		Without: "tag: a bucket setting has no tags of its own"},
	"aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2": {On: buckets,
		Create: []string{"s3:PutEncryptionConfiguration"}, Read: []string{"s3:GetEncryptionConfiguration"},
		Update: []string{"s3:PutEncryptionConfiguration"}, Delete: []string{"s3:PutEncryptionConfiguration"},
		Without: "tag: a bucket setting has no tags of its own"},
	"aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2": {On: buckets,
		Create: []string{"s3:PutLifecycleConfiguration"}, Read: []string{"s3:GetLifecycleConfiguration"},
		Update: []string{"s3:PutLifecycleConfiguration"}, Delete: []string{"s3:PutLifecycleConfiguration"},
		Without: "tag: a bucket setting has no tags of its own"},
	"aws:s3/bucketPolicy:BucketPolicy": {On: buckets,
		Create: []string{"s3:PutBucketPolicy"}, Read: []string{"s3:GetBucketPolicy"},
		Update: []string{"s3:PutBucketPolicy"}, Delete: []string{"s3:DeleteBucketPolicy"},
		Without: "tag: a bucket policy has no tags"},
	"aws:s3/bucketObjectv2:BucketObjectv2": {On: objects,
		Create: []string{"s3:PutObject"}, Read: []string{"s3:GetObject", "s3:GetObjectTagging"},
		Update: []string{"s3:PutObject"}, Delete: []string{"s3:DeleteObject", "s3:DeleteObjectVersion"},
		Tag:  []string{"s3:PutObjectTagging", "s3:GetObjectTagging"},
		Also: []Grant{{On: buckets, Actions: []string{"s3:ListBucket", "s3:ListBucketVersions"}}}},

	// The server, jobs, warmer, sync and invalidation functions, and the edge functions in us-east-1.
	"aws:lambda/function:Function": {On: functions,
		Create: []string{"lambda:CreateFunction", "lambda:PublishVersion"},
		Read: []string{"lambda:GetFunction", "lambda:GetFunctionConfiguration", "lambda:ListVersionsByFunction",
			"lambda:GetFunctionCodeSigningConfig", "lambda:GetFunctionConcurrency", "lambda:GetRuntimeManagementConfig"},
		Update: []string{"lambda:UpdateFunctionCode", "lambda:UpdateFunctionConfiguration", "lambda:PublishVersion",
			"lambda:PutFunctionConcurrency", "lambda:DeleteFunctionConcurrency"},
		Delete: []string{"lambda:DeleteFunction"},
		Tag:    []string{"lambda:TagResource", "lambda:UntagResource", "lambda:ListTags"},
		Also: []Grant{passRole,
			// A function from a container image: Lambda reads the image, and adds itself to the repository's
			// policy with the caller's permission when it is missing (Lambda guide, "Amazon ECR permissions").
			{On: repositories, Actions: []string{"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
				"ecr:GetRepositoryPolicy", "ecr:SetRepositoryPolicy"}},
			// A function in a VPC (vpc): Lambda reads the subnets and security groups with the caller's
			// permission, and destroy waits for its network interfaces to go (Lambda guide, "Giving Lambda
			// functions access to resources in an Amazon VPC").
			{On: anyResource, Actions: []string{"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets",
				"ec2:DescribeVpcs", "ec2:DescribeNetworkInterfaces"}}}},
	"aws:lambda/functionUrl:FunctionUrl": {On: functions,
		Create: []string{"lambda:CreateFunctionUrlConfig"}, Read: []string{"lambda:GetFunctionUrlConfig"},
		Update: []string{"lambda:UpdateFunctionUrlConfig"}, Delete: []string{"lambda:DeleteFunctionUrlConfig"},
		Without: "tag: a function URL has no tags"},
	"aws:lambda/permission:Permission": {On: functions,
		Create: []string{"lambda:AddPermission"}, Read: []string{"lambda:GetPolicy"},
		Delete:  []string{"lambda:RemovePermission"},
		Without: "update: every change replaces a permission; tag: a statement of a policy has no tags"},
	"aws:lambda/alias:Alias": {On: functions,
		Create: []string{"lambda:CreateAlias"}, Read: []string{"lambda:GetAlias"},
		Update: []string{"lambda:UpdateAlias"}, Delete: []string{"lambda:DeleteAlias"},
		Without: "tag: an alias has no tags"},
	"aws:lambda/provisionedConcurrencyConfig:ProvisionedConcurrencyConfig": {On: functions,
		Create: []string{"lambda:PutProvisionedConcurrencyConfig"}, Read: []string{"lambda:GetProvisionedConcurrencyConfig"},
		Update: []string{"lambda:PutProvisionedConcurrencyConfig"}, Delete: []string{"lambda:DeleteProvisionedConcurrencyConfig"},
		Without: "tag: a concurrency setting has no tags"},
	"aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig": {On: functions,
		Create: []string{"lambda:PutFunctionEventInvokeConfig"}, Read: []string{"lambda:GetFunctionEventInvokeConfig"},
		Update:  []string{"lambda:UpdateFunctionEventInvokeConfig", "lambda:PutFunctionEventInvokeConfig"},
		Delete:  []string{"lambda:DeleteFunctionEventInvokeConfig"},
		Without: "tag: an invoke configuration has no tags"},
	// The sync and invalidation runs: the deploy invokes the functions it made.
	"aws:lambda/invocation:Invocation": {On: functions,
		Create: []string{"lambda:InvokeFunction"}, Read: []string{"lambda:GetFunction"},
		Update: []string{"lambda:InvokeFunction"}, Delete: []string{"lambda:InvokeFunction"},
		Without: "tag: an invocation is not an AWS resource"},

	"aws:iam/role:Role": {On: roles,
		Create: []string{"iam:CreateRole"},
		Read:   []string{"iam:GetRole", "iam:ListRolePolicies", "iam:ListAttachedRolePolicies", "iam:GetRolePolicy"},
		Update: []string{"iam:UpdateRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRoleDescription"},
		Delete: []string{"iam:DeleteRole", "iam:ListInstanceProfilesForRole", "iam:DetachRolePolicy", "iam:DeleteRolePolicy"},
		Tag:    []string{"iam:TagRole", "iam:UntagRole", "iam:ListRoleTags"}},
	"aws:iam/rolePolicy:RolePolicy": {On: roles,
		Create: []string{"iam:PutRolePolicy"}, Read: []string{"iam:GetRolePolicy"},
		Update: []string{"iam:PutRolePolicy"}, Delete: []string{"iam:DeleteRolePolicy"},
		Without: "tag: an inline policy has no tags"},
	"aws:iam/rolePolicyAttachment:RolePolicyAttachment": {On: roles,
		Create: []string{"iam:AttachRolePolicy"}, Read: []string{"iam:ListAttachedRolePolicies"},
		Delete:  []string{"iam:DetachRolePolicy"},
		Without: "update: every change replaces an attachment; tag: an attachment has no tags"},

	"aws:cloudwatch/logGroup:LogGroup": {On: logGroups,
		Create: []string{"logs:CreateLogGroup"}, Read: []string{"logs:ListTagsForResource"},
		Update: []string{"logs:PutRetentionPolicy", "logs:DeleteRetentionPolicy"},
		Delete: []string{"logs:DeleteLogGroup"},
		Tag:    []string{"logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource"},
		Also: []Grant{{On: logGroups, Actions: []string{"logs:PutRetentionPolicy"}}, // set right after create
			{On: anyLogGroup, Actions: []string{"logs:DescribeLogGroups"}}}}, // read lists groups by name prefix
	"aws:cloudwatch/eventRule:EventRule": {On: rules,
		Create: []string{"events:PutRule"}, Read: []string{"events:DescribeRule"},
		Update: []string{"events:PutRule", "events:EnableRule", "events:DisableRule"},
		Delete: []string{"events:DeleteRule"},
		Tag:    []string{"events:TagResource", "events:UntagResource", "events:ListTagsForResource"}},
	"aws:cloudwatch/eventTarget:EventTarget": {On: rules,
		Create: []string{"events:PutTargets"}, Read: []string{"events:ListTargetsByRule"},
		Update: []string{"events:PutTargets"}, Delete: []string{"events:RemoveTargets"},
		Without: "tag: a rule's target has no tags"},

	"aws:cloudfront/distribution:Distribution": {On: distributions,
		Create: []string{"cloudfront:CreateDistribution", "cloudfront:CreateDistributionWithTags"},
		Read:   []string{"cloudfront:GetDistribution", "cloudfront:GetDistributionConfig"},
		Update: []string{"cloudfront:UpdateDistribution"},
		Delete: []string{"cloudfront:UpdateDistribution", "cloudfront:DeleteDistribution"}, // disabled first
		Tag:    []string{"cloudfront:TagResource", "cloudfront:UntagResource", "cloudfront:ListTagsForResource"},
		Also: []Grant{
			// Associating Lambda@Edge functions (CloudFront guide, "Set up IAM permissions and roles for
			// Lambda@Edge"): the function versions, and the replicator's service-linked role.
			{On: functions, Actions: []string{"lambda:GetFunction", "lambda:EnableReplication*", "lambda:DisableReplication*"}},
			{On: newScope("EdgeServiceLinkedRoles", "arn:aws:iam::{account}:role/aws-service-role/replicator.lambda.amazonaws.com/AWSServiceRoleForLambdaReplicator",
				"arn:aws:iam::{account}:role/aws-service-role/logger.cloudfront.amazonaws.com/AWSServiceRoleForCloudFrontLogger"),
				Actions: []string{"iam:CreateServiceLinkedRole"}},
			// The web ACL it names (wafRateLimit).
			{On: webACLs, Actions: []string{"wafv2:GetWebACL"}}}},
	"aws:cloudfront/function:Function": {On: cfFunctions,
		Create: []string{"cloudfront:CreateFunction", "cloudfront:PublishFunction"},
		Read:   []string{"cloudfront:DescribeFunction", "cloudfront:GetFunction"},
		Update: []string{"cloudfront:UpdateFunction", "cloudfront:PublishFunction"},
		Delete: []string{"cloudfront:DeleteFunction"},
		// A function with a KeyValueStore (auth.basic) is associated with it.
		Also:    []Grant{{On: keyStores, Actions: []string{"cloudfront:DescribeKeyValueStore"}}},
		Without: "tag: CloudFront Functions have no tags"},
	"aws:cloudfront/originAccessControl:OriginAccessControl": {On: originAccess,
		Create: []string{"cloudfront:CreateOriginAccessControl"}, Read: []string{"cloudfront:GetOriginAccessControl"},
		Update: []string{"cloudfront:UpdateOriginAccessControl"}, Delete: []string{"cloudfront:DeleteOriginAccessControl"},
		Without: "tag: origin access controls have no tags"},
	"aws:cloudfront/keyValueStore:KeyValueStore": {On: keyStores,
		Create: []string{"cloudfront:CreateKeyValueStore"}, Read: []string{"cloudfront:DescribeKeyValueStore"},
		Update: []string{"cloudfront:UpdateKeyValueStore"}, Delete: []string{"cloudfront:DeleteKeyValueStore"},
		Without: "tag: key value stores have no tags"},
	"aws:cloudfront/keyvaluestoreKeysExclusive:KeyvaluestoreKeysExclusive": {On: keyStores,
		Create:  []string{"cloudfront-keyvaluestore:UpdateKeys", "cloudfront-keyvaluestore:DescribeKeyValueStore"},
		Read:    []string{"cloudfront-keyvaluestore:ListKeys", "cloudfront-keyvaluestore:DescribeKeyValueStore"},
		Update:  []string{"cloudfront-keyvaluestore:UpdateKeys"},
		Delete:  []string{"cloudfront-keyvaluestore:UpdateKeys"},
		Without: "tag: the keys of a store have no tags"},

	"aws:acm/certificate:Certificate": {On: certificates,
		Create: []string{"acm:RequestCertificate"}, Read: []string{"acm:DescribeCertificate", "acm:GetCertificate"},
		Update: []string{"acm:UpdateCertificateOptions"}, Delete: []string{"acm:DeleteCertificate"},
		Tag: []string{"acm:AddTagsToCertificate", "acm:RemoveTagsFromCertificate", "acm:ListTagsForCertificate"}},
	"aws:acm/certificateValidation:CertificateValidation": {On: certificates,
		Create: []string{"acm:DescribeCertificate"}, Read: []string{"acm:DescribeCertificate"},
		Delete:  []string{"acm:DescribeCertificate"},
		Without: "update: every change replaces it; tag: a validation is a wait, not an AWS resource"},
	"aws:route53/record:Record": {On: zones,
		Create:  []string{"route53:ChangeResourceRecordSets", "route53:GetChange"},
		Read:    []string{"route53:ListResourceRecordSets", "route53:GetHostedZone"},
		Update:  []string{"route53:ChangeResourceRecordSets", "route53:GetChange"},
		Delete:  []string{"route53:ChangeResourceRecordSets", "route53:GetChange"},
		Without: "tag: a record has no tags"},

	"aws:wafv2/webAcl:WebAcl": {On: webACLs,
		Create: []string{"wafv2:CreateWebACL"}, Read: []string{"wafv2:GetWebACL"},
		Update: []string{"wafv2:UpdateWebACL"}, Delete: []string{"wafv2:DeleteWebACL", "wafv2:GetWebACL"},
		Tag: []string{"wafv2:TagResource", "wafv2:UntagResource", "wafv2:ListTagsForResource"}},

	"aws:secretsmanager/secret:Secret": {On: secrets,
		Create: []string{"secretsmanager:CreateSecret"},
		Read:   []string{"secretsmanager:DescribeSecret", "secretsmanager:GetResourcePolicy"},
		Update: []string{"secretsmanager:UpdateSecret"}, Delete: []string{"secretsmanager:DeleteSecret"},
		Tag: []string{"secretsmanager:TagResource", "secretsmanager:UntagResource"}},
	"aws:secretsmanager/secretVersion:SecretVersion": {On: secrets,
		Create:  []string{"secretsmanager:PutSecretValue"},
		Read:    []string{"secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret", "secretsmanager:ListSecretVersionIds"},
		Update:  []string{"secretsmanager:PutSecretValue", "secretsmanager:UpdateSecretVersionStage"},
		Delete:  []string{"secretsmanager:UpdateSecretVersionStage"},
		Without: "tag: a secret's version has no tags"},

	// The server image: imageBuilder "docker" (awsx's repository and Docker's push) and "native" (a
	// pulumi-aws repository with a lifecycle policy, pushed by the opendash plugin's ServerImage).
	"awsx:ecr:Repository":                     ecrRepository.with(ecrLifecycle),
	"awsx:ecr:Image":                          imagePush,
	"aws:ecr/repository:Repository":           ecrRepository,
	"aws:ecr/lifecyclePolicy:LifecyclePolicy": ecrLifecycle,
	"opendash:index:ServerImage":              imagePush,
}

// Invokes is what each Pulumi function (data source) the component calls needs.
var Invokes = map[string]Access{
	"aws:index/getCallerIdentity:getCallerIdentity": {On: anyResource, Read: []string{"sts:GetCallerIdentity"},
		Without: "create, update, delete, tag: a lookup"},
	"aws:ecr/getAuthorizationToken:getAuthorizationToken": {On: anyResource, Read: []string{"ecr:GetAuthorizationToken"},
		Without: "create, update, delete, tag: a lookup"},
	"aws:secretsmanager/getRandomPassword:getRandomPassword": {On: anyResource,
		Read: []string{"secretsmanager:GetRandomPassword"}, Without: "create, update, delete, tag: a lookup"},
	"aws:index/getRegion:getRegion":               {Without: "read, create, update, delete, tag: answered from the provider's configuration"},
	"aws:index/getPartition:getPartition":         {Without: "read, create, update, delete, tag: answered from the provider's configuration"},
	"aws:iam/getPolicyDocument:getPolicyDocument": {Without: "read, create, update, delete, tag: computed by the provider"},
}
