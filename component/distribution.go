package component

import (
	"github.com/opendash/opendash/component/edgesigner"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// RootObject is the file CloudFront serves for "/" when the bundle has it.
const RootObject = "index.html"

// behaviorSettings are the fields CloudFront's default and ordered behaviors share.
type behaviorSettings struct {
	origin                string
	allowedMethods        pulumi.StringArray
	cachePolicyID         string
	originRequestPolicyID pulumi.StringPtrInput
	compress              bool
	responseHeaders       pulumi.StringPtrInput // response headers policy id; "" attaches none
	lambdaArn             pulumi.StringInput    // origin-request signer; nil for S3 and with originAuth "oac"
	functionArn           pulumi.StringInput    // viewer-request CloudFront Function: forwarded host, basic auth
	viewerLambdaArn       pulumi.StringInput    // viewer-request Lambda@Edge (OIDC); excludes functionArn
}

// behaviorFor maps one manifest behavior to CloudFront settings: S3 behaviors cache with the files'
// Cache-Control; server behaviors never cache, forward everything but Host and are signed at the edge.
func behaviorFor(b manifest.Behavior, e *edge, s *settings) behaviorSettings {
	bs := behaviorSettings{origin: b.Origin, allowedMethods: pulumi.ToStringArray(b.AllowedMethods),
		responseHeaders: s.ResponseHeadersPolicyId.ToStringOutput().ToStringPtrOutput()}
	bs.functionArn, bs.viewerLambdaArn = e.viewerRequest(b.Origin)
	if b.Origin == manifest.OriginS3 {
		bs.cachePolicyID = CachingOptimizedPolicyID
		bs.compress = true
		return bs
	}
	bs.cachePolicyID = CachingDisabledPolicyID
	bs.originRequestPolicyID = pulumi.String(AllViewerExceptHostHeaderPolicyID)
	if e.signer != nil { // originAuth "oac": CloudFront signs, no edge function
		bs.lambdaArn = e.signer.QualifiedArn
	}
	return bs
}

var cachedMethods = pulumi.ToStringArray(manifest.MethodsRead)

// association is one function on a behavior: a Lambda@Edge function (includeBody for the signer) or a
// CloudFront Function.
type association struct {
	eventType   string
	arn         pulumi.StringInput
	includeBody bool
}

// associations lists the behavior's Lambda@Edge and CloudFront Function associations, once for the ordered and
// the default behavior: a viewer-request sign-in function (OIDC) and the origin-request signer are Lambda@Edge;
// the forwarded-host or basic-auth viewer-request function is a CloudFront Function.
func (bs behaviorSettings) associations() (lambdas, functions []association) {
	if bs.viewerLambdaArn != nil {
		lambdas = append(lambdas, association{eventType: "viewer-request", arn: bs.viewerLambdaArn})
	}
	if bs.lambdaArn != nil {
		lambdas = append(lambdas, association{eventType: edgesigner.EventType, arn: bs.lambdaArn,
			includeBody: edgesigner.IncludeBody})
	}
	if bs.functionArn != nil {
		functions = append(functions, association{eventType: "viewer-request", arn: bs.functionArn})
	}
	return lambdas, functions
}

func (bs behaviorSettings) ordered(pattern string) *cloudfront.DistributionOrderedCacheBehaviorArgs {
	args := &cloudfront.DistributionOrderedCacheBehaviorArgs{
		PathPattern:             pulumi.String(pattern),
		TargetOriginId:          pulumi.String(bs.origin),
		ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
		AllowedMethods:          bs.allowedMethods,
		CachedMethods:           cachedMethods,
		CachePolicyId:           pulumi.String(bs.cachePolicyID),
		OriginRequestPolicyId:   bs.originRequestPolicyID,
		Compress:                pulumi.Bool(bs.compress),
		ResponseHeadersPolicyId: bs.responseHeaders,
	}
	lambdas, functions := bs.associations()
	if len(lambdas) > 0 {
		arr := cloudfront.DistributionOrderedCacheBehaviorLambdaFunctionAssociationArray{}
		for _, l := range lambdas {
			arr = append(arr, &cloudfront.DistributionOrderedCacheBehaviorLambdaFunctionAssociationArgs{
				EventType: pulumi.String(l.eventType), LambdaArn: l.arn, IncludeBody: includeBody(l)})
		}
		args.LambdaFunctionAssociations = arr
	}
	if len(functions) > 0 {
		arr := cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArray{}
		for _, f := range functions {
			arr = append(arr, &cloudfront.DistributionOrderedCacheBehaviorFunctionAssociationArgs{
				EventType: pulumi.String(f.eventType), FunctionArn: f.arn})
		}
		args.FunctionAssociations = arr
	}
	return args
}

func (bs behaviorSettings) asDefault() *cloudfront.DistributionDefaultCacheBehaviorArgs {
	args := &cloudfront.DistributionDefaultCacheBehaviorArgs{
		TargetOriginId:          pulumi.String(bs.origin),
		ViewerProtocolPolicy:    pulumi.String("redirect-to-https"),
		AllowedMethods:          bs.allowedMethods,
		CachedMethods:           cachedMethods,
		CachePolicyId:           pulumi.String(bs.cachePolicyID),
		OriginRequestPolicyId:   bs.originRequestPolicyID,
		Compress:                pulumi.Bool(bs.compress),
		ResponseHeadersPolicyId: bs.responseHeaders,
	}
	lambdas, functions := bs.associations()
	if len(lambdas) > 0 {
		arr := cloudfront.DistributionDefaultCacheBehaviorLambdaFunctionAssociationArray{}
		for _, l := range lambdas {
			arr = append(arr, &cloudfront.DistributionDefaultCacheBehaviorLambdaFunctionAssociationArgs{
				EventType: pulumi.String(l.eventType), LambdaArn: l.arn, IncludeBody: includeBody(l)})
		}
		args.LambdaFunctionAssociations = arr
	}
	if len(functions) > 0 {
		arr := cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArray{}
		for _, f := range functions {
			arr = append(arr, &cloudfront.DistributionDefaultCacheBehaviorFunctionAssociationArgs{
				EventType: pulumi.String(f.eventType), FunctionArn: f.arn})
		}
		args.FunctionAssociations = arr
	}
	return args
}

// includeBody is set only for the signer, which hashes the body; nil elsewhere (CloudFront's default, false).
func includeBody(a association) pulumi.BoolPtrInput {
	if !a.includeBody {
		return nil
	}
	return pulumi.Bool(true)
}

// originReadTimeout lets CloudFront wait a little longer than the server may run, so that an answer given
// at the last moment still arrives; 60 s is the most CloudFront allows without a quota increase
// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/DownloadDistValuesOrigin.html#DownloadDistValuesOriginResponseTimeout).
func originReadTimeout(timeout int) int {
	return min(timeout+5, 60)
}

// newDistribution builds the CloudFront distribution with the manifest's behaviors in the manifest's order;
// the last one ("*") is the default behavior. certificateArn is nil without a custom domain, webACL without
// wafRateLimit.
func newDistribution(ctx *pulumi.Context, name string, b *siteBundle, site *staticSite, server *serverFunction, e *edge,
	certificateArn, webACL pulumi.StringInput, s *settings, opts []pulumi.ResourceOption) (*cloudfront.Distribution, error) {
	m := b.manifest
	last := len(m.Behaviors) - 1 // Validate guarantees the last behavior is "*"
	ordered := cloudfront.DistributionOrderedCacheBehaviorArray{}
	for _, bh := range m.Behaviors[:last] {
		ordered = append(ordered, behaviorFor(bh, e, s).ordered(bh.PathPattern))
	}

	args := &cloudfront.DistributionArgs{
		Enabled:       pulumi.Bool(true),
		Comment:       pulumi.String("OpenDash " + name),
		HttpVersion:   pulumi.String("http2and3"),
		IsIpv6Enabled: pulumi.Bool(true),
		PriceClass:    s.PriceClass.ToStringOutput().ToStringPtrOutput(),
		Origins: cloudfront.DistributionOriginArray{
			&cloudfront.DistributionOriginArgs{
				OriginId:              pulumi.String(manifest.OriginS3),
				DomainName:            site.bucket.BucketRegionalDomainName,
				OriginAccessControlId: site.oac.ID(),
			},
			&cloudfront.DistributionOriginArgs{
				OriginId:              pulumi.String(manifest.OriginServer),
				DomainName:            server.originDomain,
				OriginAccessControlId: serverOriginAccessControlID(e),
				CustomOriginConfig: &cloudfront.DistributionOriginCustomOriginConfigArgs{
					HttpPort:             pulumi.Int(80),
					HttpsPort:            pulumi.Int(443),
					OriginProtocolPolicy: pulumi.String("https-only"),
					OriginSslProtocols:   pulumi.StringArray{pulumi.String("TLSv1.2")},
					OriginReadTimeout:    s.timeout.ApplyT(originReadTimeout).(pulumi.IntOutput),
				},
				// CloudFront retries a GET that timed out up to ConnectionAttempts times (default 3): each retry
				// is another full, billed Lambda run and the viewer waits ~3x longer for the same 504. One attempt.
				ConnectionAttempts: pulumi.Int(1),
			},
		},
		DefaultCacheBehavior:  behaviorFor(m.Behaviors[last], e, s).asDefault(),
		OrderedCacheBehaviors: ordered,
		Restrictions: &cloudfront.DistributionRestrictionsArgs{
			GeoRestriction: &cloudfront.DistributionRestrictionsGeoRestrictionArgs{RestrictionType: pulumi.String("none")},
		},
		ViewerCertificate: &cloudfront.DistributionViewerCertificateArgs{CloudfrontDefaultCertificate: pulumi.Bool(true)},
	}
	// "/" is answered with index.html only when the bundle has one; otherwise "/" falls to the default
	// behavior and the server renders the page.
	if _, ok := m.FileForKey(RootObject); ok {
		args.DefaultRootObject = pulumi.String(RootObject)
	}
	if webACL != nil {
		args.WebAclId = webACL
	}
	if certificateArn != nil {
		args.Aliases = pulumi.StringArray{pulumi.String(s.DomainName)}
		args.ViewerCertificate = &cloudfront.DistributionViewerCertificateArgs{
			AcmCertificateArn:      certificateArn,
			SslSupportMethod:       pulumi.String("sni-only"),
			MinimumProtocolVersion: pulumi.String("TLSv1.2_2021"),
		}
	}
	return cloudfront.NewDistribution(ctx, name+"-cdn", with(s.transform.Distribution, args), opts...)
}
