package verify

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// TestPagesNamingTheSite: a page whose meta tags name the site (manifest.File.SiteOrigin) must be served with
// the site's origin in place of the bundle's placeholder: this URL's origin, or another one (the custom domain
// of a site verified through its CloudFront domain); still naming the placeholder is a failure with the fix.
func TestPagesNamingTheSite(t *testing.T) {
	template := `<meta property="twitter:url" content="` + manifest.OriginPlaceholder + `/analytics">`
	tests := []struct {
		name   string
		served func(site string) string
		ok     bool
		want   string // in the detail (ok) or the problem
	}{
		{"this site's origin", func(site string) string { return site }, true, ""},
		{"a custom domain", func(string) string { return "https://dash.example.com" }, true, "names the site as https://dash.example.com"},
		{"the placeholder left in", func(string) string { return manifest.OriginPlaceholder }, false, "still names the placeholder origin"},
		{"another page", func(string) string { return "" }, false, "content differs from the bundle"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir, m := writeTestBundle(t, testLayout, testDeps)
			file := filepath.Join(dir, "assets", "analytics", "index.html")
			if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, []byte(template), 0o644); err != nil {
				t.Fatal(err)
			}
			for i := range m.Files {
				if m.Files[i].Key == "analytics" {
					sum := sha256.Sum256([]byte(template))
					m.Files[i].SHA256, m.Files[i].Size, m.Files[i].SiteOrigin = hex.EncodeToString(sum[:]), int64(len(template)), true
				}
			}
			data, _ := m.Marshal()
			if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o644); err != nil {
				t.Fatal(err)
			}
			d := newDeployment(m, testLayout, testDeps)
			o := d.serve(t, dir)
			d.bodies["analytics"] = "<p>another page</p>"
			if origin := tt.served(o.URL); origin != "" {
				d.bodies["analytics"] = string(manifest.WithOrigin([]byte(template), origin))
			}
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, c := range rep.Checks {
				if c.Key != "analytics" {
					continue
				}
				found = true
				if c.OK != tt.ok || !strings.Contains(c.Detail+c.Problem, tt.want) {
					t.Errorf("check %+v, want ok=%v with %q", c, tt.ok, tt.want)
				}
			}
			if !found {
				t.Error("no check of /analytics")
			}
		})
	}
}
