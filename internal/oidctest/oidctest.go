// Package oidctest is a fake OpenID Connect provider written with the standard library, shared by the tests
// of the OIDC edge function and of the preview that runs it.
package oidctest

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Provider is an OpenID Connect provider for tests: discovery, JWKS, an authorization endpoint that approves
// at once (redirecting to redirect_uri with a code), a token endpoint that checks PKCE and uses each code
// once, and /test/mint for tokens to present directly. The authorization request's extra parameter
// `variant` shapes the ID token (see Token).
type Provider struct {
	// URL is the issuer (https, with a test certificate: see CAFile).
	URL string
	// CAFile is a PEM file of the server's certificate, for NODE_EXTRA_CA_CERTS.
	CAFile string
	// ClientSecret, when set, makes the client confidential: the token endpoint then wants it with HTTP
	// Basic authentication (client_secret_basic).
	ClientSecret string

	clientID   string
	srv        *httptest.Server
	key, other *rsa.PrivateKey
	mu         sync.Mutex
	codes      map[string]grant
	jwksHits   int  // JWKS requests served
	rotated    bool // the JWKS also publishes the other key, as kid k2
}

// JWKSFetches is how many times the JWKS was fetched.
func (p *Provider) JWKSFetches() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.jwksHits
}

// Rotate publishes the other key (variant "rotated" signs with it, as kid k2) beside the first.
func (p *Provider) Rotate() {
	p.mu.Lock()
	p.rotated = true
	p.mu.Unlock()
}

type grant struct {
	challenge, nonce, redirect, variant string
}

