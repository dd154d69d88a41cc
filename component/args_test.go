package component

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestBadInput(t *testing.T) {
	on := true
	noWarmer := copyBundle(t, func(m *manifest.Manifest) { m.Origins.Warmer = nil })
	missingFile := copyBundle(t, nil)
	if err := os.Remove(filepath.Join(missingFile, "assets", "index.html")); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args *DashSiteArgs
		want []string // every fragment must appear in the error
	}{
		{"no source and no bundle", &DashSiteArgs{}, []string{`"site"`, "neither source nor bundleDir", "app.py"}},
		{"nil args", nil, []string{"neither source nor bundleDir"}},
		{"source and bundle", &DashSiteArgs{Source: "app", BundleDir: testBundle}, []string{"set only one"}},
		{"unknown architecture", &DashSiteArgs{BundleDir: testBundle, Architecture: "ppc64le"},
			[]string{`"ppc64le"`, "x86_64", "arm64"}},
		{"bundle dir without manifest", &DashSiteArgs{BundleDir: t.TempDir()},
			[]string{"bundleDir", manifest.FileName, "open-dash bundle"}},
		{"architecture differs from the bundle", &DashSiteArgs{BundleDir: testBundle, Architecture: ArchARM64},
			[]string{"built for x86_64", "--architecture arm64"}},
		{"warmer on, bundle without one", &DashSiteArgs{BundleDir: noWarmer, Warmer: &on},
			[]string{"no warmer function", "--include-warmer"}},
		{"file missing from the bundle", &DashSiteArgs{BundleDir: missingFile},
			[]string{"assets/index.html", "missing", "re-run `open-dash bundle`"}},
		{"domain without zone", &DashSiteArgs{BundleDir: testBundle, DomainName: "dash.example.com"},
			[]string{"dash.example.com", "hostedZoneId"}},
		{"zone without domain", &DashSiteArgs{BundleDir: testBundle, HostedZoneId: pulumi.String("Z1")},
			[]string{"without domainName"}},
		{"timeout CloudFront cannot wait for", &DashSiteArgs{BundleDir: testBundle, Timeout: pulumi.Int(56)},
			[]string{"timeout is 56", "1..55", "Response timeout per origin", "Service Quotas"}},
		{"timeout from an output", &DashSiteArgs{BundleDir: testBundle, Timeout: pulumi.Int(90).ToIntOutput()},
			[]string{"timeout is 90", "1..55"}},
		{"zero timeout", &DashSiteArgs{BundleDir: testBundle, Timeout: pulumi.Int(0)}, []string{"timeout is 0"}},
		{"rate limit below WAF's minimum", &DashSiteArgs{BundleDir: testBundle, WafRateLimit: pulumi.Int(5)},
			[]string{"wafRateLimit is 5", "10..2000000000"}},
		{"zero reserved concurrency", &DashSiteArgs{BundleDir: testBundle, ReservedConcurrency: pulumi.Int(0)},
			[]string{"reservedConcurrency is 0", "refuse every request"}},
		{"more warm instances than the cap", &DashSiteArgs{BundleDir: testBundle, WarmerConcurrency: pulumi.Int(5),
			ReservedConcurrency: pulumi.Int(3)}, []string{"warmerConcurrency 5 leaves no instance of reservedConcurrency 3",
			"at most reservedConcurrency - 1 (2)", "warmer to false"}},
		{"warm instances taking the whole cap", &DashSiteArgs{BundleDir: testBundle, WarmerConcurrency: pulumi.Int(3),
			ReservedConcurrency: pulumi.Int(3)}, []string{"warmerConcurrency 3 leaves no instance of reservedConcurrency 3"}},
		{"the default warmer and a cap of one", &DashSiteArgs{BundleDir: testBundle, ReservedConcurrency: pulumi.Int(1)},
			[]string{"warmerConcurrency 1 leaves no instance of reservedConcurrency 1"}},
		{"the whole cap from an output", &DashSiteArgs{BundleDir: testBundle, WarmerConcurrency: pulumi.Int(2),
			ReservedConcurrency: pulumi.Int(2).ToIntOutput()}, []string{"warmerConcurrency 2 leaves no instance of reservedConcurrency 2"}},
		{"too many warm instances", &DashSiteArgs{BundleDir: testBundle, WarmerConcurrency: pulumi.Int(101)},
			[]string{"warmerConcurrency is 101", "1..100"}},
		{"too many warm instances from an output", &DashSiteArgs{BundleDir: testBundle,
			WarmerConcurrency: pulumi.Int(500).ToIntOutput()}, []string{"warmerConcurrency is 500"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := deploy(t, tt.args)
			if d.err == nil {
				t.Fatalf("no error; want one mentioning %q", tt.want)
			}
			for _, w := range tt.want {
				if !strings.Contains(d.err.Error(), w) {
					t.Errorf("error %q does not mention %q", d.err, w)
				}
			}
		})
	}
}

