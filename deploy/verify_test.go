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
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
)

// TestRunVerify: after a deploy, verify checks the site against the bundle (here a preview of it stands in
// for the site): it passes when they match, fails the deploy when a file differs, and is skipped, saying
// why, behind sign-in it cannot pass.
func TestRunVerify(t *testing.T) {
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

	for auth, want := range map[authKind]string{authBasic: "OPENDASH_VERIFY_BASIC_AUTH", authOIDC: "OpenID Connect"} {
		res := &Result{BundleDir: b.OutDir, Outputs: Site{URL: s.URL()}}
		log.Reset()
		if err := runVerify(context.Background(), Options{Log: &log, Env: noEnv}, res, auth); err != nil || res.Verify != nil ||
			!strings.Contains(res.VerifySkipped, want) || !strings.Contains(log.String(), "verify skipped") {
			t.Errorf("auth %d: err %v, skipped %q, log %s", auth, err, res.VerifySkipped, log.String())
		}
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
	var ve *VerifyError
	if !errors.As(err, &ve) || ve.Failed == 0 || !strings.Contains(err.Error(), "the site is deployed, but verify failed") {
		t.Errorf("verify of a stale file: %v\n%s", err, log.String())
	}
}