// New starts a provider for clientID until the test ends.
func New(t *testing.T, clientID string) *Provider {
	t.Helper()
	p := &Provider{clientID: clientID, codes: map[string]grant{}}
	var err error
	if p.key, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	if p.other, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		iss := p.srv.URL
		writeJSON(w, map[string]string{"issuer": iss, "authorization_endpoint": iss + "/authorize",
			"token_endpoint": iss + "/token", "jwks_uri": iss + "/jwks", "end_session_endpoint": iss + "/logout"})
	})
	mux.HandleFunc("GET /jwks", func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.jwksHits++
		keys := []map[string]string{jwk("k1", p.key)}
		if p.rotated {
			keys = append(keys, jwk("k2", p.other))
		}
		p.mu.Unlock()
		writeJSON(w, map[string]any{"keys": keys})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != p.clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
			q.Get("code_challenge") == "" || q.Get("state") == "" || q.Get("nonce") == "" || !strings.Contains(q.Get("scope"), "openid") {
			http.Error(w, "bad authorization request: "+r.URL.RawQuery, http.StatusBadRequest)
			return
		}
		code := randomString()
		p.mu.Lock()
		p.codes[code] = grant{challenge: q.Get("code_challenge"), nonce: q.Get("nonce"), redirect: q.Get("redirect_uri"), variant: q.Get("variant")}
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?code="+code+"&state="+q.Get("state"), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		code := r.PostForm.Get("code")
		p.mu.Lock()
		g, ok := p.codes[code]
		delete(p.codes, code) // single use: a replayed code is refused
		p.mu.Unlock()
		sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
		user, secret, hasBasic := r.BasicAuth()
		switch {
		case p.ClientSecret != "" && (!hasBasic || user != p.clientID || secret != p.ClientSecret):
			w.WriteHeader(http.StatusUnauthorized)
			writeJSON(w, map[string]string{"error": "invalid_client"})
			return
		case !ok, r.PostForm.Get("grant_type") != "authorization_code", r.PostForm.Get("client_id") != p.clientID,
			r.PostForm.Get("redirect_uri") != g.redirect, base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, map[string]string{"id_token": p.Token(g.variant, g.nonce), "token_type": "Bearer"})
	})
	mux.HandleFunc("GET /logout", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("signed out at the provider"))
	})
	// The test mints tokens directly (to present them as cookies or hints), counts JWKS fetches and rotates.
	mux.HandleFunc("GET /test/mint", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(p.Token(r.URL.Query().Get("variant"), "n")))
	})
	mux.HandleFunc("GET /test/jwks-fetches", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, p.JWKSFetches())
	})
	mux.HandleFunc("POST /test/rotate", func(w http.ResponseWriter, r *http.Request) {
		p.Rotate()
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	p.URL = p.srv.URL
	p.CAFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(p.CAFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: p.srv.Certificate().Raw}), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func jwk(kid string, key *rsa.PrivateKey) map[string]string {
	return map[string]string{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": kid,
		"n": base64.RawURLEncoding.EncodeToString(key.N.Bytes()),
		"e": base64.RawURLEncoding.EncodeToString(big.NewInt(int64(key.E)).Bytes())}
}

// Token is an ID token for alice@example.com (subject u-1, verified email), valid for an hour, or shaped as
// variant says:
//   - broken: expired, audience (another client's), extra-audience (ours and another), foreign-azp, issuer,
//     nonce, no-subject, other-key (signed by a key not in the JWKS), rotated (the other key as kid k2,
//     published after Rotate), alg-none, hs256 (HMAC keyed with the public key), kid-proto, kid-constructor,
//     kid-tostring (kid names of Object.prototype), null-header (a header that decodes to null);
//   - other users: outsider (mallory@evil.example), outsider-in-group (bob@partner.example in group
//     analysts), listed (carol@elsewhere.example), many-groups (alice in 150 long-named groups, analysts
//     last); email-list, email-nul, email-space (verified "emails" that are not one address but end in
//     @example.com);
//   - email_verified: unverified-email (false), verified-string-false ("false"), verified-string-true
//     ("true", as Cognito's userinfo sends it), verified-missing, verified-zero (0), verified-null (null).
func (p *Provider) Token(variant, nonce string) string {
	now := time.Now().Unix()
	claims := map[string]any{"iss": p.srv.URL, "sub": "u-1", "aud": p.clientID, "email": "alice@example.com",
		"email_verified": true, "nonce": nonce, "iat": now, "exp": now + 3600}
	head := map[string]string{"alg": "RS256", "kid": "k1", "typ": "JWT"}
	key := p.key
	switch variant {
	case "expired":
		claims["iat"], claims["exp"] = now-7200, now-3600
	case "audience":
		claims["aud"] = "another-client"
	case "issuer":
		claims["iss"] = "https://evil.example"
	case "nonce":
		claims["nonce"] = "not-the-flow-nonce"
	case "other-key":
		key = p.other
	case "outsider":
		claims["email"] = "mallory@evil.example"
	case "outsider-in-group":
		claims["email"], claims["cognito:groups"] = "bob@partner.example", []string{"analysts"}
	case "unverified-email":
		claims["email_verified"] = false
	case "verified-string-false":
		claims["email_verified"] = "false"
	case "verified-string-true":
		claims["email_verified"] = "true"
	case "verified-missing":
		delete(claims, "email_verified")
	case "verified-zero":
		claims["email_verified"] = 0
	case "verified-null":
		claims["email_verified"] = nil
	case "extra-audience":
		claims["aud"] = []string{p.clientID, "another-client"}
	case "foreign-azp":
		claims["azp"] = "another-client"
	case "no-subject":
		delete(claims, "sub")
	case "listed":
		claims["email"] = "carol@elsewhere.example"
	case "email-list": // two addresses: a provider that mails both lets mallory verify it
		claims["email"] = "mallory@evil.example,alice@example.com"
	case "email-nul": // a mailer that stops at the NUL delivers to mallory
		claims["email"] = "mallory@evil.example\x00@example.com"
	case "email-space":
		claims["email"] = "mallory@evil.example @example.com"
	case "many-groups":
		groups := make([]string, 0, 150)
		for i := range 149 {
			groups = append(groups, fmt.Sprintf("team-%03d-with-a-rather-long-group-name-as-directories-have", i))
		}
		claims["cognito:groups"] = append(groups, "analysts")
	case "rotated":
		key, head["kid"] = p.other, "k2"
	case "kid-proto":
		head["kid"] = "__proto__"
	case "kid-constructor":
		head["kid"] = "constructor"
	case "kid-tostring":
		head["kid"] = "toString"
	case "alg-none":
		head["alg"] = "none"
	case "hs256":
		head["alg"] = "HS256"
	}
	h, _ := json.Marshal(head)
	if variant == "null-header" {
		h = []byte("null")
	}
	c, _ := json.Marshal(claims)
	signing := base64.RawURLEncoding.EncodeToString(h) + "." + base64.RawURLEncoding.EncodeToString(c)
	digest := sha256.Sum256([]byte(signing))
	var sig []byte
	switch variant {
	case "alg-none":
	case "hs256": // the classic confusion: HMAC keyed with the public key's bytes
		mac := hmac.New(sha256.New, p.key.N.Bytes())
		mac.Write([]byte(signing))
		sig = mac.Sum(nil)
	default:
		sig, _ = rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, digest[:])
	}
	return signing + "." + base64.RawURLEncoding.EncodeToString(sig)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

func randomString() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}
