// Package standin is a test fixture: small stand-ins for the aws and awsx Pulumi provider plugins, which
// cannot be downloaded here, so that `open-dash deploy` runs end to end through the real Pulumi engine.
// They speak the real provider protocol (pulumirpc): Check/Diff/Create/Read/Update/Delete echo the inputs
// and add the outputs the component reads (ARNs, ids, names, bucket domains, function URLs, the
// distribution's domain, ...); they answer the invokes the component makes and fail on any other, serve
// explicit providers (the us-east-1 edge provider), and construct awsx's ecr Repository and Image as
// components. They open every asset and archive they are given, so a path that would not resolve fails as
// it does in AWS, and ECR can be a real registry on loopback (registry.go). Nothing here talks to AWS.
package standin

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource/plugin"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/provider"
	pulumirpc "github.com/pulumi/pulumi/sdk/v3/proto/go"
	"google.golang.org/protobuf/types/known/emptypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// Account is the AWS account every stand-in resource lives in.
const Account = "123456789012"

// Env variables a test sets to point outputs at local servers (empty: AWS-shaped names).
const (
	// EnvDistributionDomain replaces every distribution's domain name (e.g. a local TLS server's host:port).
	EnvDistributionDomain = "STANDIN_DISTRIBUTION_DOMAIN"
	// EnvFunctionURL replaces every function URL.
	EnvFunctionURL = "STANDIN_FUNCTION_URL"
	// EnvBucketDomain replaces every bucket's regional domain name.
	EnvBucketDomain = "STANDIN_BUCKET_DOMAIN"
	// EnvLog names a file that gets one line per operation ("create aws:s3/bucketV2:BucketV2 name"), so
	// a test can tell what ran.
	EnvLog = "STANDIN_LOG"
	// EnvFailCreate names a resource type whose creates fail, for tests of what a deploy does after a
	// failed update (a sync that failed, say).
	EnvFailCreate = "STANDIN_FAIL_CREATE"
)

// Main serves the stand-in for pkg ("aws" or "awsx") at version as a provider plugin.

