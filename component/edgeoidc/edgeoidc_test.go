package edgeoidc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/internal/oidctest"
)

const (
	clientID      = "dash-client"
	clientSecret  = "s3cret-only-in-secrets-manager"
	secretArn     = "arn:aws:secretsmanager:us-east-1:123456789012:secret:site-oidc-client-secret-AbCdEf"
	sessionKey    = "session-key-only-in-secrets-manager-0123456789abcdef"
	sessionKeyArn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:site-session-key-GhIjKl"
	keyVersion    = "9b2f3c1e-session-key-version"
)

// fakeSDK is a node_modules folder with a stand-in @aws-sdk/client-secrets-manager (Lambda's runtime ships
// the real one): it answers FAKE_SESSION_KEY for FAKE_SESSION_KEY_ARN's version FAKE_SESSION_KEY_VERSION and
// FAKE_CLIENT_SECRET for any other secret, records each call in global.secretsManagerCalls, and fails with
// global.secretsManagerFail when that is set.
func fakeSDK(t *testing.T) string {
	t.Helper()
	root := filepath.Join(t.TempDir(), "node_modules")
	dir := filepath.Join(root, "@aws-sdk", "client-secrets-manager")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	const fake = `'use strict';
global.secretsManagerCalls = [];
class GetSecretValueCommand { constructor(input) { this.input = input; } }
class SecretsManagerClient {
  constructor(cfg) { this.region = cfg.region; }
  async send(cmd) {
    if (global.secretsManagerFail) throw new Error(global.secretsManagerFail);
    const { SecretId, VersionId } = cmd.input;
    global.secretsManagerCalls.push({ region: this.region, secretId: SecretId, versionId: VersionId });
    if (SecretId === process.env.FAKE_SESSION_KEY_ARN) {
      if (VersionId !== process.env.FAKE_SESSION_KEY_VERSION) throw new Error('ResourceNotFoundException: no such version');
      return { SecretString: process.env.FAKE_SESSION_KEY };
    }
    return { SecretString: process.env.FAKE_CLIENT_SECRET };
  }
}
module.exports = { SecretsManagerClient, GetSecretValueCommand };
`
	if err := os.WriteFile(filepath.Join(dir, "index.js"), []byte(fake), 0o644); err != nil {
		t.Fatal(err)
	}
	return root
}

// TestEdgeFunctionNode runs index_test.js (node:test) against the fake provider, with the deployment
// package exactly as Files writes it.
func TestEdgeFunctionNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH: cannot run index_test.js (install Node.js 18 or later to run it)")
	}
	key := Config{SessionKeyArn: sessionKeyArn, SessionKeyVersion: keyVersion}
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"any-user", Config{AllowAnyUser: true}},
		{"restricted", Config{Scopes: []string{"openid", "email", "profile"}, AllowedEmails: []string{"carol@elsewhere.example"},
			AllowedEmailDomains: []string{"example.com"}, AllowedGroups: []string{"analysts"}}},
		{"confidential", Config{AllowAnyUser: true, ClientSecretArn: secretArn}},
		{"preview", Config{AllowAnyUser: true, Scheme: "http", SessionKey: "preview-key-made-for-the-run"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			p := oidctest.New(t, clientID) // its own: the tests rotate its keys and count its JWKS fetches
			c.cfg.Issuer, c.cfg.ClientID = p.URL, clientID
			if c.cfg.SessionKey == "" {
				c.cfg.SessionKeyArn, c.cfg.SessionKeyVersion = key.SessionKeyArn, key.SessionKeyVersion
			}
			if c.cfg.ClientSecretArn != "" {
				p.ClientSecret = clientSecret
			}
			if err := c.cfg.Check(); err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			for name, content := range Files(c.cfg) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(node, "--test-reporter=spec", "index_test.js", dir, c.name)
			cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+p.CAFile, "NODE_PATH="+fakeSDK(t), "FAKE_CLIENT_SECRET="+clientSecret,
				"FAKE_SESSION_KEY="+sessionKey, "FAKE_SESSION_KEY_ARN="+sessionKeyArn, "FAKE_SESSION_KEY_VERSION="+keyVersion)
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("index_test.js failed: %v", err)
			}
		})
	}
}

func TestConfigCheck(t *testing.T) {
	const issuer = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_abc"
	for _, good := range []Config{
		{Issuer: issuer, ClientID: "c", AllowAnyUser: true},
		{Issuer: issuer, ClientID: "c", AllowedEmails: []string{"alice@example.com"}},
		{Issuer: issuer, ClientID: "c", AllowedEmailDomains: []string{"example.com"}},
		{Issuer: issuer, ClientID: "c", AllowedGroups: []string{"analysts"}},
	} {
		if err := good.Check(); err != nil {
			t.Errorf("%+v: %v", good, err)
		}
	}
	for _, c := range []struct {
		cfg  Config
		want string
	}{
		{Config{ClientID: "c", AllowAnyUser: true}, "issuer is empty"},
		{Config{Issuer: "http://idp.example", ClientID: "c", AllowAnyUser: true}, "not an https URL"},
		{Config{Issuer: "https://idp.example?x=1", ClientID: "c", AllowAnyUser: true}, "not an https URL"},
		{Config{Issuer: "https://idp.example", AllowAnyUser: true}, "clientId is empty"},
		{Config{Issuer: "https://idp.example", ClientID: "c", Scopes: []string{"email"}, AllowAnyUser: true}, `lack "openid"`},
		{Config{Issuer: "https://idp.example", ClientID: "c", AllowedEmailDomains: []string{"@example.com"}}, "lower-case domain"},
		// Issue 23: nobody listed no longer means everybody.
		{Config{Issuer: issuer, ClientID: "c"}, "no allow-list"},
		{Config{Issuer: issuer, ClientID: "c", AllowAnyUser: true, AllowedGroups: []string{"a"}}, "drop allowAnyUser"},
		{Config{Issuer: issuer, ClientID: "c", AllowedEmails: []string{"Alice@example.com"}}, "lower-case email"},
		{Config{Issuer: issuer, ClientID: "c", AllowedEmails: []string{"example.com"}}, "lower-case email"},
		{Config{Issuer: issuer, ClientID: "c", AllowedGroups: []string{""}}, "group name is empty"},
	} {
		if err := c.cfg.Check(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("Check(%+v) = %v, want an error saying %q", c.cfg, err, c.want)
		}
	}
	if !strings.Contains(source, "const ROOT_OBJECT = 'index.html';") {
		t.Error("index.js's ROOT_OBJECT is not the component's default root object (index.html)")
	}
	for _, want := range []string{"'" + CallbackPath + "'", "'" + SignOutPath + "'", "'" + OldSignOutPath + "'",
		"const IDENTITY_PREFIX = '" + IdentityHeaderPrefix + "';"} {
		if !strings.Contains(source, want) {
			t.Errorf("index.js and the Go constants disagree: no %s", want)
		}
	}
	files := Files(Config{Issuer: issuer, ClientID: "c", AllowAnyUser: true})
	if len(files) != 3 || files["provider.js"] != providerSource || strings.Contains(files["config.json"], "sessionKey") {
		t.Errorf("package files %v: want index.js, provider.js and a config.json naming no session key", keysOf(files))
	}
}

func keysOf(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}
