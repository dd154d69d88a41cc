// Package provider serves the DashSite component (package component) to every Pulumi language as the
// `opendash` provider plugin. It owns what only the plugin needs: the package's name, version and metadata,
// the language settings of the generated SDKs, and the schema. It adds no behaviour: Construct runs
// component.NewDashSite, the same constructor Go programs call, and the custom resource ServerImage
// (package imagepush), which DashSite registers in every language, Go included, pushes the server image.
package provider

import (
	"context"
	"strconv"
	"strings"

	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/version"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/infer"
)

// Name is the Pulumi package name: type tokens are opendash:index:..., the binary pulumi-resource-opendash.
const Name = "opendash"

// Repository is the source of the plugin and the base of the Go SDK's import path.
const Repository = "https://github.com/opendash/opendash"

// Version is the plugin's semantic version (version.Plugin): the release it was built from, or 0.1.0-dev;
// DashSite registers its ServerImage with the same version (component.PluginVersion), so that a program's
// ServerImage is served by the plugin it was built with.
func Version() string { return version.Plugin() }

// New builds the provider: the component DashSite, inferred from component.NewDashSite's tagged
// argument and output structs, and the resource ServerImage with the plugin's image builder.
func New() (p.Provider, error) { return build(&imagepush.ServerImage{}) }

// build is New with a given ServerImage controller (tests give it a fake image builder).
func build(serverImage *imagepush.ServerImage) (p.Provider, error) {
	prov, err := infer.NewProviderBuilder().
		WithComponents(infer.ComponentF(component.NewDashSite)).
		WithResources(infer.Resource(serverImage)).
		WithDisplayName("OpenDash").
		WithDescription("Deploy a Plotly Dash app to AWS: static files in a private S3 bucket and the app in a "+
			"container Lambda behind one CloudFront distribution, from an OpenDash bundle.").
		WithKeywords("dash", "plotly", "aws", "cloudfront", "lambda", "serverless", "kind/component").
		WithHomepage(Repository).
		WithRepository(Repository).
		WithLicense("Apache-2.0").
		WithPluginDownloadURL(version.PluginDownloadURL).
		WithPublisher("OpenDash").
		WithLanguageMap(languages()).
		Build()
	if err != nil {
		return p.Provider{}, err
	}
	return withOutputNames(prov), nil
}

// Run serves the provider to the Pulumi engine over gRPC until the engine lets go of it.
func Run(ctx context.Context) error {
	prov, err := New()
	if err != nil {
		return err
	}
	return prov.Run(ctx, Name, Version())
}

// languages are the SDK generators' settings. The outputs bucket, distribution and serverFunction are
// pulumi-aws resources, so each SDK depends on pulumi-aws's SDK for their classes (same major version as
// the aws module this plugin is built with). infer.NewProviderBuilder's defaults (respectSchemaVersion,
// pyproject, resource container types) are kept: WithLanguageMap replaces the whole map.
func languages() map[string]any {
	awsMajor := strings.SplitN(component.AWSPackageVersion, ".", 2)[0]
	return map[string]any{
		"nodejs": map[string]any{
			"packageName":          "@opendash/pulumi",
			"respectSchemaVersion": true,
			"dependencies":         map[string]string{"@pulumi/aws": "^" + component.AWSPackageVersion},
		},
		"python": map[string]any{
			"packageName":          "pulumi_opendash",
			"respectSchemaVersion": true,
			"pyproject":            map[string]any{"enabled": true},
			"requires":             map[string]string{"pulumi-aws": ">=" + component.AWSPackageVersion + ",<" + nextMajor(awsMajor) + ".0.0"},
		},
		"go": map[string]any{
			// Go programs can import package component directly; this SDK exists for completeness.
			"importBasePath":                 "github.com/opendash/opendash/sdk/go/opendash",
			"generateResourceContainerTypes": true,
			"respectSchemaVersion":           true,
		},
		"csharp": map[string]any{
			"respectSchemaVersion": true,
		},
	}
}

// nextMajor returns the major version after major ("6" → "7").
func nextMajor(major string) string {
	n, err := strconv.Atoi(major)
	if err != nil {
		panic("component.AWSPackageVersion is not a version: " + component.AWSPackageVersion)
	}
	return strconv.Itoa(n + 1)
}
