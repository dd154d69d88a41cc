package component

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"time"

	"github.com/opendash/opendash/component/sitearchive"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
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
// changed objects and invalidates in CloudFront what it overwrote (functions/sync.py). The zip's index is
// the site's digest list: the invocation's input names the zip, so it stays the same size whatever the site.

//go:embed functions/sync.py
var syncPy string

//go:embed functions/invalidate.py
var invalidatePy string

const (
	syncHandler = "sync.handler"
	syncRuntime = "python3.13" // ships boto3, all sync.py needs beyond the standard library
	// StaleGrace is how long a fingerprinted file the new build no longer has stays in the bucket: a tab
	// opened on the previous build keeps loading its scripts. It is deleted by the first sync after that.
	StaleGrace = 7 * 24 * time.Hour
	// syncTimeout bounds the one synchronous invoke lambda.Invocation makes: under the 350 s idle timeout of
	// NAT gateways and load balancers between Pulumi and Lambda, which drop a quiet connection (and an SDK
	// that retries the call would start a second sync; the sync's lock makes that one wait). A site the sync
	// could not put in place in this time is refused up front (checkSiteLimits).
	syncTimeout = 300
)

// Static site limits: what one sync puts in place well within syncTimeout. A first sync uploads every
// object, and its cost is the SDK's work per request, about 4 ms of CPU (measured: 79 CPU seconds for 20,002
// objects, make bench-sync), with the 32 parallel uploads overlapping S3's latency: 30,000 files take about
// two minutes of the sync function's one vCPU (syncMemory). Bytes cost the network: the archive downloaded,
// then uploaded, at 50 MB/s or more each, is 45 s for 1 GiB. lambda.Invocation makes one synchronous call
// and cannot continue or poll a longer one, so a larger site needs a sync that runs across calls.
const (
	MaxSiteFiles = 30_000
	MaxSiteBytes = 1 << 30
	// syncMemory is Lambda's memory for one full vCPU: the uploads are CPU-bound on the SDK's side (one
	// Python process uses one core, so more memory would buy nothing).
	syncMemory = 1769
)

// archiveDir is where the site's zip is written: inside the bundle, in the folder the bundler leaves
// alone. Tests point it elsewhere so they never write into testdata.
var archiveDir = func(b *siteBundle) string { return b.path(manifest.DeployDir) }

// syncInput is what the sync function receives.
type syncInput struct {
	Bucket         string `json:"bucket"`
	ArchiveBucket  string `json:"archiveBucket"`
	ArchiveKey     string `json:"archiveKey"`
	Digest         string `json:"digest"`
	GraceSeconds   int64  `json:"graceSeconds"`
	DistributionID string `json:"distributionId"` // where the sync invalidates what it overwrote
	// SiteOrigin replaces the placeholder origin in the pages that name the site (manifest.File.SiteOrigin).
	SiteOrigin string `json:"siteOrigin,omitempty"`
}

// checkSiteLimits refuses, before anything is created, a static site one sync cannot put in place.
func checkSiteLimits(name string, b *siteBundle) error {
	var bytes int64
	for _, f := range b.manifest.Files {
		bytes += f.Size
	}
	files := len(b.manifest.Files)
	if files <= MaxSiteFiles && bytes <= MaxSiteBytes {
		return nil
	}
	return fmt.Errorf("DashSite %q: the static site in %s has %d files and %d bytes, over what one sync puts in "+
		"place within its %d s (at most %d files and %d bytes): pulumi-aws's lambda.Invocation makes one "+
		"synchronous call and cannot continue or poll a longer one. Serve large data from your app or its own "+
		"bucket rather than as static files; lifting the limit needs a sync that runs across several calls "+
		"(a provider resource that polls, or a Step Functions workflow)", name, b.dir, files, bytes, syncTimeout,
		MaxSiteFiles, int64(MaxSiteBytes))
}