func Main(pkg, version string) {
	err := provider.Main(pkg, func(host *provider.HostClient) (pulumirpc.ResourceProviderServer, error) {
		return &server{pkg: pkg, version: version, host: host, region: "us-east-1"}, nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

type server struct {
	pulumirpc.UnimplementedResourceProviderServer
	pkg, version string
	host         *provider.HostClient
	region       string
	serial       atomic.Int64
}

var marshal = plugin.MarshalOptions{KeepUnknowns: true, KeepSecrets: true, KeepResources: true, SkipNulls: true}

func unmarshal(s *structpb.Struct) (resource.PropertyMap, error) {
	return plugin.UnmarshalProperties(s, marshal)
}

func (p *server) GetPluginInfo(context.Context, *emptypb.Empty) (*pulumirpc.PluginInfo, error) {
	return &pulumirpc.PluginInfo{Version: p.version}, nil
}

func (p *server) GetSchema(context.Context, *pulumirpc.GetSchemaRequest) (*pulumirpc.GetSchemaResponse, error) {
	return &pulumirpc.GetSchemaResponse{Schema: fmt.Sprintf(`{"name":%q,"version":%q}`, p.pkg, p.version)}, nil
}

func (p *server) CheckConfig(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	return &pulumirpc.CheckResponse{Inputs: req.News}, nil
}

func (p *server) DiffConfig(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diff(req.OldInputs, req.News, nil)
}

func (p *server) Configure(_ context.Context, req *pulumirpc.ConfigureRequest) (*pulumirpc.ConfigureResponse, error) {
	p.region = "us-east-1"
	args, err := unmarshal(req.Args)
	switch {
	case err == nil && args["region"].IsString():
		p.region = args["region"].StringValue() // an explicit provider's, or the stack's aws:region
	case req.Variables["aws:config:region"] != "":
		p.region = req.Variables["aws:config:region"]
	case os.Getenv("AWS_REGION") != "":
		p.region = os.Getenv("AWS_REGION")
	}
	return &pulumirpc.ConfigureResponse{AcceptSecrets: true, AcceptResources: true, AcceptOutputs: true}, nil
}

func (p *server) Check(_ context.Context, req *pulumirpc.CheckRequest) (*pulumirpc.CheckResponse, error) {
	news, err := unmarshal(req.News)
	if err != nil {
		return nil, err
	}
	olds, err := unmarshal(req.Olds)
	if err != nil {
		return nil, err
	}
	// Autonaming as the real provider does it: the resource's name plus a random suffix, kept once chosen.
	if key := nameKey(typeOf(req.Urn)); key != "" && !news.HasValue(resource.PropertyKey(key)) {
		if old, ok := olds[resource.PropertyKey(key)]; ok && old.IsString() {
			news[resource.PropertyKey(key)] = old
		} else {
			news[resource.PropertyKey(key)] = resource.NewStringProperty(autoname(req.Urn, req.RandomSeed))
		}
	}
	out, err := plugin.MarshalProperties(news, marshal)
	return &pulumirpc.CheckResponse{Inputs: out}, err
}

func (p *server) Diff(_ context.Context, req *pulumirpc.DiffRequest) (*pulumirpc.DiffResponse, error) {
	return diff(req.OldInputs, req.News, replaceKeys(typeOf(req.Urn)))
}

// diff compares the inputs: a change of a key in replace replaces the resource, any other change updates it.
func diff(oldS, newS *structpb.Struct, replace map[string]bool) (*pulumirpc.DiffResponse, error) {
	olds, err := unmarshal(oldS)
	if err != nil {
		return nil, err
	}
	news, err := unmarshal(newS)
	if err != nil {
		return nil, err
	}
	keys := map[resource.PropertyKey]bool{}
	for k := range olds {
		keys[k] = true
	}
	for k := range news {
		keys[k] = true
	}
	var diffs, replaces []string
	for k := range keys {
		if strings.HasPrefix(string(k), "__") || k == "version" {
			continue
		}
		o, n := olds[k], news[k]
		if n.ContainsUnknowns() || !o.DeepEquals(n) {
			diffs = append(diffs, string(k))
			if replace[string(k)] {
				replaces = append(replaces, string(k))
			}
		}
	}
	sort.Strings(diffs)
	sort.Strings(replaces)
	changes := pulumirpc.DiffResponse_DIFF_NONE
	if len(diffs) > 0 {
		changes = pulumirpc.DiffResponse_DIFF_SOME
	}
	return &pulumirpc.DiffResponse{Changes: changes, Diffs: diffs, Replaces: replaces,
		DeleteBeforeReplace: false, HasDetailedDiff: false}, nil
}

func (p *server) Create(_ context.Context, req *pulumirpc.CreateRequest) (*pulumirpc.CreateResponse, error) {
	inputs, err := unmarshal(req.Properties)
	if err != nil {
		return nil, err
	}
	if err := openAssets(inputs); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Urn, err)
	}
	typ := typeOf(req.Urn)
	if err := checkImage(typ, inputs); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Urn, err)
	}
	if typ == os.Getenv(EnvFailCreate) {
		record("fail", typ, nameOf(req.Urn))
		return nil, fmt.Errorf("%s: creating it failed (%s)", req.Urn, EnvFailCreate)
	}
	id := fmt.Sprintf("%s-%s", nameOf(req.Urn), shortHash(req.Urn, fmt.Sprint(p.serial.Add(1))))
	out := p.outputs(typ, id, inputs, nil)
	record("create", typ, nameOf(req.Urn))
	props, err := plugin.MarshalProperties(out, marshal)
	return &pulumirpc.CreateResponse{Id: id, Properties: props}, err
}

