package component

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	testBundle  = "testdata/bundle"
	account     = "123456789012"
	region      = "us-west-2"
	distID      = "E2EXAMPLE"
	distDomain  = "d111111abcdef8.cloudfront.net"
	urlHostName = "abcdefghij0123456789.lambda-url.us-west-2.on.aws"
	// testImageDigest is the digest the mock ServerImage answers; ecrPassword the mock ECR token's password.
	testImageDigest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	ecrPassword     = "ecr-token-password-5f1e"
	testImageUri    = account + ".dkr.ecr." + region + ".amazonaws.com/site-server-repo-r1@" + testImageDigest
)

// child is one resource the program registered, as the mock monitor saw it.
type child struct {
	typ, name, parent, provider string
	version                     string // the plugin version the resource asked for
	pluginDownloadURL           string // and where Pulumi downloads it
	custom, retainOnDelete      bool
	dependencies                []string // URNs of explicit and input dependencies
	replaceOnChanges            []string
	ignoreChanges               []string
	inputs                      resource.PropertyMap
}

// str returns a string input, or "" when absent.
func (c child) str(key string) string {
	v, ok := c.inputs[resource.PropertyKey(key)]
	if !ok || !v.IsString() {
		return ""
	}
	return v.StringValue()
}

// RandomPasswordFromAWS is what the mocked GetRandomPassword answers.
const RandomPasswordFromAWS = "r4nd0mFr0mS3cr3tsM4n4g3r"

// mocks records every registration and answers with plausible AWS outputs.
type mocks struct {
	mu       sync.Mutex
	children []child
	calls    []pulumi.MockCallArgs
	// edgeAccount is the account the us-east-1 provider resolves to; "" means the same as the others.
	edgeAccount string
	// unknown names an output per resource type that stays unknown, as in a preview of a new stack.
	unknown map[string]string
}

func (m *mocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	c := child{typ: args.TypeToken, name: args.Name, provider: args.Provider, custom: args.Custom, inputs: args.Inputs}
	if args.RegisterRPC != nil {
		c.parent = args.RegisterRPC.GetParent()
		c.retainOnDelete = args.RegisterRPC.GetRetainOnDelete()
		c.dependencies = args.RegisterRPC.GetDependencies()
		c.version = args.RegisterRPC.GetVersion()
		c.pluginDownloadURL = args.RegisterRPC.GetPluginDownloadURL()
		c.replaceOnChanges = args.RegisterRPC.GetReplaceOnChanges()
		c.ignoreChanges = args.RegisterRPC.GetIgnoreChanges()
	}
	m.mu.Lock()
	m.children = append(m.children, c)
	m.mu.Unlock()

	outs := args.Inputs.Copy()
	set := func(k string, v any) { outs[resource.PropertyKey(k)] = resource.NewPropertyValue(v) }
	id := args.Name + "-id"
	switch args.TypeToken {
	case "aws:s3/bucketV2:BucketV2":
		bucket := args.Name + "-b1"
		set("bucket", bucket)
		set("arn", "arn:aws:s3:::"+bucket)
		set("bucketRegionalDomainName", bucket+".s3."+region+".amazonaws.com")
		id = bucket
	case "aws:lambda/function:Function":
		fn := args.Name + "-f1"
		arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + fn
		set("name", fn)
		set("arn", arn)
		set("qualifiedArn", arn+":1")
		set("version", "1")
		id = fn
	case "aws:lambda/alias:Alias":
		arn := "arn:aws:lambda:" + region + ":" + account + ":function:" + c.str("functionName") + ":" + c.str("name")
		set("arn", arn)
		set("invokeArn", "arn:aws:apigateway:"+region+":lambda:path/2015-03-31/functions/"+arn+"/invocations")
	case "aws:lambda/functionUrl:FunctionUrl":
		set("functionUrl", "https://"+urlHostName+"/")
	case "aws:cloudfront/distribution:Distribution":
		id = distID
		set("arn", "arn:aws:cloudfront::"+account+":distribution/"+distID)
		set("domainName", distDomain)
		set("hostedZoneId", "Z2FDTNDATAQYW2")
	case "aws:cloudfront/function:Function":
		set("arn", "arn:aws:cloudfront::"+account+":function/"+args.Name)
	case "aws:wafv2/webAcl:WebAcl":
		set("arn", "arn:aws:wafv2:us-east-1:"+account+":global/webacl/"+args.Name+"/a1")
	case "aws:secretsmanager/secret:Secret":
		set("arn", "arn:aws:secretsmanager:us-east-1:"+account+":secret:"+args.Name+"-AbCdEf")
		id = "arn:aws:secretsmanager:us-east-1:" + account + ":secret:" + args.Name + "-AbCdEf"
	case "aws:secretsmanager/secretVersion:SecretVersion":
		set("versionId", "version-of-"+args.Name)
	case "aws:cloudfront/keyValueStore:KeyValueStore":
		set("arn", "arn:aws:cloudfront::"+account+":key-value-store/"+args.Name+"-kvs")
	case "aws:cloudfront/originAccessControl:OriginAccessControl":
		id = "E3OACEXAMPLE"
		if args.Name == "site-server-oac" {
			id = "E3SERVEROAC"
		}
	case "aws:iam/role:Role":
		set("name", args.Name+"-r1")
		set("arn", "arn:aws:iam::"+account+":role/"+args.Name+"-r1")
	case "aws:cloudwatch/eventRule:EventRule":
		set("name", args.Name+"-e1")
		set("arn", "arn:aws:events:"+region+":"+account+":rule/"+args.Name+"-e1")
	case "awsx:ecr:Repository":
		set("url", account+".dkr.ecr."+region+".amazonaws.com/"+args.Name)
	case "awsx:ecr:Image":
		set("imageUri", account+".dkr.ecr."+region+".amazonaws.com/repo@sha256:0123")
	case "aws:ecr/repository:Repository":
		set("name", args.Name+"-r1")
		set("registryId", account)
		set("repositoryUrl", account+".dkr.ecr."+region+".amazonaws.com/"+args.Name+"-r1")
	case "opendash:index:ServerImage":
		set("digest", testImageDigest)
		set("imageUri", c.str("repositoryUrl")+"@"+testImageDigest)
	case "aws:acm/certificate:Certificate":
		set("arn", "arn:aws:acm:us-east-1:"+account+":certificate/c1")
		outs["domainValidationOptions"] = resource.NewPropertyValue([]any{map[string]any{
			"domainName":          "dash.example.com",
			"resourceRecordName":  "_x1.dash.example.com.",
			"resourceRecordType":  "CNAME",
			"resourceRecordValue": "_y1.acm-validations.aws.",
		}})
	case "aws:acm/certificateValidation:CertificateValidation":
		set("certificateArn", c.str("certificateArn"))
	case "aws:route53/record:Record":
		set("fqdn", c.str("name"))
	}
	if key, ok := m.unknown[args.TypeToken]; ok {
		outs[resource.PropertyKey(key)] = resource.MakeComputed(resource.NewStringProperty(""))
	}
	return id, outs, nil
}

