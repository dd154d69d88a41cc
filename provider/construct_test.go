package provider

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/blang/semver"
	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/component/imagepush"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
)

// testBundle is the component's test bundle: a manifest, assets, a server function and a warmer.
var testBundle = filepath.Join("..", "component", "testdata", "bundle")

// TestMain deploys a copy of the component's test bundle: a deploy writes the site's archive into its bundle.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "opendash-provider-test-")
	if err != nil {
		panic(err)
	}
	copied := filepath.Join(dir, ".open-dash")
	if err := os.CopyFS(copied, os.DirFS(testBundle)); err != nil {
		panic(err)
	}
	testBundle = copied
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

const (
	siteURN    = "urn:pulumi:stack::project::" + component.Token + "::site" // the test server's stack and project
	distDomain = "d111111abcdef8.cloudfront.net"
	urlHost    = "abcdefghij0123456789.lambda-url.us-west-2.on.aws"
	imageURI   = "123456789012.dkr.ecr.us-west-2.amazonaws.com/repo@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
)

// registered is one child resource the plugin's Construct registered with the (mock) engine.
type registered struct {
	typ, name, parent string
}

// fakeAWS answers registrations the way AWS would fill the outputs DashSite reads, and records them.
type fakeAWS struct {
	mu       sync.Mutex
	children []registered
}

func (f *fakeAWS) monitor() *integration.MockResourceMonitor {
	return &integration.MockResourceMonitor{NewResourceF: f.newResource}
}

func (f *fakeAWS) newResource(args integration.MockResourceArgs) (string, property.Map, error) {
	r := registered{typ: string(args.TypeToken), name: args.Name}
	if args.RegisterRPC != nil {
		r.parent = args.RegisterRPC.GetParent()
	}
	f.mu.Lock()
	f.children = append(f.children, r)
	f.mu.Unlock()

	outs := args.Inputs.AsMap()
	set := func(k, v string) { outs[k] = property.New(v) }
	id := args.Name + "-id"
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		id = args.Name + "-b1"
		set("bucket", id)
		set("arn", "arn:aws:s3:::"+id)
		set("bucketRegionalDomainName", id+".s3.us-west-2.amazonaws.com")
	case "aws:lambda/function:Function":
		id = args.Name + "-f1"
		set("name", id)
		set("arn", "arn:aws:lambda:us-west-2:123456789012:function:"+id)
		set("qualifiedArn", "arn:aws:lambda:us-west-2:123456789012:function:"+id+":1")
	case "aws:lambda/functionUrl:FunctionUrl":
		set("functionUrl", "https://"+urlHost+"/")
	case "aws:cloudfront/distribution:Distribution":
		id = "E2EXAMPLE"
		set("domainName", distDomain)
		set("arn", "arn:aws:cloudfront::123456789012:distribution/E2EXAMPLE")
		set("hostedZoneId", "Z2FDTNDATAQYW2")
	case "awsx:ecr:Image":
		set("imageUri", imageURI)
	case "aws:ecr/repository:Repository":
		set("repositoryUrl", "123456789012.dkr.ecr.us-west-2.amazonaws.com/repo")
	case imagepush.Token:
		set("imageUri", imageURI)
		if v := args.RegisterRPC.GetVersion(); v != Version() {
			return "", property.Map{}, fmt.Errorf("ServerImage registered for plugin version %q, want %q", v, Version())
		}
	}
	return id, property.NewMap(outs), nil
}

func (f *fakeAWS) count(typ string) int {
	n := 0
	for _, c := range f.children {
		if c.typ == typ {
			n++
		}
	}
	return n
}