func (p *server) Update(_ context.Context, req *pulumirpc.UpdateRequest) (*pulumirpc.UpdateResponse, error) {
	news, err := unmarshal(req.News)
	if err != nil {
		return nil, err
	}
	if err := openAssets(news); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Urn, err)
	}
	olds, err := unmarshal(req.Olds)
	if err != nil {
		return nil, err
	}
	typ := typeOf(req.Urn)
	if err := checkImage(typ, news); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Urn, err)
	}
	record("update", typ, nameOf(req.Urn))
	props, err := plugin.MarshalProperties(p.outputs(typ, req.Id, news, olds), marshal)
	return &pulumirpc.UpdateResponse{Properties: props}, err
}

func (p *server) Read(_ context.Context, req *pulumirpc.ReadRequest) (*pulumirpc.ReadResponse, error) {
	return &pulumirpc.ReadResponse{Id: req.Id, Properties: req.Properties, Inputs: req.Inputs}, nil
}

func (p *server) Delete(_ context.Context, req *pulumirpc.DeleteRequest) (*emptypb.Empty, error) {
	props, err := unmarshal(req.Properties)
	if err != nil {
		return nil, err
	}
	if err := deleteRepository(typeOf(req.Urn), props); err != nil {
		return nil, fmt.Errorf("%s: %w", req.Urn, err)
	}
	record("delete", typeOf(req.Urn), nameOf(req.Urn))
	return &emptypb.Empty{}, nil
}

// openAssets reads every asset and archive in the inputs, as AWS would receive them: a path that does not
// resolve (from the project folder, where Pulumi runs providers) is an error.
func openAssets(m resource.PropertyMap) error {
	for k, v := range m {
		if err := openValue(string(k), v); err != nil {
			return err
		}
	}
	return nil
}

func openValue(path string, v resource.PropertyValue) error {
	switch {
	case v.IsSecret():
		return openValue(path, v.SecretValue().Element)
	case v.IsAsset():
		a := v.AssetValue()
		blob, err := a.Read()
		if err != nil {
			return fmt.Errorf("%s: asset %s: %w", path, a.Path, err)
		}
		defer blob.Close()
		_, err = io.Copy(io.Discard, blob)
		return err
	case v.IsArchive():
		a := v.ArchiveValue()
		r, err := a.Open()
		if err != nil {
			return fmt.Errorf("%s: archive %s: %w", path, a.Path, err)
		}
		defer r.Close()
		for {
			_, blob, err := r.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: archive %s: %w", path, a.Path, err)
			}
			_, err = io.Copy(io.Discard, blob)
			blob.Close()
			if err != nil {
				return err
			}
		}
	case v.IsObject():
		return openAssets(v.ObjectValue())
	case v.IsArray():
		for i, e := range v.ArrayValue() {
			if err := openValue(fmt.Sprintf("%s[%d]", path, i), e); err != nil {
				return err
			}
		}
	}
	return nil
}

// typeOf and nameOf split a URN: urn:pulumi:stack::project::parent$type::name.
func typeOf(urn string) string {
	parts := strings.Split(urn, "::")
	if len(parts) < 4 {
		return ""
	}
	types := strings.Split(parts[2], "$")
	return types[len(types)-1]
}

func nameOf(urn string) string {
	parts := strings.Split(urn, "::")
	return parts[len(parts)-1]
}

func shortHash(parts ...string) string {
	h := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return hex.EncodeToString(h[:])[:7]
}

// autoname is "<name>-<7 characters>", derived from the engine's random seed so a preview and the update
// that follows it agree.
func autoname(urn string, seed []byte) string {
	return nameOf(urn) + "-" + shortHash(urn, string(seed))
}

func record(op, typ, name string) {
	path := os.Getenv(EnvLog)
	if path == "" {
		return
	}
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s %s %s\n", op, typ, name)
}

// AWSXVersion is the pulumi-awsx version in go.mod, which the component's awsx resources ask for.
const AWSXVersion = "2.22.0"
