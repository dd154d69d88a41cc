package edgeoidc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/internal/oidctest"
)

const clientID = "dash-client"

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
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			for name, content := range Files(c.cfg) {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			cmd := exec.Command(node, "--test-reporter=spec", "index_test.js", dir, c.name)
			cmd.Env = append(os.Environ(), "NODE_EXTRA_CA_CERTS="+p.CAFile)
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
	if !strings.Contains(source, "'"+CallbackPath+"'") || !strings.Contains(source, "'"+SignOutPath+"'") {
		t.Error("index.js and the Go constants disagree on the callback or sign-out path")
	}
}
