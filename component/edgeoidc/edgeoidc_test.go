package edgeoidc

import (
	"crypto"
	"crypto/hmac"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"math/big"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const clientID = "dash-client"

// fakeProvider is an OpenID Connect provider in the test: discovery, JWKS, authorization endpoint (it
// approves at once) and token endpoint with PKCE, single-use codes and ID tokens shaped by a test variant.
type fakeProvider struct {
	srv        *httptest.Server
	key, other *rsa.PrivateKey
	mu         sync.Mutex
	codes      map[string]grant
}

type grant struct {
	challenge, nonce, redirect, variant string
}

func newFakeProvider(t *testing.T) *fakeProvider {
	t.Helper()
	p := &fakeProvider{codes: map[string]grant{}}
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
		n := base64.RawURLEncoding.EncodeToString(p.key.N.Bytes())
		e := base64.RawURLEncoding.EncodeToString(big.NewInt(int64(p.key.E)).Bytes())
		writeJSON(w, map[string]any{"keys": []map[string]string{{"kty": "RSA", "use": "sig", "alg": "RS256", "kid": "k1", "n": n, "e": e}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if q.Get("client_id") != clientID || q.Get("response_type") != "code" || q.Get("code_challenge_method") != "S256" ||
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
		switch {
		case !ok, r.PostForm.Get("grant_type") != "authorization_code", r.PostForm.Get("client_id") != clientID,
			r.PostForm.Get("redirect_uri") != g.redirect, base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge:
			w.WriteHeader(http.StatusBadRequest)
			writeJSON(w, map[string]string{"error": "invalid_grant"})
			return
		}
		writeJSON(w, map[string]string{"id_token": p.token(g.variant, g.nonce), "token_type": "Bearer"})
	})
	// The test mints tokens directly to present them as session cookies.
	mux.HandleFunc("GET /test/mint", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(p.token(r.URL.Query().Get("variant"), "n")))
	})
	p.srv = httptest.NewTLSServer(mux)
	t.Cleanup(p.srv.Close)
	return p
}

// token is an ID token for alice, broken in the way variant says.
func (p *fakeProvider) token(variant, nonce string) string {
	now := time.Now().Unix()
	claims := map[string]any{"iss": p.srv.URL, "sub": "u-1", "aud": clientID, "email": "alice@example.com",
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
	case "alg-none":
		head["alg"] = "none"
	case "hs256":
		head["alg"] = "HS256"
	}
	h, _ := json.Marshal(head)
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

// TestEdgeFunctionNode runs index_test.js (node:test) against the fake provider, with the deployment
// package exactly as Files writes it.
func TestEdgeFunctionNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH: cannot run index_test.js (install Node.js 18 or later to run it)")
	}
	p := newFakeProvider(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pemOf(p.srv.Certificate().Raw), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"any-user", Config{Issuer: p.srv.URL, ClientID: clientID}},
		{"restricted", Config{Issuer: p.srv.URL, ClientID: clientID, Scopes: []string{"openid", "email", "profile"},
			AllowedEmailDomains: []string{"example.com"}, AllowedGroups: []string{"analysts"}}},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range Files(c.cfg) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(node, "--test-reporter=spec", "index_test.js", dir, c.name)
			cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+caFile)
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("index_test.js failed: %v", err)
			}
		})
	}
}

func pemOf(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

func TestConfigCheck(t *testing.T) {
	good := Config{Issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc", ClientID: "c"}
	if err := good.Check(); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []Config{
		{ClientID: "c"}, {Issuer: "http://idp.example", ClientID: "c"}, {Issuer: "https://idp.example?x=1", ClientID: "c"},
		{Issuer: "https://idp.example"}, {Issuer: "https://idp.example", ClientID: "c", Scopes: []string{"email"}},
		{Issuer: "https://idp.example", ClientID: "c", AllowedEmailDomains: []string{"@example.com"}},
	} {
		if bad.Check() == nil {
			t.Errorf("Check accepted %+v", bad)
		}
	}
	if !strings.Contains(source, "'"+CallbackPath+"'") || !strings.Contains(source, "'"+SignOutPath+"'") {
		t.Error("index.js and the Go constants disagree on the callback or sign-out path")
	}
}
