package component

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// Defaults applied when an argument is left unset.
const (
	DefaultMemorySize        = 1024
	DefaultTimeout           = 30
	DefaultLogRetentionDays  = 14
	DefaultPriceClass        = "PriceClass_100"
	DefaultWarmerConcurrency = 1

	// MaxTimeout is the longest server timeout CloudFront can wait for: its origin read timeout is at most
	// 60 s without a quota increase, and it is set 5 s above the Lambda timeout so a slow answer still
	// arrives.
	MaxTimeout = 55
	// MaxWarmerConcurrency is the most instances the warmer function keeps warm (it refuses more).
	MaxWarmerConcurrency = 100
)

// Lambda architectures the server function can run on.
const (
	ArchX86_64 = "x86_64"
	ArchARM64  = "arm64"
)

// DashSiteArgs are the inputs of a DashSite. Plain (non-Input) fields are needed while the program runs:
// they decide what to bundle and which resources exist, so they cannot wait for other resources' outputs.
type DashSiteArgs struct {
	Source       string   `pulumi:"source,optional"`
	App          string   `pulumi:"app,optional"`
	BundleDir    string   `pulumi:"bundleDir,optional"`
	OutDir       string   `pulumi:"outDir,optional"`
	Python       string   `pulumi:"python,optional"`
	SkipInstall  bool     `pulumi:"skipInstall,optional"`
	ExcludeDirs  []string `pulumi:"excludeDirs,optional"`
	Architecture string   `pulumi:"architecture,optional"`
	ImageBuilder string   `pulumi:"imageBuilder,optional"`
	BaseImage    string   `pulumi:"baseImage,optional"`

	MemorySize       pulumi.IntInput       `pulumi:"memorySize,optional"`
	Timeout          pulumi.IntInput       `pulumi:"timeout,optional"`
	Environment      pulumi.StringMapInput `pulumi:"environment,optional"`
	LogRetentionDays pulumi.IntInput       `pulumi:"logRetentionDays,optional"`
	PriceClass       pulumi.StringInput    `pulumi:"priceClass,optional"`

	ResponseHeadersPolicyId pulumi.StringInput `pulumi:"responseHeadersPolicyId,optional"`

	DomainName   string             `pulumi:"domainName,optional"`
	HostedZoneId pulumi.StringInput `pulumi:"hostedZoneId,optional"`

	Warmer            *bool           `pulumi:"warmer,optional"`
	WarmerConcurrency pulumi.IntInput `pulumi:"warmerConcurrency,optional"`

	DeleteEdgeFunction   bool            `pulumi:"deleteEdgeFunction,optional"`
	EdgeLogRetentionDays pulumi.IntInput `pulumi:"edgeLogRetentionDays,optional"`
	EdgeLogRegions       []string        `pulumi:"edgeLogRegions,optional"`

	ReservedConcurrency    pulumi.IntInput `pulumi:"reservedConcurrency,optional"`
	ProvisionedConcurrency int             `pulumi:"provisionedConcurrency,optional"`
	WafRateLimit           pulumi.IntInput `pulumi:"wafRateLimit,optional"`
	// OriginAuth is how CloudFront authenticates to the server function URL (OriginAuthEdge or OriginAuthOAC).
	OriginAuth string `pulumi:"originAuth,optional"`

	Auth *AuthArgs `pulumi:"auth,optional"`

	BackgroundTimeout             pulumi.IntInput `pulumi:"backgroundTimeout,optional"`
	BackgroundConcurrency         pulumi.IntInput `pulumi:"backgroundConcurrency,optional"`
	BackgroundReservedConcurrency pulumi.IntInput `pulumi:"backgroundReservedConcurrency,optional"`

	// Data access (permissions.go, secrets.go): the role of the server and jobs functions, their VPC, secrets.
	PolicyArns       []pulumi.StringInput  `pulumi:"policyArns,optional"`
	PolicyStatements pulumi.MapArrayInput  `pulumi:"policyStatements,optional"`
	Vpc              *VpcArgs              `pulumi:"vpc,optional"`
	Secrets          map[string]SecretArgs `pulumi:"secrets,optional"`

	// Transform adjusts child resources' arguments before they are created. Go programs only: it has no
	// pulumi tag, so it stays out of the schema; other languages use Pulumi's `transforms` resource option.
	Transform *Transform
}

