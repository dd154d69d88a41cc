package manifest

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"regexp"
)

// The site's origin (https://d111111abcdef8.cloudfront.net, or a custom domain) is known only once the
// distribution exists, after the bundle is made; a Dash Pages app writes it into its pages' meta tags
// (og:image, twitter:url). So the bundler renders pages against OriginPlaceholder, marks the files that hold
// it (File.SiteOrigin), and whoever serves them puts the real origin in its place: the deploy's sync as it
// uploads them, the preview as it answers. Verify and the invalidation expect those rewritten bytes.
const (
	// OriginPlaceholder is the origin pages are rendered against: .invalid is a name no site can have
	// (RFC 2606), so it cannot be mistaken for a real one.
	OriginPlaceholder = "https://" + PlaceholderHost
	PlaceholderHost   = "opendash-site-origin.invalid"
)

// WithOrigin returns data with the placeholder origin replaced by origin ("https://example.com", no path),
// and a bare placeholder host (a page may print the host alone) by origin's host.
func WithOrigin(data []byte, origin string) []byte {
	host := origin
	if u, err := url.Parse(origin); err == nil && u.Host != "" {
		host = u.Host
	}
	out := bytes.ReplaceAll(data, []byte(OriginPlaceholder), []byte(origin))
	return bytes.ReplaceAll(out, []byte(PlaceholderHost), []byte(host))
}

// SHA256WithOrigin is the hex SHA-256 of WithOrigin(data, origin): a marked file's digest where it is served.
func SHA256WithOrigin(data []byte, origin string) string {
	sum := sha256.Sum256(WithOrigin(data, origin))
	return hex.EncodeToString(sum[:])
}

var servedOrigin = regexp.MustCompile(`^https?://[A-Za-z0-9.\-]+(:[0-9]+)?|^https?://\[[0-9A-Fa-f:.]+\](:[0-9]+)?`)

// OriginIn finds the origin a served copy of the marked file template was given: the one that makes
// WithOrigin(template, origin) equal to served. False when none does (the file differs otherwise, or still
// names the placeholder: nobody put the origin in).
func OriginIn(template, served []byte) (string, bool) {
	at := bytes.Index(template, []byte(OriginPlaceholder))
	if at < 0 || len(served) < at || !bytes.Equal(served[:at], template[:at]) {
		return "", false
	}
	origin := servedOrigin.Find(served[at:])
	if origin == nil || bytes.Contains(origin, []byte(PlaceholderHost)) || !bytes.Equal(WithOrigin(template, string(origin)), served) {
		return "", false
	}
	return string(origin), true
}
