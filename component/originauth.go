package component

import (
	"fmt"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// How CloudFront authenticates to the server's function URL (AuthType AWS_IAM).
const (
	// OriginAuthEdge signs every request with a Lambda@Edge origin-request function. Bodies are limited to
	// the 1 MB Lambda@Edge sees; every server request pays an edge invocation; replicas delay destroy.
	OriginAuthEdge = "edge"
	// OriginAuthOAC lets CloudFront sign with an origin access control of type lambda. Bodies up to Lambda's
	// 6 MB; no edge function; the viewer must send x-amz-content-sha256 with every body (the bundle's
	// body-hash script does so for the app's own pages; other clients must do it themselves).
	OriginAuthOAC = "oac"
	// DefaultOriginAuth keeps the architecture deployed before originAuth existed.
	DefaultOriginAuth = OriginAuthEdge
)

// cloudFrontPrincipal is the service CloudFront's origin access control calls Lambda as.
const cloudFrontPrincipal = "cloudfront.amazonaws.com"

func annotateOriginAuth(a *DashSiteArgs, an infer.Annotator) {
	an.Describe(&a.OriginAuth, "How CloudFront authenticates to the server function URL: \"edge\" (a Lambda@Edge "+
		"function signs each request; request bodies up to 1 MB) or \"oac\" (CloudFront origin access control "+
		"signs; bodies up to Lambda's 6 MB, no edge function; the viewer must send x-amz-content-sha256 for "+
		"every body, which the app's pages do through OpenDash's body-hash script, and other clients must do "+
		"themselves).")
	an.SetDefault(&a.OriginAuth, DefaultOriginAuth)
}

func resolveOriginAuth(name, mode string) (string, error) {
	switch mode {
	case "":
		return DefaultOriginAuth, nil
	case OriginAuthEdge, OriginAuthOAC:
		return mode, nil
	}
	return "", fmt.Errorf("DashSite %q: originAuth %q is not a mode OpenDash knows; use %q (Lambda@Edge signer, "+
		"bodies up to 1 MB) or %q (CloudFront origin access control, bodies up to 6 MB)", name, mode,
		OriginAuthEdge, OriginAuthOAC)
}

// needsEdgeProvider: the us-east-1 provider serves the edge signer, the custom domain's certificate and the
// WAF web ACL (CloudFront's live in us-east-1).
func needsEdgeProvider(s *settings) bool {
	return s.OriginAuth == OriginAuthEdge || s.DomainName != "" || s.WafRateLimit != nil ||
		(s.Auth != nil && s.Auth.Oidc != nil) // the sign-in function is a Lambda@Edge function
}

// checkOriginAuthArgs refuses the edge functions' settings when there is none: no signer (oac) and no OIDC
// sign-in, which is a Lambda@Edge function too.
func checkOriginAuthArgs(name string, s *settings) error {
	if s.OriginAuth != OriginAuthOAC || (s.Auth != nil && s.Auth.Oidc != nil) {
		return nil
	}
	var set []string
	if s.DeleteEdgeFunction {
		set = append(set, "deleteEdgeFunction")
	}
	if s.EdgeLogRetentionDays != nil {
		set = append(set, "edgeLogRetentionDays")
	}
	if len(s.EdgeLogRegions) > 0 {
		set = append(set, "edgeLogRegions")
	}
	if len(set) > 0 {
		return fmt.Errorf("DashSite %q: %s set with originAuth \"oac\", which deploys no Lambda@Edge function; "+
			"unset them, or use originAuth \"edge\"", name, strings.Join(set, ", "))
	}
	return nil
}

// newOriginAuth sets up what lets CloudFront call the server: the edge signer, or (oac) an origin access
// control of type lambda. Both modes keep the viewer-request function that sets X-Forwarded-Host.
func newOriginAuth(ctx *pulumi.Context, name string, provider *aws.Provider, accountChecked pulumi.StringOutput,
	server *serverFunction, s *settings, opts []pulumi.ResourceOption) (*edge, error) {
	if s.OriginAuth != OriginAuthOAC {
		return newEdge(ctx, name, provider, accountChecked, server, s, opts)
	}
	oac, err := cloudfront.NewOriginAccessControl(ctx, name+"-server-oac", with(s.transform.ServerOriginAccessControl,
		&cloudfront.OriginAccessControlArgs{
			Description:                   pulumi.String("OpenDash " + name + ": CloudFront calls the server function URL"),
			OriginAccessControlOriginType: pulumi.String("lambda"),
			SigningBehavior:               pulumi.String("always"),
			SigningProtocol:               pulumi.String("sigv4"),
		}), opts...)
	if err != nil {
		return nil, err
	}
	e := &edge{provider: provider, serverOAC: oac}
	if err := addViewerFunctions(ctx, name, e, s, opts); err != nil {
		return nil, err
	}
	return e, nil
}

// addViewerFunctions sets up what runs at viewer request, in either originAuth mode: the sign-in check
// (which also sets X-Forwarded-Host) when auth is on, else the forwarded-host function alone. A behavior
// takes one function per event type, so the two are never both there.
func addViewerFunctions(ctx *pulumi.Context, name string, e *edge, s *settings, opts []pulumi.ResourceOption) error {
	var err error
	if s.Auth != nil {
		e.auth, err = newViewerAuth(ctx, name, e, s, opts)
	} else {
		e.forwardedHost, err = newForwardedHost(ctx, name, s, opts)
	}
	return err
}

// newForwardedHost is the viewer-request CloudFront Function that copies Host to X-Forwarded-Host.
func newForwardedHost(ctx *pulumi.Context, name string, s *settings, opts []pulumi.ResourceOption) (*cloudfront.Function, error) {
	return cloudfront.NewFunction(ctx, name+"-forwarded-host", with(s.transform.ForwardedHostFunction,
		&cloudfront.FunctionArgs{
			Comment: pulumi.String("OpenDash: copy the viewer's Host to X-Forwarded-Host"),
			Runtime: pulumi.String("cloudfront-js-2.0"),
			Code:    pulumi.String(forwardedHostJS),
			Publish: pulumi.Bool(true),
		}), opts...)
}

// serverOriginAccessControlID is the server origin's OAC id in oac mode, nil with the edge signer.
func serverOriginAccessControlID(e *edge) pulumi.StringPtrInput {
	if e.serverOAC == nil {
		return nil
	}
	return e.serverOAC.ID().ToStringPtrOutput()
}

// newServerPermissions lets CloudFront, for this distribution only, call the function URL through its origin
// access control. Since October 2025 a function URL caller needs both lambda:InvokeFunctionUrl and
// lambda:InvokeFunction. pulumi-aws 6.83.4's Permission cannot express the lambda:InvokedViaFunctionUrl
// condition, so the second is scoped by the distribution's ARN only, like the first.
//
// They exist with the edge signer too, where nothing uses them. A grant naming the distribution's ARN can
// only follow the distribution, so one made at the switch to "oac" came after the distribution's update,
// which takes minutes and which edge locations apply as it spreads: requests signed by CloudFront were
// refused (403) meanwhile. Made in both modes, the switch changes no grant. (The other way, the signer and
// its invoke policy exist before the distribution refers to the signer.)
func newServerPermissions(ctx *pulumi.Context, name string, server *serverFunction, dist *cloudfront.Distribution,
	s *settings, opts []pulumi.ResourceOption) error {
	for _, p := range []struct {
		suffix, action string
		urlAuthType    pulumi.StringPtrInput
	}{
		{"-server-url-permission", "lambda:InvokeFunctionUrl", pulumi.String("AWS_IAM")},
		{"-server-invoke-permission", "lambda:InvokeFunction", nil},
	} {
		// On the alias with provisionedConcurrency: the function URL is the alias's.
		_, err := lambda.NewPermission(ctx, name+p.suffix, with(s.transform.ServerUrlPermission, server.target.permission(&lambda.PermissionArgs{
			Action:              pulumi.String(p.action),
			Principal:           pulumi.String(cloudFrontPrincipal),
			SourceArn:           dist.Arn,
			FunctionUrlAuthType: p.urlAuthType,
		})), opts...)
		if err != nil {
			return err
		}
	}
	return nil
}