// Annotate documents every argument for the generated schema.
func (a *DashSiteArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Source, "Folder of the Dash app (holding app.py, or the module app names). The component bundles it into "+
		"`.open-dash` beside it on every run. Set exactly one of source and bundleDir.")
	an.Describe(&a.App, "The app's entry point, MODULE[:ATTRIBUTE] like gunicorn's (`index:app` for the classic "+
		"app.py + index.py layout, `app:make_app()` for a factory). Default: module app, using create_app() if "+
		"defined, else its module-level dash.Dash. With bundleDir it must match the bundle's entry point.")
	an.Describe(&a.BundleDir, "An existing bundle folder (the `.open-dash` folder written by `open-dash bundle`, "+
		"holding open-dash.output.json). Set exactly one of source and bundleDir.")
	an.Describe(&a.OutDir, "With source: the folder the bundle is written to. Default: `.open-dash` beside "+
		"source. Give each DashSite whose sources share a parent folder its own (a folder holding another "+
		"app's bundle is never replaced).")
	an.Describe(&a.Python, "Python interpreter that runs the app while bundling (with source). Default: "+
		"$VIRTUAL_ENV/bin/python, else python3 on PATH.")
	an.Describe(&a.SkipInstall, "With source: skip `pip install -r requirements.txt` into that Python.")
	an.Describe(&a.ExcludeDirs, "With source: folder names or source-relative paths left out of the server function.")
	an.Describe(&a.Architecture, "Server Lambda architecture: x86_64 or arm64. With bundleDir it must match the "+
		"bundle's architecture. Default: x86_64 when bundling, the bundle's otherwise.")
	annotateImage(a, an)
	an.Describe(&a.MemorySize, "Server Lambda memory in MB.")
	an.SetDefault(&a.MemorySize, DefaultMemorySize)
	an.Describe(&a.Timeout, "Server Lambda timeout in seconds, 1 to 55: CloudFront waits timeout + 5 s (at most "+
		"60 s without a quota increase) for a response.")
	an.SetDefault(&a.Timeout, DefaultTimeout)
	an.Describe(&a.Environment, "Extra environment variables for the server Lambda.")
	an.Describe(&a.LogRetentionDays, "Retention of the functions' CloudWatch log groups, in days.")
	an.SetDefault(&a.LogRetentionDays, DefaultLogRetentionDays)
	an.Describe(&a.PriceClass, "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All.")
	an.SetDefault(&a.PriceClass, DefaultPriceClass)
	an.Describe(&a.ResponseHeadersPolicyId, "CloudFront response headers policy on every behavior. Default: the "+
		"managed SecurityHeadersPolicy (HSTS, X-Content-Type-Options, X-Frame-Options SAMEORIGIN, "+
		"Referrer-Policy). Give another policy's id (e.g. to allow framing from other sites), or \"\" for none.")
	an.SetDefault(&a.ResponseHeadersPolicyId, SecurityHeadersPolicyID)
	an.Describe(&a.DomainName, "Custom domain (e.g. dash.example.com). Needs hostedZoneId: the component creates "+
		"an ACM certificate in us-east-1 validated through that zone, and A/AAAA alias records.")
	an.Describe(&a.HostedZoneId, "Route 53 hosted zone that holds domainName.")
	an.Describe(&a.Warmer, "Keep server instances warm with a scheduled warmer Lambda. Default: on when the "+
		"bundle has a warmer function and provisionedConcurrency is 0 (provisioned instances are always warm).")
	an.Describe(&a.WarmerConcurrency, "How many server instances the warmer keeps warm, 1 to 100; with "+
		"reservedConcurrency at most reservedConcurrency - 1, so a visitor always finds an instance free.")
	an.SetDefault(&a.WarmerConcurrency, DefaultWarmerConcurrency)
	an.Describe(&a.ReservedConcurrency, "Cap on the server function's concurrent instances (Lambda reserved "+
		"concurrency), so stray traffic cannot run up the bill or starve other functions; requests over it get "+
		"throttled (HTTP 502 through CloudFront). Free, but taken from the account's concurrency pool. Default: no cap.")
	an.Describe(&a.ProvisionedConcurrency, "Server instances Lambda keeps started (app loaded) at all times: the "+
		"function is published and its alias \""+ServerAliasName+"\" gets this many provisioned instances, which the "+
		"function URL, the edge signer and the warmer use. Requests within them never meet a cold start; more run "+
		"on on-demand instances. Billed while deployed, used or not: about $11 a month per instance per GB of "+
		"memory (x86_64, us-east-1; arm64 about $9), plus the requests' time at a lower rate than on demand. "+
		"Turns the warmer off unless warmer is true. At most reservedConcurrency when that is set. Default: 0 (none).")
	an.Describe(&a.WafRateLimit, "Attach an AWS WAF web ACL that blocks an IP address sending more than this "+
		"many requests in 5 minutes (at least 10). Costs about $6 a month plus $0.60 per million requests. "+
		"Default: "+fmt.Sprint(DefaultBasicAuthWafRateLimit)+" with auth.basic (it slows password guessing), "+
		"otherwise no web ACL; 0 turns it off.")
	an.Describe(&a.BackgroundTimeout, "Timeout in seconds, 1 to 900, of the jobs function that runs the app's "+
		"background callbacks (created only when the bundle has some): a job longer than this ends with an error "+
		"in the browser. Each job is billed for the time it runs.")
	an.SetDefault(&a.BackgroundTimeout, DefaultBackgroundTimeout)
	an.Describe(&a.BackgroundConcurrency, "The most background callback jobs that run at once, 1 to 1000: a start "+
		"beyond it gets the callback's error in the browser, so a public site cannot run unbounded 15-minute jobs.")
	an.SetDefault(&a.BackgroundConcurrency, DefaultBackgroundConcurrency)
	an.Describe(&a.BackgroundReservedConcurrency, "Reserved concurrency of the jobs function: instances kept for "+
		"jobs out of the account's concurrency pool (so the server keeps the rest), at least backgroundConcurrency. "+
		"Default: none (a new account has 10 concurrent executions in all, too few to reserve from).")
	an.Describe(&a.EdgeLogRetentionDays, "Create the log groups of the Lambda@Edge functions (the signer, and "+
		"the auth.oidc sign-in; /aws/lambda/us-east-1.<function>) with this retention, in days, in every region of "+
		"edgeLogRegions. "+
		"Without it Lambda@Edge creates them on first use in each region that runs the function, keeps the "+
		"logs forever and leaves them behind on destroy. Default: unset (no groups created).")
	an.Describe(&a.EdgeLogRegions, "Regions for edgeLogRetentionDays. Default: the regions with CloudFront "+
		"regional edge caches, where origin-request functions run.")
	an.Describe(&a.DeleteEdgeFunction, "Delete the Lambda@Edge functions with the stack. Off by default: AWS "+
		"refuses the delete until CloudFront's replicas are gone, hours after the distribution, so `pulumi "+
		"destroy` would fail; instead each function is left in us-east-1 with its IAM role (they cost nothing "+
		"unused) to delete by hand later.")
	annotateOriginAuth(a, an)
	annotateData(a, an)
	an.Describe(&a.Auth, "Sign-in in front of the whole site, checked at CloudFront's edge before its cache: "+
		"static files and callbacks alike. Default: none, the site is public.")
}

