package sdkgen

import (
	"context"
	_ "embed"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"

	"github.com/blang/semver"
	"github.com/pulumi/pulumi/pkg/v3/codegen/schema"
)

// awsStandIn is the part of the pulumi-aws schema that schema.json refers to (the three resources DashSite
// exposes as outputs). The real schema comes from the aws plugin, which cannot be fetched here; binding a
// reference needs only the token, and the generated code names the real @pulumi/aws and pulumi_aws classes.
//
//go:embed awsstandin.json
var awsStandIn []byte

// standInLoader resolves the `aws` package, at whatever version schema.json's $refs ask for, to the stand-in.
// Any other package is an error naming the cause: the tool only knows what OpenDash references.
type standInLoader struct {
	mu   sync.Mutex
	pkgs map[string]*schema.Package // by version
}

var _ schema.ReferenceLoader = (*standInLoader)(nil)

func newStandInLoader() *standInLoader { return &standInLoader{pkgs: map[string]*schema.Package{}} }

func (l *standInLoader) LoadPackage(name string, version *semver.Version) (*schema.Package, error) {
	return l.LoadPackageV2(context.Background(), &schema.PackageDescriptor{Name: name, Version: version})
}

func (l *standInLoader) LoadPackageV2(_ context.Context, d *schema.PackageDescriptor) (*schema.Package, error) {
	if d.Name != "aws" {
		return nil, fmt.Errorf("schema.json refers to package %q: opendash-sdkgen only has a stand-in for aws; "+
			"add one beside awsstandin.json, or generate the SDKs with the Pulumi CLI (make sdks with pulumi on PATH)", d.Name)
	}
	version := ""
	if d.Version != nil {
		version = d.Version.String()
	}
	l.mu.Lock()
	p, ok := l.pkgs[version]
	l.mu.Unlock()
	if ok {
		return p, nil
	}
	var spec schema.PackageSpec
	if err := json.Unmarshal(awsStandIn, &spec); err != nil {
		return nil, fmt.Errorf("awsstandin.json: %w", err)
	}
	spec.Version = version
	// Bound without the lock held: the stand-in refers to no package, but a loader must not deadlock if it did.
	p, diags, err := schema.BindSpec(spec, l, schema.ValidationOptions{})
	if err != nil {
		return nil, fmt.Errorf("binding tools/sdkgen/awsstandin.json: %w", err)
	}
	if diags.HasErrors() {
		return nil, fmt.Errorf("binding tools/sdkgen/awsstandin.json: %s", diags.Error())
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if prev, ok := l.pkgs[version]; ok {
		return prev, nil
	}
	l.pkgs[version] = p
	return p, nil
}

func (l *standInLoader) LoadPackageReference(name string, version *semver.Version) (schema.PackageReference, error) {
	return l.LoadPackageReferenceV2(context.Background(), &schema.PackageDescriptor{Name: name, Version: version})
}

func (l *standInLoader) LoadPackageReferenceV2(
	ctx context.Context, d *schema.PackageDescriptor,
) (schema.PackageReference, error) {
	p, err := l.LoadPackageV2(ctx, d)
	if err != nil {
		return nil, err
	}
	return p.Reference(), nil
}

// standInTokens lists the stand-in's resource tokens (for tests and error messages).
func standInTokens() []string {
	var spec schema.PackageSpec
	if err := json.Unmarshal(awsStandIn, &spec); err != nil {
		return nil
	}
	var tokens []string
	for tok := range spec.Resources {
		tokens = append(tokens, tok)
	}
	sort.Strings(tokens)
	return tokens
}

// missingFromStandIn names the aws tokens schema.json refers to that the stand-in lacks.
func missingFromStandIn(raw []byte) []string {
	have := map[string]bool{}
	for _, tok := range standInTokens() {
		have[tok] = true
	}
	var missing []string
	for _, ref := range awsRefs(raw) {
		if !have[ref] {
			missing = append(missing, ref)
		}
	}
	return missing
}

// awsRefs finds the aws resource and type tokens in schema.json's $refs ("/aws/v6.83.4/schema.json#/resources/<token>").
func awsRefs(raw []byte) []string {
	seen := map[string]bool{}
	var refs []string
	var walk func(any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if s, ok := x.(string); ok && k == "$ref" && strings.HasPrefix(s, "/aws/") {
					if i := strings.Index(s, "#/"); i >= 0 {
						tok := s[i+2:]
						tok = tok[strings.Index(tok, "/")+1:]
						if !seen[tok] {
							seen[tok] = true
							refs = append(refs, tok)
						}
					}
				}
				walk(x)
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	var doc any
	if json.Unmarshal(raw, &doc) == nil {
		walk(doc)
	}
	sort.Strings(refs)
	return refs
}
