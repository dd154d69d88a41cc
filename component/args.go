package component

import (
	"fmt"

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
	BundleDir    string   `pulumi:"bundleDir,optional"`
	Python       string   `pulumi:"python,optional"`
	SkipInstall  bool     `pulumi:"skipInstall,optional"`
	ExcludeDirs  []string `pulumi:"excludeDirs,optional"`
	Architecture string   `pulumi:"architecture,optional"`

	MemorySize       pulumi.IntInput       `pulumi:"memorySize,optional"`
	Timeout          pulumi.IntInput       `pulumi:"timeout,optional"`
	Environment      pulumi.StringMapInput `pulumi:"environment,optional"`
	LogRetentionDays pulumi.IntInput       `pulumi:"logRetentionDays,optional"`
	PriceClass       pulumi.StringInput    `pulumi:"priceClass,optional"`

	DomainName   string             `pulumi:"domainName,optional"`
	HostedZoneId pulumi.StringInput `pulumi:"hostedZoneId,optional"`

	Warmer            *bool           `pulumi:"warmer,optional"`
	WarmerConcurrency pulumi.IntInput `pulumi:"warmerConcurrency,optional"`

	Auth *AuthArgs `pulumi:"auth,optional"`

	// Transform adjusts child resources' arguments before they are created. Go programs only: it has no
	// pulumi tag, so it stays out of the schema; other languages use Pulumi's `transforms` resource option.
	Transform *Transform
}

// Annotate documents every argument for the generated schema.
func (a *DashSiteArgs) Annotate(an infer.Annotator) {
	an.Describe(&a.Source, "Folder of the Dash app (app.py defining create_app()). The component bundles it into "+
		"`.open-dash` beside it on every run. Set exactly one of source and bundleDir.")
	an.Describe(&a.BundleDir, "An existing bundle folder (the `.open-dash` folder written by `open-dash bundle`, "+
		"holding open-dash.output.json). Set exactly one of source and bundleDir.")
	an.Describe(&a.Python, "Python interpreter that runs the app while bundling (with source). Default: "+
		"$VIRTUAL_ENV/bin/python, else python3 on PATH.")
	an.Describe(&a.SkipInstall, "With source: skip `pip install -r requirements.txt` into that Python.")
	an.Describe(&a.ExcludeDirs, "With source: folder names or source-relative paths left out of the server function.")
	an.Describe(&a.Architecture, "Server Lambda architecture: x86_64 or arm64. With bundleDir it must match the "+
		"bundle's architecture. Default: x86_64 when bundling, the bundle's otherwise.")
	an.Describe(&a.MemorySize, "Server Lambda memory in MB.")
	an.SetDefault(&a.MemorySize, DefaultMemorySize)
	an.Describe(&a.Timeout, "Server Lambda timeout in seconds (CloudFront waits at most 60 s for a response).")
	an.SetDefault(&a.Timeout, DefaultTimeout)
	an.Describe(&a.Environment, "Extra environment variables for the server Lambda.")
	an.Describe(&a.LogRetentionDays, "Retention of the functions' CloudWatch log groups, in days.")
	an.SetDefault(&a.LogRetentionDays, DefaultLogRetentionDays)
	an.Describe(&a.PriceClass, "CloudFront price class: PriceClass_100, PriceClass_200 or PriceClass_All.")
	an.SetDefault(&a.PriceClass, DefaultPriceClass)
	an.Describe(&a.DomainName, "Custom domain (e.g. dash.example.com). Needs hostedZoneId: the component creates "+
		"an ACM certificate in us-east-1 validated through that zone, and A/AAAA alias records.")
	an.Describe(&a.HostedZoneId, "Route 53 hosted zone that holds domainName.")
	an.Describe(&a.Warmer, "Keep server instances warm with a scheduled warmer Lambda. Default: on when the "+
		"bundle has a warmer function.")
	an.Describe(&a.WarmerConcurrency, "How many server instances the warmer keeps warm.")
	an.SetDefault(&a.WarmerConcurrency, DefaultWarmerConcurrency)
	an.Describe(&a.Auth, "Sign-in in front of the whole site, checked at CloudFront's edge before its cache: "+
		"static files and callbacks alike. Default: none, the site is public.")
}

// settings are the arguments with defaults applied and plain values checked.
type settings struct {
	DashSiteArgs
	warmer    *bool // nil: follow the bundle
	transform Transform
}

// resolve checks the plain arguments and fills defaults; name prefixes error messages.
func resolve(name string, args *DashSiteArgs) (*settings, error) {
	if args == nil {
		args = &DashSiteArgs{}
	}
	s := &settings{DashSiteArgs: *args, warmer: args.Warmer}
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
	}
	switch args.Architecture {
	case "", ArchX86_64, ArchARM64:
	default:
		return nil, fmt.Errorf("DashSite %q: architecture %q is not one Lambda runs; use %q or %q", name,
			args.Architecture, ArchX86_64, ArchARM64)
	}
	if args.DomainName != "" && args.HostedZoneId == nil {
		return nil, fmt.Errorf("DashSite %q: domainName %s needs hostedZoneId, the Route 53 zone that "+
			"validates its certificate and holds its alias records", name, args.DomainName)
	}
	if args.DomainName == "" && args.HostedZoneId != nil {
		return nil, fmt.Errorf("DashSite %q: hostedZoneId is set without domainName; set both or neither", name)
	}
	if err := args.Auth.check(name); err != nil {
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
	if s.WarmerConcurrency == nil {
		s.WarmerConcurrency = pulumi.Int(DefaultWarmerConcurrency)
	}
	return s, nil
}
