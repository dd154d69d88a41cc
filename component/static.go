package component

import (
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// staticSite is the private bucket holding the manifest's files, read by CloudFront through an OAC.
type staticSite struct {
	bucket *s3.BucketV2
	oac    *cloudfront.OriginAccessControl
	// lastBucketSetting is the last of the bucket-level settings made one after another; the bucket policy
	// waits for it.
	lastBucketSetting pulumi.Resource
}

func newStaticSite(ctx *pulumi.Context, name string, b *siteBundle, s *settings, opts []pulumi.ResourceOption) (*staticSite, error) {
	if err := checkSiteLimits(name, b); err != nil {
		return nil, err
	}
	t := &s.transform
	bucket, err := s3.NewBucketV2(ctx, name+"-assets", with(t.Bucket, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(true), // every object comes from the bundle: nothing to lose on destroy
	}), opts...)
	if err != nil {
		return nil, err
	}
	// The public access block, ownership controls and encryption restate what S3 applies to every new bucket
	// since 2023 (kept so that a Transform cannot silently lose them). Each is a bucket-level change, and S3
	// answers concurrent ones with OperationAborted ("A conflicting conditional operation is currently in
	// progress"), so they run one after another; the bucket policy (newBucketPolicy) comes last.
	pab, err := blockPublicAccess(ctx, name+"-assets-public-access", bucket, t.BucketPublicAccessBlock, opts)
	if err != nil {
		return nil, err
	}
	ownership, err := s3.NewBucketOwnershipControls(ctx, name+"-assets-ownership", with(t.BucketOwnershipControls,
		&s3.BucketOwnershipControlsArgs{
			Bucket: bucket.ID(),
			Rule:   &s3.BucketOwnershipControlsRuleArgs{ObjectOwnership: pulumi.String("BucketOwnerEnforced")},
		}), plus(opts, pulumi.DependsOn([]pulumi.Resource{pab}))...)
	if err != nil {
		return nil, err
	}
	encryption, err := s3.NewBucketServerSideEncryptionConfigurationV2(ctx, name+"-assets-encryption", with(t.BucketEncryption,
		&s3.BucketServerSideEncryptionConfigurationV2Args{
			Bucket: bucket.ID(),
			Rules: s3.BucketServerSideEncryptionConfigurationV2RuleArray{
				&s3.BucketServerSideEncryptionConfigurationV2RuleArgs{
					ApplyServerSideEncryptionByDefault: &s3.BucketServerSideEncryptionConfigurationV2RuleApplyServerSideEncryptionByDefaultArgs{
						SseAlgorithm: pulumi.String("AES256"),
					},
				},
			},
		}), plus(opts, pulumi.DependsOn([]pulumi.Resource{ownership}))...)
	if err != nil {
		return nil, err
	}

	site := &staticSite{bucket: bucket, lastBucketSetting: encryption}

	site.oac, err = cloudfront.NewOriginAccessControl(ctx, name+"-assets-oac", with(t.OriginAccessControl,
		&cloudfront.OriginAccessControlArgs{
			Description:                   pulumi.String("OpenDash " + name + ": CloudFront reads the static site"),
			OriginAccessControlOriginType: pulumi.String("s3"),
			SigningBehavior:               pulumi.String("always"),
			SigningProtocol:               pulumi.String("sigv4"),
		}), opts...)
	if err != nil {
		return nil, err
	}
	return site, nil
}

// blockPublicAccess blocks every kind of public access to bucket (OpenDash's buckets are all private: the
// site's, read by CloudFront only, the deploy staging bucket, the background jobs bucket).
func blockPublicAccess(ctx *pulumi.Context, resourceName string, bucket *s3.BucketV2,
	transform func(*s3.BucketPublicAccessBlockArgs), opts []pulumi.ResourceOption) (*s3.BucketPublicAccessBlock, error) {
	return s3.NewBucketPublicAccessBlock(ctx, resourceName, with(transform, &s3.BucketPublicAccessBlockArgs{
		Bucket:                bucket.ID(),
		BlockPublicAcls:       pulumi.Bool(true),
		BlockPublicPolicy:     pulumi.Bool(true),
		IgnorePublicAcls:      pulumi.Bool(true),
		RestrictPublicBuckets: pulumi.Bool(true),
	}), opts...)
}

// newBucketPolicy is created after the distribution: it names the distribution's ARN.
func newBucketPolicy(ctx *pulumi.Context, name string, site *staticSite, dist *cloudfront.Distribution, s *settings, opts []pulumi.ResourceOption) error {
	doc := pulumi.All(site.bucket.Arn, dist.Arn).ApplyT(func(v []any) string {
		return bucketPolicy(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	_, err := s3.NewBucketPolicy(ctx, name+"-assets-policy", with(s.transform.BucketPolicy, &s3.BucketPolicyArgs{
		Bucket: site.bucket.ID(),
		Policy: doc,
	}), plus(opts, pulumi.DependsOn([]pulumi.Resource{site.lastBucketSetting}))...) // S3 rejects concurrent bucket-level changes
	return err
}
