package component

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opendash/opendash/component/sitearchive"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// The static site reaches its bucket through a constant number of resources, whatever its file count (one
// BucketObjectv2 per file made `pulumi up` grow with the square of the count): one zip of the site
// (sitearchive) in a private staging bucket, and a sync function run at deploy time by lambda.Invocation
// (CDK's BucketDeployment pattern, with no provider plugin to install). The zip is named by its content's
// digest, so an unchanged site changes no resource; a changed one re-runs the sync, which uploads only the
// changed objects (functions/sync.py). The invalidation runs after the sync.

//go:embed functions/sync.py
var syncPy string

const (
	syncFile    = "sync.py"
	syncHandler = "sync.handler"
	syncRuntime = "python3.13" // ships boto3, all sync.py needs beyond the standard library
	// StaleGrace is how long a fingerprinted file the new build no longer has stays in the bucket: a tab
	// opened on the previous build keeps loading its scripts. It is deleted by the first sync after that.
	StaleGrace = 7 * 24 * time.Hour
	// syncTimeout is Lambda's maximum; a sync that would take longer fails with what is missing, and the
	// next `pulumi up` resumes it (unchanged objects are skipped).
	syncTimeout = 900
)

// archiveDir is where the site's zip is written: inside the bundle, in the folder the bundler leaves
// alone. Tests point it elsewhere so they never write into testdata.
var archiveDir = func(b *siteBundle) string { return b.path(manifest.DeployDir) }

// syncInput is what the sync function receives (plus the "tf" lifecycle key pulumi-aws adds).
type syncInput struct {
	Bucket        string `json:"bucket"`
	ArchiveBucket string `json:"archiveBucket"`
	ArchiveKey    string `json:"archiveKey"`
	Digest        string `json:"digest"`
	GraceSeconds  int64  `json:"graceSeconds"`
	// SiteOrigin replaces the placeholder origin in the pages that name the site (manifest.File.SiteOrigin).
	SiteOrigin string `json:"siteOrigin,omitempty"`
}

// newSiteSync uploads the site's archive and runs the sync into bucket. It returns the sync's invocation:
// what must finish before CloudFront is told to forget the old files. origin is the site's origin for the
// pages that name it (nil when no page does).
func newSiteSync(ctx *pulumi.Context, name string, b *siteBundle, bucket *s3.BucketV2, origin pulumi.StringInput,
	s *settings, opts []pulumi.ResourceOption) (pulumi.Resource, error) {
	a, err := sitearchive.Write(b.dir, b.manifest, archiveDir(b))
	if err != nil {
		return nil, fmt.Errorf("DashSite %q: %s: %w", name, b.dir, err)
	}
	t := &s.transform
	staging, err := s3.NewBucketV2(ctx, name+"-deploy", with(t.DeployBucket, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(true), // the archive and the sync's state: rebuilt by the next deploy
	}), opts...)
	if err != nil {
		return nil, err
	}
	_, err = blockPublicAccess(ctx, name+"-deploy-public-access", staging, t.DeployBucketPublicAccessBlock, opts)
	if err != nil {
		return nil, err
	}
	archive, err := s3.NewBucketObjectv2(ctx, name+"-static-archive", with(t.BucketObject, &s3.BucketObjectv2Args{
		Bucket:      staging.ID(),
		Key:         pulumi.String(a.Name),       // a new site is a new key: replaced, the old one deleted after
		Source:      pulumi.NewFileAsset(a.Path), // relative to the program when the bundle is,
		ContentType: pulumi.String("application/zip"),
	}), opts...)
	if err != nil {
		return nil, err
	}

	role, err := newLambdaRole(ctx, name+"-sync", t.SyncRole, t.SyncBasicExecution, opts, "lambda.amazonaws.com")
	if err != nil {
		return nil, err
	}
	doc := pulumi.All(bucket.Arn, staging.Arn).ApplyT(func(v []any) string {
		return syncPolicy(v[0].(string), v[1].(string))
	}).(pulumi.StringOutput)
	allow, err := iam.NewRolePolicy(ctx, name+"-sync-policy", with(t.SyncRolePolicy, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: doc,
	}), opts...)
	if err != nil {
		return nil, err
	}
	fn, err := lambda.NewFunction(ctx, name+"-sync", with(t.SyncFunction, &lambda.FunctionArgs{
		Description: pulumi.String("OpenDash " + name + ": puts the changed static files into the site bucket"),
		Runtime:     pulumi.String(syncRuntime),
		Handler:     pulumi.String(syncHandler),
		Code:        pulumi.NewAssetArchive(map[string]any{syncFile: pulumi.NewStringAsset(syncPy)}),
		Role:        role.Arn,
		MemorySize:  pulumi.Int(1024), // more memory is more network: 32 parallel uploads
		Timeout:     pulumi.Int(syncTimeout),
		// The archive is downloaded to /tmp; 2 GB holds sites far beyond what Dash apps ship.
		EphemeralStorage: &lambda.FunctionEphemeralStorageArgs{Size: pulumi.Int(2048)},
	}), opts...)
	if err != nil {
		return nil, err
	}
	logs, err := newLogGroup(ctx, name+"-sync-logs", fn.Name, s, t.SyncLogGroup, opts)
	if err != nil {
		return nil, err
	}
	if origin == nil {
		origin = pulumi.String("")
	}
	input := pulumi.All(bucket.Bucket, staging.Bucket, origin).ApplyT(func(v []any) (string, error) {
		data, err := json.Marshal(syncInput{Bucket: v[0].(string), ArchiveBucket: v[1].(string), ArchiveKey: a.Name,
			Digest: a.Digest, GraceSeconds: int64(StaleGrace / time.Second), SiteOrigin: v[2].(string)})
		return string(data), err
	}).(pulumi.StringOutput)
	return lambda.NewInvocation(ctx, name+"-sync", with(t.Sync, &lambda.InvocationArgs{
		FunctionName:   fn.Name,
		Input:          input,
		LifecycleScope: pulumi.String("CRUD"),
		TerraformKey:   pulumi.String("tf"),
	}), plus(opts, pulumi.DependsOn([]pulumi.Resource{archive, allow, logs}))...)
}

// syncPolicy lets the sync function read its archive, keep its state beside it, and write, list and
// delete the site bucket's objects; nothing else. Listing the staging bucket makes a missing state object
// answer NoSuchKey rather than AccessDenied.
func syncPolicy(siteArn, stagingArn string) string {
	return policy(
		statement{Sid: "ListSite", Effect: "Allow", Action: "s3:ListBucket", Resource: siteArn},
		statement{Sid: "ListStaging", Effect: "Allow", Action: "s3:ListBucket", Resource: stagingArn},
		statement{Sid: "WriteSite", Effect: "Allow", Action: []string{"s3:PutObject", "s3:DeleteObject"},
			Resource: siteArn + "/*"},
		statement{Sid: "ReadArchiveAndState", Effect: "Allow", Action: "s3:GetObject", Resource: stagingArn + "/*"},
		statement{Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: stagingArn + "/state/*"},
	)
}
