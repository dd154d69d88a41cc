package component

import (
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func backgroundBundle(t *testing.T) string {
	return copyBundle(t, func(m *manifest.Manifest) {
		m.App.BackgroundCallbacks = []manifest.BackgroundCallback{{Output: "result.children", Manager: "DiskcacheManager"}}
	})
}

// TestBackgroundJobs: with background callbacks the site gets a private job bucket whose jobs/ prefix
// expires, a jobs function from the server's image with its own timeout and no retries, both functions
// told where the store is, and a role policy limited to that prefix and that function.
func TestBackgroundJobs(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: backgroundBundle(t), BackgroundTimeout: pulumi.Int(600),
		Environment: pulumi.StringMap{"MODE": pulumi.String("prod")}})
	if d.err != nil {
		t.Fatal(d.err)
	}
	pab := d.one(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-jobs-public-access").inputs.Mappable()
	for _, k := range []string{"blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"} {
		if pab[k] != true {
			t.Errorf("job bucket public access block %s = %v", k, pab[k])
		}
	}
	if pab["bucket"] != "site-jobs-b1" {
		t.Errorf("public access block on %v", pab["bucket"])
	}
	rules := d.one(t, "aws:s3/bucketLifecycleConfigurationV2:BucketLifecycleConfigurationV2", "site-jobs-expiry").inputs.Mappable()
	if got := jsonOf(rules["rules"]); got != `[{"expiration":{"days":1},"filter":{"prefix":"jobs/"},"id":"expire-jobs","status":"Enabled"}]` {
		t.Errorf("lifecycle rules = %s", got)
	}

	server := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()
	jobs := d.one(t, "aws:lambda/function:Function", "site-jobs").inputs.Mappable()
	if jobs["imageUri"] != server["imageUri"] || jobs["role"] != server["role"] || jobs["timeout"] != float64(600) ||
		jsonOf(jobs["imageConfig"]) != jsonOf(server["imageConfig"]) || server["timeout"] != float64(DefaultTimeout) {
		t.Errorf("jobs function = %v (server %v)", jobs, server)
	}
	common := `"MODE":"prod","OPENDASH_JOBS_BUCKET":"site-jobs-b1","OPENDASH_JOBS_CONCURRENCY":"5","OPENDASH_JOBS_PREFIX":"jobs/","OPENDASH_JOB_TIMEOUT":"600"`
	if got, want := jsonOf(server["environment"]), `{"variables":{"MODE":"prod","OPENDASH_JOBS_BUCKET":"site-jobs-b1",`+
		`"OPENDASH_JOBS_CONCURRENCY":"5","OPENDASH_JOBS_FUNCTION":"site-jobs-f1","OPENDASH_JOBS_PREFIX":"jobs/",`+
		`"OPENDASH_JOB_TIMEOUT":"600"}}`; got != want {
		t.Errorf("server environment = %s\nwant %s", got, want)
	}
	if got := jsonOf(jobs["environment"]); got != `{"variables":{`+common+`}}` {
		t.Errorf("jobs environment = %s", got)
	}
	if _, ok := jobs["reservedConcurrentExecutions"]; ok {
		t.Errorf("jobs function reserves %v instances, want none by default", jobs["reservedConcurrentExecutions"])
	}
	invoke := d.one(t, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig", "site-jobs-invoke-config").inputs.Mappable()
	if invoke["functionName"] != "site-jobs-f1" || invoke["maximumRetryAttempts"] != float64(0) ||
		invoke["maximumEventAgeInSeconds"] != float64(120) {
		t.Errorf("async invoke config = %v", invoke)
	}
	if logs := d.one(t, "aws:cloudwatch/logGroup:LogGroup", "site-jobs-logs"); logs.str("name") != "/aws/lambda/site-jobs-"+stackHash {
		t.Errorf("jobs log group = %v", logs.inputs)
	}

	pol := d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-server-jobs-policy")
	if pol.str("role") != "site-server-role-id" {
		t.Errorf("jobs policy on role %q", pol.str("role"))
	}
	doc := parsePolicy(t, pol.str("policy"))
	want := `[{"Sid":"JobRecords","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","s3:DeleteObject"],` +
		`"Resource":"arn:aws:s3:::site-jobs-b1/jobs/*"},` +
		`{"Sid":"JobRecordsMissingIs404","Effect":"Allow","Action":"s3:ListBucket","Resource":"arn:aws:s3:::site-jobs-b1",` +
		`"Condition":{"StringLike":{"s3:prefix":"jobs/*"}}},` +
		`{"Sid":"StartJobs","Effect":"Allow","Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:` + region + `:` + account + `:function:site-jobs-f1"}]`
	if got := jsonOf(doc.Statement); got != want {
		t.Errorf("jobs policy:\n got %s\nwant %s", got, want)
	}
	for _, c := range d.children {
		if strings.HasPrefix(c.name, "site-jobs") && c.parent == "" {
			t.Errorf("%s has no parent", c.name)
		}
	}
}

// TestNoBackgroundJobsWithoutBackgroundCallbacks: a bundle without background callbacks gets none of it.
func TestNoBackgroundJobsWithoutBackgroundCallbacks(t *testing.T) {
	d := deployed(t)
	for _, c := range d.children {
		if strings.Contains(c.name, "jobs") {
			t.Errorf("unexpected %s %s", c.typ, c.name)
		}
	}
}

func TestBackgroundTimeoutRange(t *testing.T) {
	for _, tc := range []struct {
		v    int
		want string
	}{{0, "backgroundTimeout is 0, outside 1..900"}, {901, "at most 15 minutes"}} {
		d := deploy(t, &DashSiteArgs{BundleDir: backgroundBundle(t), BackgroundTimeout: pulumi.Int(tc.v)})
		if d.err == nil || !strings.Contains(d.err.Error(), tc.want) {
			t.Errorf("backgroundTimeout %d: err = %v, want %q", tc.v, d.err, tc.want)
		}
	}
}

// TestBackgroundConcurrency: the jobs cap reaches both functions; the jobs function reserves instances only
// when asked, and never fewer than the jobs that may run.
func TestBackgroundConcurrency(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: backgroundBundle(t), BackgroundConcurrency: pulumi.Int(3),
		BackgroundReservedConcurrency: pulumi.Int(4)})
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, fn := range []string{"site-server", "site-jobs"} {
		vars := d.one(t, "aws:lambda/function:Function", fn).inputs.Mappable()["environment"].(map[string]any)["variables"].(map[string]any)
		if vars["OPENDASH_JOBS_CONCURRENCY"] != "3" {
			t.Errorf("%s OPENDASH_JOBS_CONCURRENCY = %v, want 3", fn, vars["OPENDASH_JOBS_CONCURRENCY"])
		}
	}
	if got := d.one(t, "aws:lambda/function:Function", "site-jobs").inputs.Mappable()["reservedConcurrentExecutions"]; got != float64(4) {
		t.Errorf("jobs reserved concurrency = %v, want 4", got)
	}
	if got := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["reservedConcurrentExecutions"]; got != nil {
		t.Errorf("server reserved concurrency = %v, want none", got)
	}

	for _, tc := range []struct {
		args *DashSiteArgs
		want string
	}{
		{&DashSiteArgs{BackgroundConcurrency: pulumi.Int(0)}, "backgroundConcurrency is 0, outside 1..1000"},
		{&DashSiteArgs{BackgroundReservedConcurrency: pulumi.Int(0)}, "backgroundReservedConcurrency is 0"},
		{&DashSiteArgs{BackgroundReservedConcurrency: pulumi.Int(2)}, "backgroundConcurrency 5 is above backgroundReservedConcurrency 2"},
		{&DashSiteArgs{BackgroundConcurrency: pulumi.Int(8), BackgroundReservedConcurrency: pulumi.Int(4).ToIntOutput()},
			"backgroundConcurrency 8 is above backgroundReservedConcurrency 4"},
	} {
		tc.args.BundleDir = backgroundBundle(t)
		if d := deploy(t, tc.args); d.err == nil || !strings.Contains(d.err.Error(), tc.want) {
			t.Errorf("err = %v, want %q", d.err, tc.want)
		}
	}
}
