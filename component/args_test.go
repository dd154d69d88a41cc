package component

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler"
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

func TestBundlerFailureNamesTheSource(t *testing.T) {
	useBundler(t, func(context.Context, bundler.Options) (*bundler.Result, error) {
		return nil, errors.New("app.py: create_app is missing")
	})
	d := deploy(t, &DashSiteArgs{Source: "myapp"})
	if d.err == nil || !strings.Contains(d.err.Error(), "bundling myapp") || !strings.Contains(d.err.Error(), "create_app is missing") {
		t.Fatalf("error = %v, want the source and the bundler's cause", d.err)
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
	if p := d.one(t, "awsx:ecr:Image", "site-server-image").str("platform"); p != "linux/arm64" {
		t.Errorf("platform = %q, want linux/arm64", p)
	}
	arch := d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["architectures"]
	if !sameStrings(arch, []string{ArchARM64}) {
		t.Errorf("architectures = %v", arch)
	}
}

func TestBundleWithoutRevalidatedFilesNeedsNoInvalidator(t *testing.T) {
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
	for _, c := range d.children {
		if strings.Contains(c.name, "invalidat") {
			t.Errorf("%s %s created although no file needs invalidating", c.typ, c.name)
		}
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

func TestRevalidatePaths(t *testing.T) {
	m := &manifest.Manifest{Files: []manifest.File{
		{Key: "a b/c*.js", Class: manifest.ClassRevalidate, SHA256: "1"},
		{Key: "index.html", Class: manifest.ClassRevalidate, SHA256: "2"},
		{Key: "x.v1m2.js", Class: manifest.ClassImmutable, SHA256: "3"},
	}}
	got := revalidatePaths(m)
	want := map[string]string{"/a%20b/c%2A.js": "1", "/index.html": "2", "/": "2"}
	if len(got) != len(want) {
		t.Fatalf("paths = %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("path %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
}

func TestHelpers(t *testing.T) {
	tests := []struct{ got, want any }{
		{urlHost("https://abc.lambda-url.eu-west-1.on.aws/"), "abc.lambda-url.eu-west-1.on.aws"},
		{urlHost("https://abc.lambda-url.eu-west-1.on.aws"), "abc.lambda-url.eu-west-1.on.aws"},
		{originReadTimeout(3), 30},
		{originReadTimeout(45), 45},
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
