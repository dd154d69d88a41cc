package component

import (
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/cloudfront"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// siteOrigin is the origin the pages that name the site get in place of manifest.OriginPlaceholder (Dash
// Pages' og:image, twitter:url), as the sync uploads them: https and the custom domain, else the
// distribution's domain. "" when no page names the site.
func siteOrigin(b *siteBundle, s *settings, dist *cloudfront.Distribution) pulumi.StringInput {
	if !namesOrigin(b.manifest) {
		return pulumi.String("")
	}
	if s.DomainName != "" {
		return pulumi.String("https://" + s.DomainName)
	}
	return pulumi.Sprintf("https://%s", dist.DomainName)
}

// namesOrigin reports whether any static file holds the placeholder origin.
func namesOrigin(m *manifest.Manifest) bool {
	for _, f := range m.Files {
		if f.SiteOrigin {
			return true
		}
	}
	return false
}
