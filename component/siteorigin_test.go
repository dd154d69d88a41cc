package component

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/opendash/opendash/component/sitearchive"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// originPage is a Dash Pages deep link as the bundler renders it: its meta tags name the placeholder origin.
var originPage = []byte(`<html><head><meta property="twitter:url" content="` + manifest.OriginPlaceholder + `/reports">` +
	`<meta property="og:image" content="` + manifest.OriginPlaceholder + `/assets/chart.png"></head></html>`)

// markedBundle is the test bundle plus that page, marked in its manifest (File.SiteOrigin).
func markedBundle(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "bundle")
	if err := os.CopyFS(dir, os.DirFS(testBundle)); err != nil {
		t.Fatal(err)
	}
	m := testManifest(t)
	if err := os.MkdirAll(filepath.Join(dir, "assets", "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "assets", "reports", "index.html"), originPage, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(originPage)
	m.Files = append(m.Files, manifest.File{Key: "reports", Path: "reports/index.html", ContentType: "text/html; charset=utf-8",
		CacheControl: manifest.CacheRevalidate, Class: manifest.ClassRevalidate, Size: int64(len(originPage)),
		SHA256: hex.EncodeToString(sum[:]), SiteOrigin: true})
	slices.SortFunc(m.Files, func(a, b manifest.File) int { return strings.Compare(a.Key, b.Key) })
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestSiteOriginAtDeploy: pages that name the site get its origin at deploy time, from the sync's input:
// the custom domain, else the distribution's domain. A bundle with no such page syncs as before.
func TestSiteOriginAtDeploy(t *testing.T) {
	tests := []struct {
		name   string
		args   func(dir string) *DashSiteArgs
		origin string
	}{
		{"CloudFront's domain", func(dir string) *DashSiteArgs { return &DashSiteArgs{BundleDir: dir} },
			"https://" + distDomain},
		{"a custom domain", func(dir string) *DashSiteArgs {
			return &DashSiteArgs{BundleDir: dir, DomainName: "dash.example.com", HostedZoneId: pulumi.String("Z123")}
		}, "https://dash.example.com"},
		{"no page names the site", func(string) *DashSiteArgs { return &DashSiteArgs{BundleDir: testBundle} }, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := testBundle
			if tt.origin != "" {
				dir = markedBundle(t)
			}
			d := deploy(t, tt.args(dir))
			if d.err != nil {
				t.Fatal(d.err)
			}
			var in syncInput
			if err := json.Unmarshal([]byte(d.one(t, "aws:lambda/invocation:Invocation", "site-sync").str("input")), &in); err != nil {
				t.Fatal(err)
			}
			if in.SiteOrigin != tt.origin {
				t.Errorf("sync input siteOrigin = %q, want %q", in.SiteOrigin, tt.origin)
			}
		})
	}
}

// TestSyncSiteOriginPython runs functions/sync_origin_test.py against moto's S3, with an archive sitearchive
// wrote from a bundle with a marked page and the bytes manifest.WithOrigin makes of it: the sync must upload
// exactly those.
func TestSyncSiteOriginPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run functions/sync_origin_test.py (install Python 3 with boto3 and moto)")
	}
	if out, err := exec.Command(python, "-c", "import boto3, moto").CombinedOutput(); err != nil {
		t.Skipf("boto3 or moto is not importable by %s (pip install boto3 moto): %v\n%s", python, err, out)
	}
	dir := markedBundle(t)
	m, err := manifest.Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, err := sitearchive.Write(dir, m, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	const origin = "https://dash.example.com"
	want := filepath.Join(t.TempDir(), "want.html")
	if err := os.WriteFile(want, manifest.WithOrigin(originPage, origin), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(python, "functions/sync_origin_test.py", "-v")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "OPENDASH_ORIGIN_ARCHIVE="+a.Path,
		"OPENDASH_ORIGIN_WANT="+want, "OPENDASH_ORIGIN="+origin)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("sync_origin_test.py failed: %v", err)
	}
	if strings.Contains(string(out), "no Go-built archive given") || !strings.Contains(string(out), "Ran 4 tests") {
		t.Errorf("sync_origin_test.py did not run all its tests with the Go-written archive")
	}
}
