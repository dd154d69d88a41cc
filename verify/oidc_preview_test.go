package verify

import (
	"context"
	"os/exec"
	"strings"
	"testing"

	"github.com/opendash/opendash/internal/oidctest"
	"github.com/opendash/opendash/preview"
)

// TestPreviewBehindOIDC: the component's own OIDC sign-in function (run by the preview in Node.js, against a
// fake provider) passes every check verify makes with OIDC; without OIDC verify fails it, pointing at --oidc.
func TestPreviewBehindOIDC(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH: the OIDC sign-in function runs on Node.js")
	}
	withFakeDash(t)
	p := oidctest.New(t, "verify-client")
	t.Setenv("NODE_EXTRA_CA_CERTS", p.CAFile)
	dir := bundleWith(t, "testdata/apps/callback", "python3")
	site := servePreviewWith(t, preview.Options{Dir: dir, Python: "python3",
		OIDC: &preview.OIDCOptions{Issuer: p.URL, ClientID: "verify-client", AllowAnyUser: true}})

	rep, err := Run(context.Background(), Options{URL: site, Dir: dir, OIDC: true})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Fatalf("failures:\n%s", describe(rep.Failures()))
	}
	if n := rep.Counts[KindSignIn]; n.Passed != 3 || rep.Counts[KindPage].Passed == 0 || rep.Counts[KindCallback].Passed != 1 {
		t.Errorf("counts %+v: want the sign-in endpoints, the pages and the callback endpoint checked", rep.Counts)
	}

	rep, err = Run(context.Background(), Options{URL: site, Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK || !strings.Contains(describe(rep.Failures()), "--oidc") {
		t.Errorf("without OIDC: ok %v, failures:\n%s", rep.OK, describe(rep.Failures()))
	}
}
