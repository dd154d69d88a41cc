package bundler

import (
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
	"github.com/opendash/opendash/verify"
)

// TestPagesNameTheSiteWhereServed: a page whose meta tags name the site is rendered against the placeholder
// origin and marked in the manifest; the preview serves it naming its own origin, and verify against the
// preview expects exactly that. With --public-url the page names that URL and needs no mark.
func TestPagesNameTheSiteWhereServed(t *testing.T) {
	fakeDash(t)
	res, err := bundle(t, fixture(t, "meta"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	index, ok := res.Manifest.FileForKey("index.html")
	if !ok || !index.SiteOrigin {
		t.Fatalf("index.html %+v is not marked as naming the site", index)
	}
	data, err := os.ReadFile(filepath.Join(res.OutDir, AssetsDir, "index.html"))
	if err != nil || !strings.Contains(string(data), `content="`+manifest.OriginPlaceholder+`/assets/logo.svg"`) {
		t.Fatalf("the bundled page does not name the placeholder origin (%v):\n%s", err, data)
	}
	for _, f := range res.Manifest.Files {
		if f.SiteOrigin && f.Key != "index.html" {
			t.Errorf("%s is marked, but names no origin", f.Key)
		}
	}

	srv, err := preview.Start(context.Background(), preview.Options{Dir: res.OutDir, Addr: "127.0.0.1:0", Python: "python3"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	resp, err := http.Get(srv.URL() + "/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if want := `content="` + srv.URL() + `/assets/logo.svg"`; !strings.Contains(string(body), want) ||
		strings.Contains(string(body), manifest.PlaceholderHost) {
		t.Errorf("the preview's page lacks %s:\n%s", want, body)
	}
	rep, err := verify.Run(context.Background(), verify.Options{URL: srv.URL(), Dir: res.OutDir})
	if err != nil {
		t.Fatal(err)
	}
	if !rep.OK {
		t.Errorf("verify against the preview: %+v", rep.Failures())
	}

	res, err = bundle(t, fixture(t, "meta"), Options{PublicURL: "https://dash.example.com"})
	if err != nil {
		t.Fatal(err)
	}
	if index, _ := res.Manifest.FileForKey("index.html"); index.SiteOrigin {
		t.Error("with --public-url the page names that URL: nothing to fill in")
	}
	if data, _ := os.ReadFile(filepath.Join(res.OutDir, AssetsDir, "index.html")); !strings.Contains(string(data), `content="https://dash.example.com/assets/logo.svg"`) {
		t.Errorf("--public-url is not in the page:\n%s", data)
	}
}