// settings are the arguments with defaults applied and plain values checked.
type settings struct {
	DashSiteArgs
	warmer    *bool // nil: follow the bundle; off by default with provisioned concurrency
	transform Transform
	// timeout and warmerConcurrency fail when they resolve out of range (Timeout and WarmerConcurrency
	// may come from other resources, so they are checked again once known).
	timeout, warmerConcurrency pulumi.IntOutput
	backgroundTimeout          pulumi.IntOutput
	backgroundConcurrency      pulumi.IntOutput
	secretsEnv                 pulumi.StringOutput // OPENDASH_SECRETS when secrets are set (newDataAccess)
}

// resolve checks the plain arguments and fills defaults; name prefixes error messages.
func resolve(name string, args *DashSiteArgs) (*settings, error) {
	if args == nil {
		args = &DashSiteArgs{}
	}
	if err := checkName(name); err != nil {
		return nil, err
	}
	s := &settings{DashSiteArgs: *args, warmer: warmerSetting(args)}
	var err error
	if args.Transform != nil {
		s.transform = *args.Transform
	}
	switch {
	case args.Source == "" && args.BundleDir == "":
		return nil, fmt.Errorf("DashSite %q: neither source nor bundleDir is set; set source to the Dash app "+
			"folder (with app.py) or bundleDir to an existing .open-dash folder", name)
	case args.Source != "" && args.BundleDir != "":
		return nil, fmt.Errorf("DashSite %q: both source (%s) and bundleDir (%s) are set; set only one", name,
			args.Source, args.BundleDir)
	case args.OutDir != "" && args.Source == "":
		return nil, fmt.Errorf("DashSite %q: outDir (%s) is where a bundle of source goes, but source is not "+
			"set; drop outDir, or set source instead of bundleDir", name, args.OutDir)
	}
	switch args.Architecture {
	case "", ArchX86_64, ArchARM64:
	default:
		return nil, fmt.Errorf("DashSite %q: architecture %q is not one Lambda runs; use %q or %q", name,
			args.Architecture, ArchX86_64, ArchARM64)
	}
	if s.ImageBuilder, err = resolveImageBuilder(name, args); err != nil {
		return nil, err
	}
	if s.OriginAuth, err = resolveOriginAuth(name, args.OriginAuth); err != nil {
		return nil, err
	}
	if err := checkOriginAuthArgs(name, s); err != nil {
		return nil, err
	}
	if args.DomainName != "" && args.HostedZoneId == nil {
		return nil, fmt.Errorf("DashSite %q: domainName %s needs hostedZoneId, the Route 53 zone that "+
			"validates its certificate and holds its alias records", name, args.DomainName)
	}
	if args.DomainName == "" && args.HostedZoneId != nil {
		return nil, fmt.Errorf("DashSite %q: hostedZoneId is set without domainName; set both or neither", name)
	}
	if err := checkPlainInt(name, args.Timeout, timeoutRange); err != nil {
		return nil, err
	}
	if err := checkPlainInt(name, args.WarmerConcurrency, warmerConcurrencyRange); err != nil {
		return nil, err
	}
	if len(args.EdgeLogRegions) > 0 && args.EdgeLogRetentionDays == nil {
		return nil, fmt.Errorf("DashSite %q: edgeLogRegions is set without edgeLogRetentionDays; set the "+
			"retention too, or drop edgeLogRegions", name)
	}
	if err := checkPlainInt(name, args.ReservedConcurrency, reservedConcurrencyRange); err != nil {
		return nil, err
	}
	s.WafRateLimit = wafRateLimit(args)
	if err := checkPlainInt(name, s.WafRateLimit, wafRateLimitRange); err != nil {
		return nil, err
	}
	if err := checkPlainInt(name, args.BackgroundTimeout, backgroundTimeoutRange); err != nil {
		return nil, err
	}
	if err := checkBackgroundConcurrency(name, args); err != nil {
		return nil, err
	}
	if err := checkProvisioned(name, args); err != nil {
		return nil, err
	}
	if err := args.Auth.check(name); err != nil {
		return nil, err
	}
	if err := checkData(name, args); err != nil {
		return nil, err
	}
	if s.MemorySize == nil {
		s.MemorySize = pulumi.Int(DefaultMemorySize)
	}
	if s.Timeout == nil {
		s.Timeout = pulumi.Int(DefaultTimeout)
	}
	if s.LogRetentionDays == nil {
		s.LogRetentionDays = pulumi.Int(DefaultLogRetentionDays)
	}
	if s.PriceClass == nil {
		s.PriceClass = pulumi.String(DefaultPriceClass)
	}
	if s.ResponseHeadersPolicyId == nil {
		s.ResponseHeadersPolicyId = pulumi.String(SecurityHeadersPolicyID)
	}
	if s.WarmerConcurrency == nil {
		s.WarmerConcurrency = pulumi.Int(DefaultWarmerConcurrency)
	}
	if s.BackgroundTimeout == nil {
		s.BackgroundTimeout = pulumi.Int(DefaultBackgroundTimeout)
	}
	if s.BackgroundConcurrency == nil {
		s.BackgroundConcurrency = pulumi.Int(DefaultBackgroundConcurrency)
	}
	s.timeout = checkedInt(name, s.Timeout, timeoutRange)
	s.backgroundTimeout = checkedInt(name, s.BackgroundTimeout, backgroundTimeoutRange)
	s.backgroundConcurrency = checkedInt(name, s.BackgroundConcurrency, backgroundConcurrencyRange)
	s.warmerConcurrency = checkedInt(name, s.WarmerConcurrency, warmerConcurrencyRange)
	return s, nil
}

