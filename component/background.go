package component

import (
	"fmt"
	"strconv"

	"github.com/opendash/opendash/bundler/background"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/s3"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Background callbacks on Lambda (only when the bundle's manifest lists some). The server function's
// timeout is capped by CloudFront's 60 s, and Lambda has one timeout per function, so jobs run in a second
// function from the same image (the jobs function, up to 15 minutes), which the server function invokes
// asynchronously. Job state lives in S3 rather than DynamoDB: a callback's result can be megabytes (a
// figure), far over DynamoDB's 400 KB item limit, and S3 reads are strongly consistent after writes.
const (
	// DefaultBackgroundTimeout is the jobs function's timeout: Lambda's maximum.
	DefaultBackgroundTimeout = 900
	// DefaultBackgroundConcurrency is how many jobs run at once unless backgroundConcurrency says otherwise:
	// enough for a team's app, and half of the 10 concurrent executions a new AWS account starts with.
	DefaultBackgroundConcurrency = 5
	// JobsExpiryDays is how long the bucket keeps a job's records (lifecycle rule on the jobs/ prefix).
	JobsExpiryDays = 1
	// jobMaxEventAge matches the manager's START_GRACE: an event queued longer is dropped, and the browser's
	// poll reports that the job never started.
	jobMaxEventAge = 120
)

var (
	backgroundTimeoutRange = intRange{"backgroundTimeout", 1, 900, "Lambda runs a function for at most 15 " +
		"minutes; split longer work into several callbacks"}
	backgroundConcurrencyRange = intRange{"backgroundConcurrency", 1, 1000, "it is the most background jobs " +
		"that run at once; a start beyond it gets the callback's error"}
	backgroundReservedRange = intRange{"backgroundReservedConcurrency", 1, 1_000_000, "leave it unset for no " +
		"reservation"}
)

// checkBackgroundConcurrency checks the jobs cap and the jobs function's reservation given as numbers now;
// from other resources they are checked once known (jobsConcurrency, jobsReserved).
func checkBackgroundConcurrency(name string, args *DashSiteArgs) error {
	if err := checkPlainInt(name, args.BackgroundConcurrency, backgroundConcurrencyRange); err != nil {
		return err
	}
	if err := checkPlainInt(name, args.BackgroundReservedConcurrency, backgroundReservedRange); err != nil {
		return err
	}
	jobs, okJobs := args.BackgroundConcurrency.(pulumi.Int)
	if args.BackgroundConcurrency == nil {
		jobs, okJobs = DefaultBackgroundConcurrency, true
	}
	reserved, okReserved := args.BackgroundReservedConcurrency.(pulumi.Int)
	if okJobs && okReserved {
		return checkJobsFit(name, int(jobs), int(reserved))
	}
	return nil
}

func checkJobsFit(name string, jobs, reserved int) error {
	if jobs > reserved {
		return fmt.Errorf("DashSite %q: backgroundConcurrency %d is above backgroundReservedConcurrency %d: Lambda "+
			"would throttle the jobs over the reservation, and a throttled job waits in Lambda's queue until it "+
			"is dropped (after 2 minutes); raise backgroundReservedConcurrency or lower backgroundConcurrency",
			name, jobs, reserved)
	}
	return nil
}

// backgroundJobs is the job store and the jobs function.
type backgroundJobs struct {
	bucket   *s3.BucketV2
	function *lambda.Function
	// env are the variables both functions read (the store, the timeout); the server adds the jobs function.
	env pulumi.StringMap
}

// newBackgroundJobs creates the private job bucket (what jobs leave expires after a day) and the jobs
// function, from the server's image and role.
func newBackgroundJobs(ctx *pulumi.Context, name string, b *siteBundle, s *settings, imageUri pulumi.StringOutput,
	role *iam.Role, opts []pulumi.ResourceOption) (*backgroundJobs, error) {
	t := &s.transform
	bucket, err := s3.NewBucketV2(ctx, name+"-jobs", with(t.JobsBucket, &s3.BucketV2Args{
		ForceDestroy: pulumi.Bool(true), // only short-lived job records
	}), opts...)
	if err != nil {
		return nil, err
	}
	pab, err := blockPublicAccess(ctx, name+"-jobs-public-access", bucket, nil, opts)
	if err != nil {
		return nil, err
	}
	// One bucket-level change at a time (S3 answers concurrent ones with OperationAborted).
	_, err = s3.NewBucketLifecycleConfigurationV2(ctx, name+"-jobs-expiry", &s3.BucketLifecycleConfigurationV2Args{
		Bucket: bucket.ID(),
		Rules: s3.BucketLifecycleConfigurationV2RuleArray{&s3.BucketLifecycleConfigurationV2RuleArgs{
			Id:         pulumi.String("expire-jobs"),
			Status:     pulumi.String("Enabled"),
			Filter:     &s3.BucketLifecycleConfigurationV2RuleFilterArgs{Prefix: pulumi.String(background.Prefix)},
			Expiration: &s3.BucketLifecycleConfigurationV2RuleExpirationArgs{Days: pulumi.Int(JobsExpiryDays)},
		}},
	}, plus(opts, pulumi.DependsOn([]pulumi.Resource{pab}))...)
	if err != nil {
		return nil, err
	}
	env := pulumi.StringMap{
		background.EnvBucket:      bucket.Bucket,
		background.EnvPrefix:      pulumi.String(background.Prefix),
		background.EnvTimeout:     s.backgroundTimeout.ApplyT(strconv.Itoa).(pulumi.StringOutput),
		background.EnvConcurrency: s.backgroundConcurrency.ApplyT(strconv.Itoa).(pulumi.StringOutput),
	}
	logs, err := newLogGroup(ctx, name+"-jobs-logs", s, t.ServerLogGroup, opts)
	if err != nil {
		return nil, err
	}
	args := imageFunctionArgs("OpenDash "+name+": the Dash app's background callback jobs", b, s, imageUri, role,
		s.backgroundTimeout, env)
	args.LoggingConfig = loggingTo(logs)
	args.ReservedConcurrentExecutions = jobsReserved(name, s)
	fn, err := lambda.NewFunction(ctx, name+"-jobs", with(t.JobsFunction, args), opts...)
	if err != nil {
		return nil, err
	}
	// A job must not run twice: Lambda's default of two retries would repeat a failed one.
	if _, err = lambda.NewFunctionEventInvokeConfig(ctx, name+"-jobs-invoke-config", &lambda.FunctionEventInvokeConfigArgs{
		FunctionName:             fn.Name,
		MaximumRetryAttempts:     pulumi.Int(0),
		MaximumEventAgeInSeconds: pulumi.Int(jobMaxEventAge),
	}, opts...); err != nil {
		return nil, err
	}
	return &backgroundJobs{bucket: bucket, function: fn, env: env}, nil
}

// jobsReserved is the jobs function's reserved concurrency, nil (none) unless asked for: reserved
// concurrency comes out of the account's pool, and a new account has only 10 in all.
func jobsReserved(name string, s *settings) pulumi.IntPtrInput {
	if s.BackgroundReservedConcurrency == nil {
		return nil
	}
	return pulumi.All(s.backgroundConcurrency, s.BackgroundReservedConcurrency).ApplyT(func(v []any) (int, error) {
		reserved := v[1].(int)
		if err := backgroundReservedRange.check(name, reserved); err != nil {
			return 0, err
		}
		return reserved, checkJobsFit(name, v[0].(int), reserved)
	}).(pulumi.IntOutput).ToIntPtrOutput()
}

// serverEnv is what the server function adds to env: the jobs function it starts jobs in.
func (j *backgroundJobs) serverEnv() pulumi.StringMap {
	out := pulumi.StringMap{background.EnvFunction: j.function.Name}
	for k, v := range j.env {
		out[k] = v
	}
	return out
}

// grant lets the functions' role use the job store and start jobs, and nothing more.
func (j *backgroundJobs) grant(ctx *pulumi.Context, name string, role *iam.Role, opts []pulumi.ResourceOption) error {
	doc := pulumi.All(j.bucket.Arn, j.function.Arn).ApplyT(func(a []any) string {
		return jobsPolicy(a[0].(string), a[1].(string))
	}).(pulumi.StringOutput)
	_, err := iam.NewRolePolicy(ctx, name+"-server-jobs-policy", &iam.RolePolicyArgs{Role: role.ID(), Policy: doc}, opts...)
	return err
}

// jobsPolicy: read, write and delete job records under the prefix, list it (without s3:ListBucket S3
// answers a missing key with 403 instead of 404, and a pending job's result is missing), and invoke the
// jobs function.
func jobsPolicy(bucketArn, jobsFunctionArn string) string {
	return policy(
		statement{
			Sid:      "JobRecords",
			Effect:   "Allow",
			Action:   []string{"s3:GetObject", "s3:PutObject", "s3:DeleteObject"},
			Resource: bucketArn + "/" + background.Prefix + "*",
		},
		statement{
			Sid:       "JobRecordsMissingIs404",
			Effect:    "Allow",
			Action:    "s3:ListBucket",
			Resource:  bucketArn,
			Condition: map[string]map[string]string{"StringLike": {"s3:prefix": background.Prefix + "*"}},
		},
		statement{
			Sid:      "StartJobs",
			Effect:   "Allow",
			Action:   "lambda:InvokeFunction",
			Resource: jobsFunctionArn,
		},
	)
}