func TestComponentNames(t *testing.T) {
	tests := []struct {
		name string
		ok   bool
	}{
		{"site", true},
		{"my-dash-app-2", true},
		{strings.Repeat("a", MaxNameLength), true},
		{strings.Repeat("a", MaxNameLength+1), false},
		{"MySite", false},   // S3 bucket names are lowercase
		{"my_site", false},  // no "_" in bucket names
		{"my.site", false},  // no "." in Lambda function names
		{"-site", false},    // buckets start with a letter or digit
		{"xn--site", false}, // reserved bucket prefix
		{"", false},
	}
	for _, tt := range tests {
		err := checkName(tt.name)
		if (err == nil) != tt.ok {
			t.Errorf("checkName(%q) = %v, want ok %v", tt.name, err, tt.ok)
		}
		if err != nil && !strings.Contains(err.Error(), "a-z, 0-9") {
			t.Errorf("checkName(%q) = %v: the error should say which names work", tt.name, err)
		}
	}
	// The longest accepted name gives AWS names within their limits (auto-naming adds 8 characters).
	long := strings.Repeat("a", MaxNameLength)
	limits := map[string]int{long + "-edge-signer-role": 64, long + "-sync-role": 64, long + "-server-role": 64,
		long + "-warmer-role": 64, long + "-edge-signer": 64, long + "-sync": 64, long + "-assets": 63,
		long + "-warmer-schedule": 64, long + "-forwarded-host": 64, long + "-assets-oac": 64}
	for n, limit := range limits {
		if len(n)+8 > limit {
			t.Errorf("%s plus 8 random characters is %d long, over %d", n, len(n)+8, limit)
		}
	}
	// NewDashSite checks the name before it registers anything.
	m := &mocks{}
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewDashSite(ctx, "My_Site", &DashSiteArgs{BundleDir: testBundle})
		return err
	}, pulumi.WithMocks("project", "stack", m))
	if err == nil || !strings.Contains(err.Error(), `"My_Site"`) || len(m.children) != 0 {
		t.Errorf("NewDashSite(\"My_Site\") = %v with %d resources, want an error naming it and none", err, len(m.children))
	}
}

func TestBundlerFailureNamesTheSource(t *testing.T) {
	useBundler(t, func(context.Context, bundler.Options) (*bundler.Result, error) {
		return nil, errors.New("app.py: create_app is missing")
	})
	d := deploy(t, &DashSiteArgs{Source: "myapp"})
	if d.err == nil || !strings.Contains(d.err.Error(), "bundling myapp") || !strings.Contains(d.err.Error(), "create_app is missing") {
		t.Fatalf("error = %v, want the source and the bundler's cause", d.err)
	}
}

// TestWarmerWithinTheCap: a warmer that leaves an instance free deploys; a cap of one is fine without one.
func TestWarmerWithinTheCap(t *testing.T) {
	off := false
	noWarmer := copyBundle(t, func(m *manifest.Manifest) { m.Origins.Warmer = nil })
	for _, args := range []*DashSiteArgs{
		{BundleDir: testBundle, WarmerConcurrency: pulumi.Int(2), ReservedConcurrency: pulumi.Int(3)},
		{BundleDir: testBundle, ReservedConcurrency: pulumi.Int(1), Warmer: &off},
		{BundleDir: noWarmer, ReservedConcurrency: pulumi.Int(1)},
	} {
		if d := deploy(t, args); d.err != nil {
			t.Errorf("warmer %v, reserved %v: %v", args.WarmerConcurrency, args.ReservedConcurrency, d.err)
		}
	}
}

func TestBundleWithoutWarmerDeploysNone(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: copyBundle(t, func(m *manifest.Manifest) { m.Origins.Warmer = nil })})
	if d.err != nil {
		t.Fatal(d.err)
	}
	if n := len(d.ofType("aws:cloudwatch/eventRule:EventRule")); n != 0 {
		t.Errorf("%d warmer schedules for a bundle without a warmer", n)
	}
}

func TestArm64Bundle(t *testing.T) {
	dir := copyBundle(t, func(m *manifest.Manifest) { m.Origins.Server.Architecture = ArchARM64 })
	d := deploy(t, &DashSiteArgs{BundleDir: dir, Architecture: ArchARM64})
	if d.err != nil {
		t.Fatal(d.err)
	}
	if a := d.one(t, imagepush.Token, "site-server-image").str("architecture"); a != ArchARM64 {
		t.Errorf("server image architecture = %q, want %s", a, ArchARM64)
	}
	arch := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["architectures"]
	if !sameStrings(arch, []string{ArchARM64}) {
		t.Errorf("architectures = %v", arch)
	}
}