// newServer runs the plugin's provider in-process, as the engine would over gRPC.
func newServer(t *testing.T, aws *fakeAWS) integration.Server {
	t.Helper()
	prov, err := New()
	if err != nil {
		t.Fatalf("building the provider: %v", err)
	}
	opts := []integration.ServerOption{integration.WithProvider(prov)}
	if aws != nil {
		opts = append(opts, integration.WithMocks(aws.monitor()))
	}
	s, err := integration.NewServer(context.Background(), Name, semver.MustParse(Version()), opts...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func construct(t *testing.T, aws *fakeAWS, inputs map[string]property.Value) (p.ConstructResponse, error) {
	t.Helper()
	return newServer(t, aws).Construct(p.ConstructRequest{
		Urn:    resource.URN(siteURN),
		Inputs: property.NewMap(inputs),
	})
}

// TestConstructBundle deploys the test bundle through the plugin and checks the children and outputs a
// YAML or TypeScript program would get.
func TestConstructBundle(t *testing.T) {
	aws := &fakeAWS{}
	resp, err := construct(t, aws, map[string]property.Value{
		"bundleDir":         property.New(testBundle),
		"memorySize":        property.New(2048.0),
		"warmerConcurrency": property.New(2.0),
	})
	if err != nil {
		t.Fatalf("construct: %v", err)
	}
	if string(resp.Urn) != siteURN {
		t.Errorf("urn = %s, want %s", resp.Urn, siteURN)
	}

	for typ, want := range map[string]int{
		"aws:s3/bucketV2:BucketV2":                               2, // the site, the deploy staging bucket
		"aws:cloudfront/distribution:Distribution":               1,
		"aws:cloudfront/originAccessControl:OriginAccessControl": 1,
		"aws:lambda/functionUrl:FunctionUrl":                     1,
		"aws:s3/bucketPolicy:BucketPolicy":                       1,
		imagepush.Token:                                          1, // the server image, pushed by this plugin
		"aws:ecr/lifecyclePolicy:LifecyclePolicy":                1,
		"aws:cloudwatch/eventRule:EventRule":                     1, // the warmer's schedule
		"aws:s3/bucketObjectv2:BucketObjectv2":                   1, // the static site's archive
	} {
		if got := aws.count(typ); got != want {
			t.Errorf("%d %s registered, want %d", got, typ, want)
		}
	}
	if n := aws.count("aws:lambda/function:Function"); n < 3 {
		t.Errorf("%d Lambda functions, want at least the server, the edge signer and the warmer", n)
	}
	if n := aws.count(component.Token); n != 1 {
		t.Errorf("the component registered itself %d times", n)
	}
	for _, c := range aws.children {
		if c.typ != component.Token && c.parent != siteURN {
			t.Errorf("%s %s has parent %q: every child must sit under the component", c.typ, c.name, c.parent)
		}
	}

	state := resp.State
	if state.Len() != 11 {
		t.Errorf("outputs %v, want exactly the 11 of the schema", sortedKeys(state.AsMap()))
	}
	for key, want := range map[string]string{
		"url":                "https://" + distDomain,
		"distributionId":     "E2EXAMPLE",
		"bucketName":         "site-assets-b1",
		"serverFunctionName": "site-server-f1",
		"serverFunctionUrl":  "https://" + urlHost + "/",
		"imageUri":           imageURI,
		"warmerFunctionName": "site-warmer-f1",
	} {
		if got := plainString(state.Get(key)); got != want {
			t.Errorf("output %s = %q (%v), want %q", key, got, state.Get(key), want)
		}
	}
	if got := plainString(state.Get("verifyCommand")); !strings.HasPrefix(got, "open-dash verify https://"+distDomain+" --dir ") {
		t.Errorf("output verifyCommand = %q, want the open-dash verify command for the site", got)
	}
	for key, typ := range map[string]string{
		"bucket":         "aws:s3/bucketV2:BucketV2",
		"distribution":   "aws:cloudfront/distribution:Distribution",
		"serverFunction": "aws:lambda/function:Function",
	} {
		ref, ok := resourceRef(state.Get(key))
		if !ok {
			t.Errorf("output %s = %v, want a resource reference to a %s", key, state.Get(key), typ)
			continue
		}
		if ref.URN.Type().String() != typ || !strings.HasPrefix(ref.URN.Name(), "site-") {
			t.Errorf("output %s refers to %s, want the site's %s", key, ref.URN, typ)
		}
	}
}

// TestConstructWithoutWarmer: without a warmer, warmerFunctionName is absent or null (undefined/None in SDKs).
func TestConstructWithoutWarmer(t *testing.T) {
	aws := &fakeAWS{}
	resp, err := construct(t, aws, map[string]property.Value{
		"bundleDir": property.New(testBundle),
		"warmer":    property.New(false),
	})
	if err != nil {
		t.Fatalf("construct: %v", err)
	}
	v, ok := resp.State.GetOk("warmerFunctionName")
	if ok && !v.IsNull() {
		t.Errorf("warmerFunctionName = %v, want none", v)
	}
	if n := aws.count("aws:cloudwatch/eventRule:EventRule"); n != 0 {
		t.Errorf("%d warmer schedules with warmer: false", n)
	}
}

// TestConstructBadInputs: mistakes in a program's inputs come back from the plugin as errors that say
// what is wrong and how to fix it, and nothing is registered.
func TestConstructBadInputs(t *testing.T) {
	for _, tc := range []struct {
		name   string
		inputs map[string]property.Value
		want   []string
	}{
		{"neither source nor bundleDir", map[string]property.Value{},
			[]string{`DashSite "site"`, "neither source nor bundleDir is set", "set source to the Dash app folder"}},
		{"both source and bundleDir", map[string]property.Value{
			"source": property.New("app"), "bundleDir": property.New(testBundle)},
			[]string{"both source (app) and bundleDir", "set only one"}},
		{"unknown architecture", map[string]property.Value{
			"bundleDir": property.New(testBundle), "architecture": property.New("sparc")},
			[]string{`architecture "sparc" is not one Lambda runs`, `use "x86_64" or "arm64"`}},
		{"domain without zone", map[string]property.Value{
			"bundleDir": property.New(testBundle), "domainName": property.New("dash.example.com")},
			[]string{"domainName dash.example.com needs hostedZoneId"}},
		{"missing bundle", map[string]property.Value{
			"bundleDir": property.New(filepath.Join(t.TempDir(), "nothing-here"))},
			[]string{"nothing-here"}},
		{"wrong input type", map[string]property.Value{
			"bundleDir": property.New(testBundle), "memorySize": property.New("big")},
			[]string{"memorySize"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			aws := &fakeAWS{}
			_, err := construct(t, aws, tc.inputs)
			if err == nil {
				t.Fatal("construct succeeded, want an error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			for _, c := range aws.children {
				if c.typ != component.Token { // the component itself may be registered before the bundle is read
					t.Errorf("registered %s %s before failing", c.typ, c.name)
				}
			}
		})
	}
}

// plainString returns v's string, looking through the secret/dependency wrapping of output values.
func plainString(v property.Value) string {
	if v.IsString() {
		return v.AsString()
	}
	return ""
}

func resourceRef(v property.Value) (property.ResourceReference, bool) {
	if !v.IsResourceReference() {
		return property.ResourceReference{}, false
	}
	return v.AsResourceReference(), true
}

func TestOutputNames(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   map[string]property.Value
		want map[string]property.Value
	}{
		{"plain names stay", map[string]property.Value{"url": property.New("u")}, map[string]property.Value{"url": property.New("u")}},
		{"tag options are cut", map[string]property.Value{"warmerFunctionName,optional": property.New("w"), "url": property.New("u")},
			map[string]property.Value{"warmerFunctionName": property.New("w"), "url": property.New("u")}},
		{"an exact name wins", map[string]property.Value{"a,optional": property.New("tagged"), "a": property.New("exact")},
			map[string]property.Value{"a": property.New("exact")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := outputNames(property.NewMap(tc.in))
			if !got.Equals(property.NewMap(tc.want)) {
				t.Errorf("outputNames(%v) = %v, want %v", tc.in, got, tc.want)
			}
		})
	}
}