// warmerSetting is the warmer argument with its default: nil follows the bundle, off with provisioned
// concurrency (provisioned instances are always warm; warmer: true still asks for both).
func warmerSetting(args *DashSiteArgs) *bool {
	if args.Warmer == nil && args.ProvisionedConcurrency > 0 {
		off := false
		return &off
	}
	return args.Warmer
}

// warmerAsked reports whether the warmer is on unless the bundle has none.
func (s *settings) warmerAsked() bool { return s.warmer == nil || *s.warmer }

// intRange is an integer argument's allowed values and what to say when one is outside them.
type intRange struct {
	arg      string
	min, max int
	hint     string
}

var (
	timeoutRange = intRange{"timeout", 1, MaxTimeout, "CloudFront waits at most 60 s for the server (its " +
		"origin read timeout, set to timeout + 5 s); for longer requests raise the CloudFront quota \"Response " +
		"timeout per origin\" in Service Quotas, then set the Lambda timeout and the origin's read timeout with " +
		"Transform.ServerFunction and Transform.Distribution (Go) or `transforms` (other languages)"}
	reservedConcurrencyRange = intRange{"reservedConcurrency", 1, 1_000_000, "0 would refuse every request; " +
		"leave it unset for no cap"}
	wafRateLimitRange = intRange{"wafRateLimit", MinWafRateLimit, 2_000_000_000, "AWS WAF's rate-based rules " +
		"count 10 to 2,000,000,000 requests per IP in 5 minutes"}
	warmerConcurrencyRange = intRange{"warmerConcurrency", 1, MaxWarmerConcurrency, "the warmer keeps at most 100 " +
		"instances warm; raise provisioned concurrency on the server function for more"}
)