func TestBundleWithoutIndexHasNoRootObject(t *testing.T) {
	dir := copyBundle(t, func(m *manifest.Manifest) {
		var kept []manifest.File
		for _, f := range m.Files {
			if f.Class == manifest.ClassImmutable {
				kept = append(kept, f)
			}
		}
		m.Files = kept
	})
	d := deploy(t, &DashSiteArgs{BundleDir: dir})
	if d.err != nil {
		t.Fatal(d.err)
	}
	dist := d.one(t, "aws:cloudfront/distribution:Distribution", "site-cdn").inputs.Mappable()
	if _, ok := dist["defaultRootObject"]; ok {
		t.Errorf("no index.html in the bundle, yet default root object %v", dist["defaultRootObject"])
	}
}

func TestLogWriterSplitsLines(t *testing.T) {
	var lines []string
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		w := &logWriter{ctx: ctx}
		for _, chunk := range []string{"one\ntw", "o\r\n\n", "three"} {
			if _, err := w.Write([]byte(chunk)); err != nil {
				return err
			}
		}
		lines = append(lines, string(w.buf))
		return nil
	}, pulumi.WithMocks("project", "stack", &mocks{}))
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 1 || lines[0] != "three" {
		t.Errorf("unfinished line kept = %q, want \"three\"", lines)
	}
}

func TestHelpers(t *testing.T) {
	tests := []struct{ got, want any }{
		{urlHost("https://abc.lambda-url.eu-west-1.on.aws/"), "abc.lambda-url.eu-west-1.on.aws"},
		{urlHost("https://abc.lambda-url.eu-west-1.on.aws"), "abc.lambda-url.eu-west-1.on.aws"},
		{originReadTimeout(3), 8},
		{originReadTimeout(30), 35},
		{originReadTimeout(50), 55},
		{originReadTimeout(55), 60},
		{originReadTimeout(900), 60},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: got %v, want %v", i, tt.got, tt.want)
		}
	}
	if _, err := platformOf("s390x"); err == nil {
		t.Error("platformOf accepted s390x")
	}
}

func TestAppArgument(t *testing.T) {
	var got string
	useBundler(t, func(_ context.Context, o bundler.Options) (*bundler.Result, error) {
		got = o.App
		return nil, errors.New("stop here")
	})
	deploy(t, &DashSiteArgs{Source: "myapp", App: "index:app"})
	if got != "index:app" {
		t.Errorf("bundler got App %q, want index:app", got)
	}
	dir := copyBundle(t, func(m *manifest.Manifest) { m.App.Entry = manifest.Entry{Module: "index", Attribute: "app"} })
	for app, want := range map[string]string{"index:app": "", "index": "", "app:app": "imports index:app", "index:server": "--app index:server"} {
		d := deploy(t, &DashSiteArgs{BundleDir: dir, App: app})
		switch {
		case want == "" && d.err != nil:
			t.Errorf("app %s: %v", app, d.err)
		case want != "" && (d.err == nil || !strings.Contains(d.err.Error(), want)):
			t.Errorf("app %s: error %v, want it to mention %q", app, d.err, want)
		}
	}
}

func TestOutDir(t *testing.T) {
	t.Run("passed to the bundler", func(t *testing.T) {
		var got bundler.Options
		useBundler(t, func(_ context.Context, o bundler.Options) (*bundler.Result, error) {
			got = o
			m, err := manifest.Read(testBundle)
			return &bundler.Result{OutDir: testBundle, Manifest: m}, err
		})
		if d := deploy(t, &DashSiteArgs{Source: "apps/sales", OutDir: "apps/.open-dash-sales"}); d.err != nil {
			t.Fatal(d.err)
		}
		if got.OutDir != "apps/.open-dash-sales" || got.SourceDir != "apps/sales" {
			t.Errorf("bundler options = %+v, want the source and outDir given", got)
		}
	})
	t.Run("another app's bundle names outDir, not --out", func(t *testing.T) {
		useBundler(t, func(context.Context, bundler.Options) (*bundler.Result, error) {
			return nil, &bundler.StepError{Step: "check source", Err: &bundler.OwnedError{
				Out: "/p/apps/.open-dash", Owner: "/p/apps/sales", Source: "/p/apps/ops"}}
		})
		d := deploy(t, &DashSiteArgs{Source: "apps/ops"})
		want := `outDir: "/p/apps/.open-dash-ops"`
		if d.err == nil || !strings.Contains(d.err.Error(), want) || !strings.Contains(d.err.Error(), "/p/apps/sales") ||
			strings.Contains(d.err.Error(), "--out") {
			t.Fatalf("error = %v, want it to name the other app and %s (and no CLI flag)", d.err, want)
		}
	})
	t.Run("without source", func(t *testing.T) {
		d := deploy(t, &DashSiteArgs{BundleDir: testBundle, OutDir: "x"})
		if d.err == nil || !strings.Contains(d.err.Error(), "outDir") {
			t.Fatalf("error = %v, want outDir refused without source", d.err)
		}
	})
}