// newSiteSync uploads the site's archive and runs the sync into the site's bucket, which then invalidates
// in dist what it overwrote.
func newSiteSync(ctx *pulumi.Context, name string, b *siteBundle, site *staticSite, dist *cloudfront.Distribution,
	s *settings, opts []pulumi.ResourceOption) error {
	a, err := sitearchive.Write(b.dir, b.manifest, archiveDir(b))
	if err != nil {
		return fmt.Errorf("DashSite %q: %s: %w", name, b.dir, err)
	}
	t := &s.transform
	staging, err := s3.NewBucketV2(ctx, name+"-deploy", with(t.DeployBucket, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(true), // the archive and the sync's state: rebuilt by the next deploy
	}), opts...)
	if err != nil {
		return err
	}
	_, err = blockPublicAccess(ctx, name+"-deploy-public-access", staging, t.DeployBucketPublicAccessBlock, opts)
	if err != nil {
		return err
	}
	archive, err := s3.NewBucketObjectv2(ctx, name+"-static-archive", with(t.BucketObject, &s3.BucketObjectv2Args{
		Bucket:      staging.ID(),
		Key:         pulumi.String(a.Name),       // a new site is a new key: replaced, the old one deleted after
		Source:      pulumi.NewFileAsset(a.Path), // relative to the program when the bundle is,
		ContentType: pulumi.String("application/zip"),
	}), opts...)
	if err != nil {
		return err
	}

	role, err := newLambdaRole(ctx, name+"-sync", t.SyncRole, t.SyncBasicExecution, opts, "lambda.amazonaws.com")
	if err != nil {
		return err
	}
	doc := pulumi.All(site.bucket.Arn, staging.Arn, dist.Arn).ApplyT(func(v []any) string {
		return syncPolicy(v[0].(string), v[1].(string), v[2].(string))
	}).(pulumi.StringOutput)
	allow, err := iam.NewRolePolicy(ctx, name+"-sync-policy", with(t.SyncRolePolicy, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: doc,
	}), opts...)
	if err != nil {
		return err
	}
	logs, err := newLogGroup(ctx, name+"-sync-logs", s, t.SyncLogGroup, opts)
	if err != nil {
		return err
	}
	fn, err := lambda.NewFunction(ctx, name+"-sync", with(t.SyncFunction, &lambda.FunctionArgs{
		Description: pulumi.String("OpenDash " + name + ": puts the changed static files into the site bucket"),
		Runtime:     pulumi.String(syncRuntime),
		Handler:     pulumi.String(syncHandler),
		Code: pulumi.NewAssetArchive(map[string]any{
			"sync.py":       pulumi.NewStringAsset(syncPy),
			"invalidate.py": pulumi.NewStringAsset(invalidatePy),
		}),
		Role:       role.Arn,
		MemorySize: pulumi.Int(syncMemory),
		Timeout:    pulumi.Int(syncTimeout),
		// The archive is downloaded to /tmp: 2 GB holds MaxSiteBytes and the zip's overhead.
		EphemeralStorage: &lambda.FunctionEphemeralStorageArgs{Size: pulumi.Int(2048)},
		LoggingConfig:    loggingTo(logs),
	}), opts...)
	if err != nil {
		return err
	}
	input := pulumi.All(site.bucket.Bucket, staging.Bucket, dist.ID(), siteOrigin(b, s, dist)).ApplyT(func(v []any) (string, error) {
		data, err := json.Marshal(syncInput{Bucket: v[0].(string), ArchiveBucket: v[1].(string), ArchiveKey: a.Name,
			Digest: a.Digest, GraceSeconds: int64(StaleGrace / time.Second), DistributionID: string(v[2].(pulumi.ID)),
			SiteOrigin: v[3].(string)})
		return string(data), err
	}).(pulumi.StringOutput)
	// Every change of the input replaces the invocation, so each run is a create. A create that fails is
	// not recorded and the next `pulumi up` runs it again; an update that fails would be recorded as done
	// (terraform-provider-aws#43447). The default lifecycle scope runs the function on create only: nothing
	// to undo on delete (the buckets go with the stack).
	_, err = lambda.NewInvocation(ctx, name+"-sync", with(t.Sync, &lambda.InvocationArgs{
		FunctionName: fn.Name,
		Input:        input,
	}), plus(opts, pulumi.DependsOn([]pulumi.Resource{archive, allow}), pulumi.ReplaceOnChanges([]string{"input"}))...)
	return err
}

// syncPolicy lets the sync function read its archive, keep its state and lock beside it, write, list and
// delete the site bucket's objects, and invalidate this distribution; nothing else. Listing the staging
// bucket makes a missing state object answer NoSuchKey rather than AccessDenied.
func syncPolicy(siteArn, stagingArn, distributionArn string) string {
	return policy(
		statement{Sid: "ListSite", Effect: "Allow", Action: "s3:ListBucket", Resource: siteArn},
		statement{Sid: "ListStaging", Effect: "Allow", Action: "s3:ListBucket", Resource: stagingArn},
		statement{Sid: "WriteSite", Effect: "Allow", Action: []string{"s3:PutObject", "s3:DeleteObject"},
			Resource: siteArn + "/*"},
		statement{Sid: "ReadArchiveAndState", Effect: "Allow", Action: "s3:GetObject", Resource: stagingArn + "/*"},
		statement{Sid: "WriteState", Effect: "Allow", Action: "s3:PutObject", Resource: stagingArn + "/state/*"},
		statement{Sid: "OneSyncAtATime", Effect: "Allow", Action: []string{"s3:PutObject", "s3:DeleteObject"},
			Resource: stagingArn + "/lock/*"},
		statement{Sid: "InvalidateThisDistribution", Effect: "Allow", Action: "cloudfront:CreateInvalidation",
			Resource: distributionArn},
	)
}
