package component

import (
	"crypto/sha256"
	_ "embed"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"sort"
	"strings"

	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// pulumi-aws v6 has no CloudFront invalidation resource, and a Go program has no dynamic providers. So a
// small Lambda function creates the invalidation, run at deploy time by lambda.Invocation in CRUD mode:
// that resource re-invokes whenever its input changes and hands the function the previous input, so only
// the revalidate-class files whose digest changed are invalidated. Immutable files never need it.

//go:embed functions/invalidator.py
var invalidatorPy string

const (
	invalidatorFile    = "invalidator.py"
	invalidatorHandler = "invalidator.handler"
	// invalidatorRuntime ships boto3, the only thing invalidator.py imports beyond the standard library.
	invalidatorRuntime = "python3.13"
)

// invalidationInput is what the invalidator receives (plus the "tf" lifecycle key pulumi-aws adds).
type invalidationInput struct {
	DistributionID string            `json:"distributionId"`
	Paths          map[string]string `json:"paths"` // invalidation path -> content digest
}

// revalidatePaths lists the CloudFront paths of revalidate-class files with their digests (digestOf: the
// digest of the bytes the bucket holds). index.html is also the default root object, which CloudFront caches
// under "/", so "/" follows its digest. A key that cannot be written as an exact invalidation path is covered
// by its folder's wildcard, whose digest combines those of every file it stands for (so a change to any of
// them changes it).
func revalidatePaths(m *manifest.Manifest, digestOf func(manifest.File) (string, error)) (map[string]string, error) {
	paths := map[string]string{}
	folders := map[string][]string{} // wildcard path -> "key=digest" of the files it covers
	for _, f := range m.Files {
		if f.Class != manifest.ClassRevalidate {
			continue
		}
		digest, err := digestOf(f)
		if err != nil {
			return nil, err
		}
		if p, ok := invalidationPath(f.Key); ok {
			paths[p] = digest
		} else {
			folders[p] = append(folders[p], f.Key+"="+digest)
		}
		if f.Key == RootObject {
			paths["/"] = digest
		}
	}
	for p, members := range folders {
		sort.Strings(members)
		sum := sha256.Sum256([]byte(strings.Join(members, "\n")))
		paths[p] = hex.EncodeToString(sum[:])
	}
	return paths, nil
}

// servedDigest is the digest of a file as the bucket holds it: the bundle's, or for a page that names the
// site (manifest.File.SiteOrigin) that of its bytes with origin in, so a new origin invalidates it too.
func servedDigest(b *siteBundle, origin string) func(manifest.File) (string, error) {
	return func(f manifest.File) (string, error) {
		if !f.SiteOrigin || origin == "" {
			return f.SHA256, nil
		}
		data, err := os.ReadFile(b.path(path.Join(b.manifest.Origins.S3.Dir, f.Path)))
		if err != nil {
			return "", fmt.Errorf("%w; the bundle is incomplete, re-run `open-dash bundle`", err)
		}
		return manifest.SHA256WithOrigin(data, origin), nil
	}
}

// invalidationPath is the CloudFront invalidation path of an S3 key. CloudFront wants non-ASCII and RFC 1738
// "unsafe" characters percent-encoded and nothing else: an encoded safe character ("(" as %28) matches no
// cached URL, so the old file silently stays cached
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/invalidation-specifying-objects.html).
// A few characters cannot appear in an exact path at all: "~" is rejected with InvalidArgument, "*" is a
// wildcard and "?" starts a query string. For such a key ok is false and the path is the key's folder with
// "*", which covers it (at the price of the folder's other files).
func invalidationPath(key string) (path string, ok bool) {
	if strings.ContainsAny(key, "~*?") {
		dir := ""
		if i := strings.LastIndexByte(key, '/'); i >= 0 {
			dir = escapeInvalidation(key[:i+1])
		}
		return "/" + dir + "*", false
	}
	return "/" + escapeInvalidation(key), true
}

// escapeInvalidation percent-encodes the bytes CloudFront requires encoded: controls, space, non-ASCII,
// and `"<>#%{}|\^[]` with the backtick (RFC 1738's unsafe set). "/" stays: it separates segments.
func escapeInvalidation(s string) string {
	const unsafe = " \"<>#%{}|\\^[]`"
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x21 || c >= 0x7f || strings.IndexByte(unsafe, c) >= 0 {
			fmt.Fprintf(&b, "%%%02X", c)
		} else {
			b.WriteByte(c)
		}
	}
	return b.String()
}

func newInvalidation(ctx *pulumi.Context, name string, b *siteBundle, site *staticSite, dist *cloudfront.Distribution,
	origin pulumi.StringInput, s *settings, opts []pulumi.ResourceOption) error {
	paths, err := revalidatePaths(b.manifest, servedDigest(b, ""))
	if err != nil || len(paths) == 0 {
		return err // none: every file is fingerprinted, a deploy never changes what a cached URL means
	}
	t := &s.transform
	role, err := newLambdaRole(ctx, name+"-invalidator", t.InvalidatorRole, t.InvalidatorBasicExecution, opts,
		"lambda.amazonaws.com")
	if err != nil {
		return err
	}
	allow, err := iam.NewRolePolicy(ctx, name+"-invalidator-policy", with(t.InvalidatorRolePolicy, &iam.RolePolicyArgs{
		Role:   role.Name,
		Policy: policyOf(dist.Arn, invalidatorPolicy),
	}), opts...)
	if err != nil {
		return err
	}
	fn, err := lambda.NewFunction(ctx, name+"-invalidator", with(t.InvalidatorFunction, &lambda.FunctionArgs{
		Description: pulumi.String("OpenDash " + name + ": invalidates changed static files at deploy time"),
		Runtime:     pulumi.String(invalidatorRuntime),
		Handler:     pulumi.String(invalidatorHandler),
		Code:        pulumi.NewAssetArchive(map[string]any{invalidatorFile: pulumi.NewStringAsset(invalidatorPy)}),
		Role:        role.Arn,
		MemorySize:  pulumi.Int(128),
		Timeout:     pulumi.Int(60),
	}), opts...)
	if err != nil {
		return err
	}
	logs, err := newLogGroup(ctx, name+"-invalidator-logs", fn.Name, s, t.InvalidatorLogGroup, opts)
	if err != nil {
		return err
	}
	if origin == nil {
		origin = pulumi.String("")
	}
	input := pulumi.All(dist.ID().ToStringOutput(), origin).ApplyT(func(v []any) (string, error) {
		paths, err := revalidatePaths(b.manifest, servedDigest(b, v[1].(string)))
		if err != nil {
			return "", err
		}
		data, err := json.Marshal(invalidationInput{DistributionID: v[0].(string), Paths: paths}) // sorted keys: stable input
		return string(data), err
	}).(pulumi.StringOutput)
	// After the new objects are in the bucket, or CloudFront could re-cache the old content.
	after := append([]pulumi.Resource{allow, logs}, site.revalidated...)
	_, err = lambda.NewInvocation(ctx, name+"-invalidation", with(t.Invalidation, &lambda.InvocationArgs{
		FunctionName:   fn.Name,
		Input:          input,
		LifecycleScope: pulumi.String("CRUD"),
		TerraformKey:   pulumi.String("tf"),
	}), plus(opts, pulumi.DependsOn(after))...)
	return err
}