func (r intRange) check(name string, v int) error {
	if v < r.min || v > r.max {
		return fmt.Errorf("DashSite %q: %s is %d, outside %d..%d: %s", name, r.arg, v, r.min, r.max, r.hint)
	}
	return nil
}

// checkPlainInt checks a value given as a plain number now, so that preview fails before anything is
// created; values that come from other resources are checked by checkedInt once known.
func checkPlainInt(name string, in pulumi.IntInput, r intRange) error {
	if v, ok := in.(pulumi.Int); ok {
		return r.check(name, int(v))
	}
	return nil
}

// checkedInt is in, failing when it resolves outside r.
func checkedInt(name string, in pulumi.IntInput, r intRange) pulumi.IntOutput {
	return in.ToIntOutput().ApplyT(func(v int) (int, error) { return v, r.check(name, v) }).(pulumi.IntOutput)
}

// MaxNameLength is the longest component name whose derived AWS names all fit: Pulumi appends "-" and 7
// random characters, and the longest derived name, "<name>-edge-signer-role-1234567",
// is an IAM role name, at most 64 characters.
const MaxNameLength = 64 - len("-edge-signer-role") - 8

// validName is what every derived name accepts: S3 bucket names are lowercase without "_", Lambda function
// names have no ".".
var validName = regexp.MustCompile(`^[a-z0-9][a-z0-9-]*$`)

// CheckName refuses a DashSite name that would make some derived AWS name invalid (see checkName).
func CheckName(name string) error { return checkName(name) }

// checkName refuses, before anything is created, a component name that would make some AWS name invalid
// half way through an update.
func checkName(name string) error {
	fix := fmt.Sprintf("use at most %d characters of a-z, 0-9 and \"-\", starting with a letter or digit", MaxNameLength)
	switch {
	case !validName.MatchString(name):
		return fmt.Errorf("DashSite %q: the name is not valid in every AWS name derived from it (S3 buckets take "+
			"only lowercase letters, digits, \"-\" and \".\"; Lambda functions no \".\"); %s", name, fix)
	case len(name) > MaxNameLength:
		return fmt.Errorf("DashSite %q: the name has %d characters, too long for the IAM role names derived from "+
			"it (%s-edge-signer-role-<7 random characters> must fit in 64); %s", name, len(name), name, fix)
	case strings.HasPrefix(name, "xn--") || strings.HasPrefix(name, "sthree-"):
		return fmt.Errorf("DashSite %q: S3 bucket names may not start with \"xn--\" or \"sthree-\"; %s", name, fix)
	}
	return nil
}