func (m *mocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) {
	m.mu.Lock()
	m.calls = append(m.calls, args)
	m.mu.Unlock()
	if args.Token == "aws:secretsmanager/getRandomPassword:getRandomPassword" {
		return resource.NewPropertyMapFromMap(map[string]any{"randomPassword": RandomPasswordFromAWS}), nil
	}
	if args.Token == "aws:index/getCallerIdentity:getCallerIdentity" {
		id := account
		if m.edgeAccount != "" && strings.Contains(args.Provider, "::site-us-east-1::") {
			id = m.edgeAccount
		}
		return resource.NewPropertyMapFromMap(map[string]any{"accountId": id, "arn": "arn:aws:iam::" + id + ":user/u",
			"id": id, "userId": "AIDA"}), nil
	}
	if args.Token == "aws:ecr/getAuthorizationToken:getAuthorizationToken" {
		return resource.NewPropertyMapFromMap(map[string]any{"userName": "AWS", "password": ecrPassword,
			"authorizationToken": "QVdTOg==", "proxyEndpoint": "https://" + account + ".dkr.ecr." + region + ".amazonaws.com"}), nil
	}
	if args.Token == "aws:index/getRegion:getRegion" {
		return resource.NewPropertyMapFromMap(map[string]any{"name": region, "id": region}), nil
	}
	return args.Args, nil
}

// deployment is what one RunErr produced.
type deployment struct {
	children []child
	outputs  map[string]any
	err      error
}

