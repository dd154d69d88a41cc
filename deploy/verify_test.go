package deploy

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/internal/oidctest"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
)

// TestRunVerify: after a deploy, verify checks the site against the bundle (here a preview of it stands in
// for the site): it passes when they match, fails the deploy when a file differs, is skipped, saying why,
// behind basic auth without credentials, and runs signed out behind OIDC.
func TestRunVerify(t *testing.T) {
	b := bundleGoodApp(t)
	s, err := preview.Start(context.Background(), preview.Options{Dir: b.OutDir, Addr: "127.0.0.1:0", Python: "python3", Log: &bytes.Buffer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	noEnv := func(string) (string, bool) { return "", false }

	var log bytes.Buffer
	res := &Result{BundleDir: b.OutDir, Outputs: Site{URL: s.URL()}}
	if err := runVerify(context.Background(), Options{Log: &log, Env: noEnv}, res, authNone); err != nil {
		t.Fatalf("verify of an intact site: %v\n%s", err, log.String())
	}
	if res.Verify == nil || !res.Verify.OK || res.Verify.Counts["static"].Passed == 0 {
		t.Errorf("verify summary %+v", res.Verify)
	}

	res = &Result{BundleDir: b.OutDir, Outputs: Site{URL: s.URL()}}
	log.Reset()
	if err := runVerify(context.Background(), Options{Log: &log, Env: noEnv}, res, authBasic); err != nil || res.Verify != nil ||
		!strings.Contains(res.VerifySkipped, "OPENDASH_VERIFY_BASIC_AUTH") || !strings.Contains(log.String(), "verify skipped") {
		t.Errorf("auth.basic without credentials: err %v, skipped %q, log %s", err, res.VerifySkipped, log.String())
	}

	// Behind OIDC, verify runs signed out: this site serves its files to anyone, which fails it.
	res = &Result{BundleDir: b.OutDir, Outputs: Site{URL: s.URL()}}
	log.Reset()
	var ve *VerifyError
	if err := runVerify(context.Background(), Options{Log: &log, Env: noEnv}, res, authOIDC); !errors.As(err, &ve) ||
		res.Verify == nil || !res.Verify.SignedOut || !strings.Contains(log.String(), "content to a visitor who has not signed in") {
		t.Errorf("auth.oidc, files served without sign-in: err %v, summary %+v\n%s", err, res.Verify, log.String())
	}

	m, err := manifest.Read(b.OutDir)
	if err != nil {
		t.Fatal(err)
	}
	f := m.Files[0]
	if err := os.WriteFile(filepath.Join(b.OutDir, m.Origins.S3.Dir, f.Path), []byte("stale"), 0o644); err != nil {
		t.Fatal(err)
	}
	res = &Result{BundleDir: b.OutDir, Outputs: Site{URL: s.URL()}}
	log.Reset()
	err = runVerify(context.Background(), Options{Log: &log, Env: noEnv}, res, authNone)
	if !errors.As(err, &ve) || ve.Failed == 0 || !strings.Contains(err.Error(), "the site is deployed, but verify failed") {
		t.Errorf("verify of a stale file: %v\n%s", err, log.String())
	}
}

// TestRunVerifyBehindOIDC: after a deploy behind auth.oidc, verify runs the checks that need no sign-in
// against the component's own sign-in function (run by the preview, with a fake provider), passes, and the
// result lists what it skipped.
func TestRunVerifyBehindOIDC(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH: the OIDC sign-in function runs on Node.js")
	}
	b := bundleGoodApp(t)
	p := oidctest.New(t, "deploy-client")
	t.Setenv("NODE_EXTRA_CA_CERTS", p.CAFile)
	s, err := preview.Start(context.Background(), preview.Options{Dir: b.OutDir, Addr: "127.0.0.1:0", Python: "python3",
		Log: &bytes.Buffer{}, OIDC: &preview.OIDCOptions{Issuer: p.URL, ClientID: "deploy-client", AllowAnyUser: true}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	var log bytes.Buffer
	res := &Result{BundleDir: b.OutDir, Outputs: Site{URL: s.URL()}}
	err = runVerify(context.Background(), Options{Log: &log, Env: func(string) (string, bool) { return "", false }}, res, authOIDC)
	if err != nil || res.Verify == nil || !res.Verify.OK || !res.Verify.SignedOut || res.VerifySkipped != "" {
		t.Fatalf("err %v, summary %+v\n%s", err, res.Verify, log.String())
	}
	if len(res.Verify.Skipped) != 3 || !strings.Contains(log.String(), "note: callback skipped") ||
		res.Verify.Counts["signin"].Passed != 3 {
		t.Errorf("skipped %q, counts %+v\n%s", res.Verify.Skipped, res.Verify.Counts, log.String())
	}
}

// bundleGoodApp bundles a copy of the bundler's good fixture app with the stand-in Dash.
func bundleGoodApp(t *testing.T) *bundler.Result {
	t.Helper()
	if err := exec.Command("python3", "-c", "import flask").Run(); err != nil {
		t.Skipf("python3 with Flask is needed to bundle with the stand-in Dash: %v", err)
	}
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	t.Setenv("PYTHONPATH", fake)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir())
	app := filepath.Join(t.TempDir(), "app")
	if err := os.CopyFS(app, os.DirFS("../bundler/testdata/apps/good")); err != nil {
		t.Fatal(err)
	}
	b, err := bundler.Bundle(context.Background(), bundler.Options{SourceDir: app, Python: "python3", SkipInstall: true})
	if err != nil {
		t.Fatal(err)
	}
	return b
}
