// Package edgeoidc holds the Lambda@Edge function that signs viewers in with an OpenID Connect provider
// (auth.oidc). It runs at viewer request on every behavior of a DashSite; Lambda@Edge has no environment
// variables, so Files bakes the configuration into the deployment package as config.json.
package edgeoidc

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strings"
)

//go:embed index.js
var source string

//go:embed provider.js
var providerSource string

const (
	// Runtime: Node.js, for its crypto (RS256 verification from a JWK) and fetch.
	Runtime = "nodejs22.x"
	// Handler is index.js's handler export.
	Handler = "index.handler"
	// EventType: the check must run before CloudFront's cache, for every viewer.
	EventType = "viewer-request"
	// CallbackPath and SignOutPath are answered by the function itself on every site. Sign-out is a POST
	// (a GET shows a page with the button): CloudFront refuses POST on the S3 behavior /_opendash/*, so the
	// path is one the default (server) behavior takes. OldSignOutPath, earlier versions' link, redirects there.
	CallbackPath   = "/_opendash/callback"
	SignOutPath    = "/_opendash-sign-out"
	OldSignOutPath = "/_opendash/sign-out"
	// IdentityHeaderPrefix starts the names of the headers the function sets from the session
	// (X-OpenDash-User-Subject, -Email, -Groups, -Groups-Truncated), after deleting any a viewer sent.
	IdentityHeaderPrefix = "x-opendash-"
	// IdentityHeadersEnv, set to "oidc" on the server function (by the component with auth.oidc, by the
	// preview with OIDC), tells its handler that those headers come from this function; without it the
	// handler drops them.
	IdentityHeadersEnv = "OPENDASH_IDENTITY_HEADERS"
)

// Config is what the function knows about the provider and who may enter.
type Config struct {
	Issuer   string   `json:"issuer"`
	ClientID string   `json:"clientId"`
	Scopes   []string `json:"scopes"`
	// Who may enter: a verified email in AllowedEmails or in one of AllowedEmailDomains, or a member of one of
	// AllowedGroups; or, with AllowAnyUser, everyone the provider signs in. Check wants one or the other.
	AllowedEmails       []string `json:"allowedEmails"`
	AllowedEmailDomains []string `json:"allowedEmailDomains"`
	AllowedGroups       []string `json:"allowedGroups"`
	AllowAnyUser        bool     `json:"allowAnyUser"`
	// ClientSecretArn is the Secrets Manager secret holding the client secret, for confidential clients; the
	// function reads it at run time (its role must allow secretsmanager:GetSecretValue on it).
	ClientSecretArn string `json:"clientSecretArn,omitempty"`
	// SessionKeyArn and SessionKeyVersion name the secret version holding the key that signs session
	// cookies; the function reads that version at run time, so a new key is a new package (a new version of
	// the function), never a key half-rotated across warm instances.
	SessionKeyArn     string `json:"sessionKeyArn,omitempty"`
	SessionKeyVersion string `json:"sessionKeyVersion,omitempty"`
	// SessionKey is the key itself, for the local preview only, whose package never leaves the machine.
	SessionKey string `json:"sessionKey,omitempty"`
	// Scheme of the site's own URLs (callback, return after sign-out): empty means https, as CloudFront
	// serves; only the local preview sets "http".
	Scheme string `json:"scheme,omitempty"`
}

// DefaultScopes ask for the user's email, which allowed email domains need.
var DefaultScopes = []string{"openid", "email"}

// Check refuses a configuration the function cannot work with, naming the argument at fault.
func (c Config) Check() error {
	u, err := url.Parse(c.Issuer)
	switch {
	case c.Issuer == "":
		return fmt.Errorf("issuer is empty; set the provider's issuer URL (e.g. https://cognito-idp.<region>.amazonaws.com/<pool id>)")
	case err != nil || u.Scheme != "https" || u.Host == "" || u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("issuer %q is not an https URL without query or fragment, as OpenID Connect requires", c.Issuer)
	case c.ClientID == "":
		return fmt.Errorf("clientId is empty; set the app client's id registered at the provider")
	case len(c.Scopes) > 0 && !slices.Contains(c.Scopes, "openid"):
		return fmt.Errorf("scopes %v lack \"openid\"; without it the provider returns no ID token", c.Scopes)
	}
	for _, d := range c.AllowedEmailDomains {
		if d == "" || strings.ContainsAny(d, "@/ ") || d != strings.ToLower(d) {
			return fmt.Errorf("allowedEmailDomains: %q is not a lower-case domain name (like example.com)", d)
		}
	}
	for _, e := range c.AllowedEmails {
		local, domain, ok := strings.Cut(e, "@")
		if !ok || local == "" || domain == "" || strings.ContainsAny(domain, "@/ ") || e != strings.ToLower(e) {
			return fmt.Errorf("allowedEmails: %q is not a lower-case email address (like alice@example.com)", e)
		}
	}
	if slices.Contains(c.AllowedGroups, "") {
		return fmt.Errorf("allowedGroups: a group name is empty")
	}
	lists := len(c.AllowedEmails) + len(c.AllowedEmailDomains) + len(c.AllowedGroups)
	switch {
	case lists == 0 && !c.AllowAnyUser:
		return fmt.Errorf("no allow-list: set allowedEmails, allowedEmailDomains or allowedGroups to say who may " +
			"enter, or allowAnyUser: true to admit everyone the provider signs in (with Google, every Google " +
			"account; with a Cognito pool open to sign-up, anyone who signs up)")
	case lists > 0 && c.AllowAnyUser:
		return fmt.Errorf("allowAnyUser is true and allow-lists are set: the lists would admit no one more; drop " +
			"allowAnyUser, or the lists")
	}
	return nil
}

// Files is the deployment package: the function and its configuration. The same Config gives the same bytes.
func Files(c Config) map[string]string {
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	for _, list := range []*[]string{&c.AllowedEmails, &c.AllowedEmailDomains, &c.AllowedGroups} {
		if *list == nil {
			*list = []string{}
		}
	}
	raw, _ := json.MarshalIndent(c, "", "  ") // cannot fail: strings and string lists
	return map[string]string{"index.js": source, "provider.js": providerSource, "config.json": string(raw) + "\n"}
}