func (d *deployment) ofType(typ string) []child {
	var out []child
	for _, c := range d.children {
		if c.typ == typ {
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// one returns the only resource of a type and name, failing the test otherwise.
func (d *deployment) one(t *testing.T, typ, name string) child {
	t.Helper()
	for _, c := range d.children {
		if c.typ == typ && c.name == name {
			return c
		}
	}
	var names []string
	for _, c := range d.ofType(typ) {
		names = append(names, c.name)
	}
	t.Fatalf("no %s named %q; have %v", typ, name, names)
	return child{}
}

// deploy runs NewDashSite("site", args) against the mocks and collects its outputs.
func deploy(t *testing.T, args *DashSiteArgs) *deployment {
	t.Helper()
	return deployWith(t, &mocks{}, args)
}

// withConfig sets the stack configuration (and which keys are secret) for one deploy.
func withConfig(config map[string]string, secret ...string) pulumi.RunOption {
	return func(info *pulumi.RunInfo) {
		info.Config, info.ConfigSecretKeys = config, secret
	}
}

// deployWith is deploy with given mocks and run options (stack configuration, component options).
func deployWith(t *testing.T, m *mocks, args *DashSiteArgs, runOpts ...pulumi.RunOption) *deployment {
	t.Helper()
	return deployOpts(t, m, args, nil, runOpts...)
}

// deployOpts is deployWith plus resource options for the component (providers, say), built in the program.
func deployOpts(t *testing.T, m *mocks, args *DashSiteArgs, siteOpts func(ctx *pulumi.Context) ([]pulumi.ResourceOption, error),
	runOpts ...pulumi.RunOption) *deployment {
	t.Helper()
	d := &deployment{outputs: map[string]any{}}
	var mu sync.Mutex
	// RunErr waits for applies on outputs of resources, not on outputs made from plain values: count each
	// collection, and wait for them after the program (never inside it, where a failed mock would hang it).
	var pending sync.WaitGroup
	d.err = pulumi.RunErr(func(ctx *pulumi.Context) error {
		var opts []pulumi.ResourceOption
		if siteOpts != nil {
			var err error
			if opts, err = siteOpts(ctx); err != nil {
				return err
			}
		}
		site, err := NewDashSite(ctx, "site", args, opts...)
		if err != nil {
			return err
		}
		outs := map[string]pulumi.Input{
			"url": site.Url, "distributionId": site.DistributionId, "bucketName": site.BucketName,
			"serverFunctionName": site.ServerFunctionName, "serverFunctionUrl": site.ServerFunctionUrl,
			"imageUri": site.ImageUri, "warmerFunctionName": site.WarmerFunctionName,
		}
		for k, v := range outs {
			pending.Add(1)
			pulumi.ToOutput(v).ApplyT(func(x any) any {
				defer pending.Done()
				mu.Lock()
				defer mu.Unlock()
				if p, ok := x.(*string); ok {
					if p == nil {
						x = nil
					} else {
						x = *p
					}
				}
				d.outputs[k] = x
				return x
			})
		}
		return nil
	}, append([]pulumi.RunOption{pulumi.WithMocks("project", "stack", m)}, runOpts...)...)
	if d.err == nil {
		waitFor(t, &pending, 30*time.Second)
	}
	d.children = m.children
	return d
}

// waitFor waits for wg, failing the test after limit (an output that never resolved).
func waitFor(t *testing.T, wg *sync.WaitGroup, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(limit):
		t.Errorf("a component output never resolved within %s", limit)
	}
}

// copyBundle copies the test bundle to a temporary folder and lets mutate change its manifest.
func copyBundle(t *testing.T, mutate func(m *manifest.Manifest)) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), ".open-dash")
	err := filepath.Walk(testBundle, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(testBundle, p)
		target := filepath.Join(dst, rel)
		if info.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	if mutate != nil {
		m, err := manifest.Read(dst)
		if err != nil {
			t.Fatal(err)
		}
		mutate(m)
		data, err := m.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dst, manifest.FileName), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dst
}

// fakeBundler stands in for bundler.Bundle: it records the options and returns the test bundle.
type fakeBundler struct {
	got bundler.Options
	dir string
}

func (f *fakeBundler) bundle(_ context.Context, o bundler.Options) (*bundler.Result, error) {
	f.got = o
	if o.Progress != nil {
		_, _ = o.Progress.Write([]byte("check source ... ok\n"))
	}
	m, err := manifest.Read(f.dir)
	if err != nil {
		return nil, err
	}
	return &bundler.Result{OutDir: f.dir, Manifest: m}, nil
}

// useBundler swaps the bundler seam for the duration of a test.
func useBundler(t *testing.T, fn func(context.Context, bundler.Options) (*bundler.Result, error)) {
	t.Helper()
	old := bundleSource
	bundleSource = fn
	t.Cleanup(func() { bundleSource = old })
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
