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
	clientID     = "dash-client"
	clientSecret = "s3cret-only-in-secrets-manager"
	secretArn    = "arn:aws:secretsmanager:us-east-1:123456789012:secret:site-oidc-client-secret-AbCdEf"
)

// fakeSDK is a node_modules folder with a stand-in @aws-sdk/client-secrets-manager (Lambda's runtime ships
// the real one): it answers FAKE_CLIENT_SECRET and records each call in global.secretsManagerCalls.
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
    global.secretsManagerCalls.push({ region: this.region, secretId: cmd.input.SecretId });
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
	p := oidctest.New(t, clientID)
	for _, c := range []struct {
		name string
		cfg  Config
	}{
		{"any-user", Config{Issuer: p.URL, ClientID: clientID}},
		{"restricted", Config{Issuer: p.URL, ClientID: clientID, Scopes: []string{"openid", "email", "profile"},
			AllowedEmailDomains: []string{"example.com"}, AllowedGroups: []string{"analysts"}}},
		{"confidential", Config{Issuer: p.URL, ClientID: clientID, ClientSecretArn: secretArn}},
	} {
		t.Run(c.name, func(t *testing.T) {
			if c.cfg.ClientSecretArn != "" {
				p.ClientSecret = clientSecret
				t.Cleanup(func() { p.ClientSecret = "" })
			}
			dir := t.TempDir()
			for name, content := range Files(c.cfg) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(node, "--test-reporter=spec", "index_test.js", dir, c.name)
			cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+p.CAFile, "NODE_PATH="+fakeSDK(t), "FAKE_CLIENT_SECRET="+clientSecret)
			out, err := cmd.CombinedOutput()
			t.Logf("%s", out)
			if err != nil {
				t.Fatalf("index_test.js failed: %v", err)
			}
		})
	}
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
	if !strings.Contains(source, "const ROOT_OBJECT = 'index.html';") {
		t.Error("index.js's ROOT_OBJECT is not the component's default root object (index.html)")
	}
	if !strings.Contains(source, "'"+CallbackPath+"'") || !strings.Contains(source, "'"+SignOutPath+"'") {
		t.Error("index.js and the Go constants disagree on the callback or sign-out path")
	}
}
