// Package edgeauth generates the viewer-request CloudFront Function OpenDash puts in front of a site, and the
// salted password hashes its basic-auth check reads from a CloudFront KeyValueStore. The component deploys the
// generated code; the preview runs the very same code (package edgeauth/jsrun), so it proves the deployed check.
package edgeauth

import (
	"crypto/hmac"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed viewer_request.js
var body string

// Runtime is the CloudFront Functions runtime the code needs (async handlers, crypto, KeyValueStore access).
const Runtime = "cloudfront-js-2.0"

// KVSImport is the statement that gives the code its KeyValueStore, as CloudFront documents it. Code that
// has it must be associated with exactly one KeyValueStore.
const KVSImport = "import cf from 'cloudfront';"

// DefaultRealm names the protected site in the browser's sign-in prompt when no realm is given.
const DefaultRealm = "OpenDash"

// MaxRealmLength bounds the realm, which is written into the code: CloudFront takes at most 10 KB of it.
const MaxRealmLength = 100

// MinPasswordLength is the shortest password CheckCredential accepts. A CloudFront Function has about a
// millisecond, too little for a slow password hash: the stored hash is one HMAC-SHA256, which one CPU core
// computes ~190,000 times a second, so only a long password survives a leaked store.
const MinPasswordLength = 16

// MaxAuthorization is the longest Authorization header the function decodes (viewer_request.js's
// MAX_AUTHORIZATION): a longer one is refused unread, so CheckCredential refuses credentials that make one.
const MaxAuthorization = 1024

// IdentityHeaderPrefix starts the names of the headers only the edge may set (X-OpenDash-User-Email, ...):
// every viewer-request function deletes a viewer's own copies.
const IdentityHeaderPrefix = "x-opendash-"

// Config is one use of the viewer-request function.
type Config struct {
	// ForwardHost copies the viewer's Host to X-Forwarded-Host: on for server behaviors.
	ForwardHost bool
	// Basic turns on the basic-auth check (with Realm, or DefaultRealm when empty).
	Basic bool
	Realm string
}

// Source is the function code for c. The same Config always gives the same bytes.
func Source(c Config) string {
	var sb strings.Builder
	type basic struct {
		Realm string `json:"realm"`
	}
	cfg := struct {
		ForwardHost bool   `json:"forwardHost"`
		Basic       *basic `json:"basic"`
	}{ForwardHost: c.ForwardHost}
	if c.Basic {
		realm := c.Realm
		if realm == "" {
			realm = DefaultRealm
		}
		cfg.Basic = &basic{Realm: realm}
		// The documented way in: the module import first, then the handle of the one associated store.
		sb.WriteString(KVSImport + "\nimport crypto from 'crypto';\nconst kvs = cf.kvs();\n")
	}
	js, _ := json.Marshal(cfg) // cannot fail: plain strings and bools
	fmt.Fprintf(&sb, "var CONFIG = %s;\n", js)
	sb.WriteString(body)
	return sb.String()
}

// CheckRealm refuses a realm that would break out of the WWW-Authenticate header's quoted string, or whose
// length would push the function's code toward CloudFront's 10 KB.
func CheckRealm(realm string) error {
	if len(realm) > MaxRealmLength {
		return fmt.Errorf("realm %q...: %d characters, at most %d fit in the function's code", realm[:20], len(realm), MaxRealmLength)
	}
	for _, r := range realm {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return fmt.Errorf("realm %q: use printable ASCII without quotes or backslashes", realm)
		}
	}
	return nil
}

// CheckCredential refuses what a browser cannot send reliably in a Basic Authorization header (non-ASCII
// bytes are encoded differently by different browsers), what the check cannot split (a ':' in the user) or
// would refuse unread (a header over MaxAuthorization), and short passwords.
func CheckCredential(user, password string) error {
	switch {
	case user == "":
		return fmt.Errorf("a user name is empty; give every user a name")
	case strings.Contains(user, ":"):
		return fmt.Errorf("user %q: a user name cannot contain ':' (Basic auth splits user and password at the first ':')", user)
	case len(user) > 500:
		return fmt.Errorf("user %q: over 500 bytes, CloudFront KeyValueStore keys are at most 512", user[:20]+"...")
	case password == "":
		return fmt.Errorf("user %q: the password is empty; set one", user)
	case !printableASCII(user):
		return fmt.Errorf("user %q: use printable ASCII only (browsers encode other characters inconsistently)", user)
	case !printableASCII(password):
		return fmt.Errorf("user %q: the password has characters outside printable ASCII (browsers encode them "+
			"inconsistently); use printable ASCII only", user)
	case len("Basic ")+base64.StdEncoding.EncodedLen(len(user)+1+len(password)) > MaxAuthorization:
		return fmt.Errorf("user %q: the name and password make an Authorization header over %d bytes, which the "+
			"edge refuses unread; keep the name and password at most %d characters together", user, MaxAuthorization,
			(MaxAuthorization-len("Basic "))/4*3-1)
	case len(password) < MinPasswordLength:
		return fmt.Errorf("user %q: the password has %d characters, fewer than %d: the stored hash is fast to "+
			"compute, so a short password falls to guessing; use a long random one (e.g. `openssl rand -base64 24`)",
			user, len(password), MinPasswordLength)
	}
	return nil
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// Salt is user's salt in store (the KeyValueStore's ARN, which ends in an id CloudFront picks at random):
// deterministic, so that an unchanged password gives an unchanged hash and no needless update, yet
// unpredictable before the store exists and different for every store and user, so that equal passwords
// hash differently and no table computed in advance (for a site name) applies. A salt needs no secrecy: the
// function reads it beside the hash.
func Salt(store, user string) string {
	sum := sha256.Sum256([]byte("opendash-basic-auth\x00" + store + "\x00" + user))
	return hex.EncodeToString(sum[:16])
}

// Hash is the KeyValueStore value for password with salt, the format the function checks.
func Hash(salt, password string) string {
	mac := hmac.New(sha256.New, []byte(salt))
	mac.Write([]byte(password))
	return "v1$" + salt + "$" + hex.EncodeToString(mac.Sum(nil))
}
