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

const (
	// Runtime: Node.js, for its crypto (RS256 verification from a JWK) and fetch.
	Runtime = "nodejs22.x"
	// Handler is index.js's handler export.
	Handler = "index.handler"
	// EventType: the check must run before CloudFront's cache, for every viewer.
	EventType = "viewer-request"
	// CallbackPath and SignOutPath are answered by the function itself on every site.
	CallbackPath = "/_opendash/callback"
	SignOutPath  = "/_opendash/sign-out"
)

// Config is what the function knows about the provider and who may enter.
type Config struct {
	Issuer              string   `json:"issuer"`
	ClientID            string   `json:"clientId"`
	Scopes              []string `json:"scopes"`
	AllowedEmailDomains []string `json:"allowedEmailDomains"`
	AllowedGroups       []string `json:"allowedGroups"`
	// ClientSecretArn is the Secrets Manager secret holding the client secret, for confidential clients; the
	// function reads it at run time (its role must allow secretsmanager:GetSecretValue on it).
	ClientSecretArn string `json:"clientSecretArn,omitempty"`
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
	return nil
}

// Files is the deployment package: the function and its configuration. The same Config gives the same bytes.
func Files(c Config) map[string]string {
	if len(c.Scopes) == 0 {
		c.Scopes = DefaultScopes
	}
	if c.AllowedEmailDomains == nil {
		c.AllowedEmailDomains = []string{}
	}
	if c.AllowedGroups == nil {
		c.AllowedGroups = []string{}
	}
	raw, _ := json.MarshalIndent(c, "", "  ") // cannot fail: strings and string lists
	return map[string]string{"index.js": source, "config.json": string(raw) + "\n"}
}
