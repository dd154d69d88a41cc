package component

import (
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestVerifyCommand(t *testing.T) {
	abs, err := filepath.Abs(testBundle)
	if err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{testBundle, abs} {
		if got := verifyCommandFor(t, dir); !strings.Contains(got, " --dir "+testBundle+" ") {
			t.Errorf("bundleDir %s: verifyCommand %q, want --dir %s (relative to the program's folder)", dir, got, testBundle)
		}
	}
}

// TestVerifyCommandBehindOIDC: behind OIDC sign-in the command runs the checks that need none.
func TestVerifyCommandBehindOIDC(t *testing.T) {
	if got := verifyCommandWith(t, oidcArgs()); !strings.HasSuffix(got, " --oidc") {
		t.Errorf("verifyCommand %q, want --oidc", got)
	}
}

func verifyCommandFor(t *testing.T, dir string) string {
	got := verifyCommandWith(t, &DashSiteArgs{BundleDir: dir})
	want := "open-dash verify https://" + distDomain + " --dir " + testBundle + " --function-url https://" + urlHostName +
		"/ --bucket-url https://site-assets-b1.s3." + region + ".amazonaws.com"
	if got != want {
		t.Errorf("verifyCommand\n got %q\nwant %q", got, want)
	}
	return got
}

func verifyCommandWith(t *testing.T, args *DashSiteArgs) string {
	var mu sync.Mutex
	got := ""
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		site, err := NewDashSite(ctx, "site", args)
		if err != nil {
			return err
		}
		site.VerifyCommand.ApplyT(func(s string) string {
			mu.Lock()
			defer mu.Unlock()
			got = s
			return s
		})
		return nil
	}, pulumi.WithMocks("project", "stack", &mocks{}))
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	return got
}

func TestShellQuote(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"../.open-dash", "../.open-dash"},
		{"/home/me/app/.open-dash", "/home/me/app/.open-dash"},
		{"my app/.open-dash", "'my app/.open-dash'"},
		{"it's/.open-dash", `'it'\''s/.open-dash'`},
		{"$HOME/x", "'$HOME/x'"},
	} {
		if got := shellQuote(tt.in); got != tt.want {
			t.Errorf("shellQuote(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}
