package component

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/component/sitearchive"
	"github.com/opendash/opendash/manifest"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// TestMain keeps the site archives the deploys write out of testdata: one folder per bundle, so
// bundles deployed one after another do not prune each other's archive.
func TestMain(m *testing.M) {
	root, err := os.MkdirTemp("", "opendash-component-test-")
	if err != nil {
		panic(err)
	}
	archiveDir = func(b *siteBundle) string { return filepath.Join(root, url.PathEscape(b.dir)) }
	code := m.Run()
	os.RemoveAll(root)
	os.Exit(code)
}

func TestSyncFollowsManifest(t *testing.T) {
	d := deployed(t)
	m := testManifest(t)
	digest := sitearchive.Digest(m)

	obj := d.one(t, "aws:s3/bucketObjectv2:BucketObjectv2", "site-static-archive")
	if obj.str("bucket") != "site-deploy-b1" || obj.str("key") != "static-"+digest+".zip" ||
		obj.str("contentType") != "application/zip" {
		t.Errorf("archive object = %v", obj.inputs)
	}
	src := obj.inputs["source"]
	if !src.IsAsset() {
		t.Fatalf("archive source = %v, want a file asset", src)
	}
	index := readIndex(t, src.AssetValue().Path)
	if index.Digest != digest || len(index.Files) != len(m.Files) {
		t.Fatalf("archive index = %+v", index)
	}
	for i, f := range m.Files {
		e := index.Files[i]
		if e.Key != f.Key || e.ContentType != f.ContentType || e.CacheControl != f.CacheControl ||
			e.Class != f.Class || e.SHA256 != f.SHA256 {
			t.Errorf("archive entry %+v does not follow the manifest's %+v", e, f)
		}
	}

	sync := d.one(t, "aws:lambda/invocation:Invocation", "site-sync")
	if sync.str("lifecycleScope") != "" || sync.str("functionName") != "site-sync-f1" {
		t.Errorf("sync invocation = %v, want the default (create-only) lifecycle on site-sync-f1", sync.inputs)
	}
	// A changed site replaces the invocation: each run is a create, which Pulumi records only once it succeeded.
	if !reflect.DeepEqual(sync.replaceOnChanges, []string{"input"}) {
		t.Errorf("sync replaceOnChanges = %v, want [input]", sync.replaceOnChanges)
	}
	var in syncInput
	if err := json.Unmarshal([]byte(sync.str("input")), &in); err != nil {
		t.Fatalf("sync input %q: %v", sync.str("input"), err)
	}
	want := syncInput{Bucket: "site-assets-b1", ArchiveBucket: "site-deploy-b1", ArchiveKey: "static-" + digest + ".zip",
		Digest: digest, GraceSeconds: int64(StaleGrace / time.Second), DistributionID: distID}
	if in != want {
		t.Errorf("sync input = %+v, want %+v", in, want)
	}
	dependsOn(t, sync, "site-static-archive", "site-sync-policy", "site-cdn")
	for _, c := range d.children {
		if strings.Contains(c.name, "invalidat") {
			t.Errorf("%s %s: the sync invalidates, nothing else", c.typ, c.name)
		}
	}

	fn := d.one(t, "aws:lambda/function:Function", "site-sync")
	if fn.str("handler") != syncHandler || fn.str("runtime") != syncRuntime || fn.inputs["timeout"].NumberValue() != syncTimeout ||
		fn.inputs["memorySize"].NumberValue() != syncMemory {
		t.Errorf("sync function = %v", fn.inputs)
	}
	for _, file := range []string{"sync.py", "invalidate.py"} {
		if _, ok := fn.inputs["code"].ArchiveValue().Assets[file]; !ok {
			t.Errorf("sync function's code lacks %s", file)
		}
	}
	pab := d.one(t, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "site-deploy-public-access").inputs.Mappable()
	if pab["bucket"] != "site-deploy-b1" || pab["restrictPublicBuckets"] != true || pab["blockPublicPolicy"] != true {
		t.Errorf("deploy bucket public access block = %v", pab)
	}
}

func TestSyncPolicy(t *testing.T) {
	d := deployed(t)
	doc := parsePolicy(t, d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-sync-policy").str("policy"))
	got := map[string]string{}
	for _, st := range doc.Statement {
		if st.Effect != "Allow" || st.Condition != nil {
			t.Errorf("statement %+v", st)
		}
		got[st.Resource] += jsonOf(st.Action)
	}
	want := map[string]string{
		"arn:aws:s3:::site-assets-b1":                                `"s3:ListBucket"`,
		"arn:aws:s3:::site-assets-b1/*":                              `["s3:PutObject","s3:DeleteObject"]`,
		"arn:aws:s3:::site-deploy-b1":                                `"s3:ListBucket"`,
		"arn:aws:s3:::site-deploy-b1/*":                              `"s3:GetObject"`,
		"arn:aws:s3:::site-deploy-b1/state/*":                        `"s3:PutObject"`,
		"arn:aws:s3:::site-deploy-b1/lock/*":                         `["s3:PutObject","s3:DeleteObject"]`,
		"arn:aws:cloudfront::" + account + ":distribution/" + distID: `"cloudfront:CreateInvalidation"`,
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("sync policy grants %v\nwant %v", got, want)
	}
}

// TestSyncPython runs functions/sync_test.py: the sync function against moto's S3, including an archive
// written here by sitearchive from the test bundle (the Go writer and the Python reader must agree).
func TestSyncPython(t *testing.T) {
	python, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: cannot run functions/sync_test.py (install Python 3 with boto3 and moto)")
	}
	if out, err := exec.Command(python, "-c", "import boto3, moto").CombinedOutput(); err != nil {
		t.Skipf("boto3 or moto is not importable by %s (pip install boto3 moto to run sync_test.py): %v\n%s", python, err, out)
	}
	a, err := sitearchive.Write(testBundle, testManifest(t), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	site, _ := filepath.Abs(filepath.Join(testBundle, "assets"))
	cmd := exec.Command(python, "functions/sync_test.py", "-v")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "OPENDASH_SYNC_ARCHIVE="+a.Path, "OPENDASH_SYNC_SITE="+site)
	out, err := cmd.CombinedOutput()
	t.Logf("%s", out)
	if err != nil {
		t.Fatalf("sync_test.py failed: %v", err)
	}
	if strings.Contains(string(out), "no Go-built archive given") {
		t.Errorf("sync_test.py did not sync the Go-written archive")
	}
}

// The point of the sync: what Pulumi manages does not grow with the site.
func TestResourceCountIndependentOfFileCount(t *testing.T) {
	var counts []int
	for _, n := range []int{0, 1, 60} {
		d := deploy(t, &DashSiteArgs{BundleDir: bundleWithExtraFiles(t, n)})
		if d.err != nil {
			t.Fatalf("%d extra files: %v", n, d.err)
		}
		counts = append(counts, len(d.children))
	}
	if counts[0] != counts[1] || counts[1] != counts[2] {
		t.Errorf("resources for 0, 1 and 60 extra files: %v, want the same count", counts)
	}
}

// TestSyncInputDoesNotGrowWithTheSite: the invocation's input names the archive, whose index is the digest
// list, so its size (kept in Pulumi's state, and under Lambda's 6 MB request limit) does not follow the site.
func TestSyncInputDoesNotGrowWithTheSite(t *testing.T) {
	var sizes []int
	for _, n := range []int{0, 400} {
		d := deploy(t, &DashSiteArgs{BundleDir: bundleWithExtraFiles(t, n)})
		if d.err != nil {
			t.Fatalf("%d extra files: %v", n, d.err)
		}
		sizes = append(sizes, len(d.one(t, "aws:lambda/invocation:Invocation", "site-sync").str("input")))
	}
	if sizes[0] != sizes[1] {
		t.Errorf("sync input is %d bytes for the test site, %d with 400 more files: want the same", sizes[0], sizes[1])
	}
}

func TestSiteLimits(t *testing.T) {
	tests := []struct {
		name  string
		files int
		bytes int64
		want  string
	}{
		{"within both", MaxSiteFiles, MaxSiteBytes, ""},
		{"too many files", MaxSiteFiles + 1, 1, "30001 files"},
		{"too many bytes", 10, MaxSiteBytes + 1, "1073741825 bytes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := &manifest.Manifest{Files: make([]manifest.File, tt.files)}
			m.Files[0].Size = tt.bytes
			err := checkSiteLimits("site", &siteBundle{dir: "app/.open-dash", manifest: m})
			if tt.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			for _, part := range []string{`DashSite "site"`, "app/.open-dash", tt.want, "at most 30000 files",
				"cannot continue or poll", "across several calls"} {
				if err == nil || !strings.Contains(err.Error(), part) {
					t.Errorf("error %v lacks %q", err, part)
				}
			}
		})
	}
	// Refused before anything is registered.
	dir := copyBundle(t, func(m *manifest.Manifest) { m.Files[0].Size = MaxSiteBytes + 1 })
	if d := deploy(t, &DashSiteArgs{BundleDir: dir}); d.err == nil || len(d.ofType("aws:s3/bucketV2:BucketV2")) != 0 {
		t.Errorf("deploy of an oversized site: err %v, %d buckets", d.err, len(d.ofType("aws:s3/bucketV2:BucketV2")))
	}
}

func TestArchiveErrorsNameTheBundle(t *testing.T) {
	dir := copyBundle(t, nil)
	if err := os.WriteFile(filepath.Join(dir, "assets", "index.html"), []byte("edited after bundling"), 0o644); err != nil {
		t.Fatal(err)
	}
	d := deploy(t, &DashSiteArgs{BundleDir: dir})
	if d.err == nil || !strings.Contains(d.err.Error(), `DashSite "site"`) || !strings.Contains(d.err.Error(), "index.html") ||
		!strings.Contains(d.err.Error(), "re-run `open-dash bundle`") {
		t.Errorf("error = %v, want one naming the component, the file and the fix", d.err)
	}
}

// BenchmarkDeployFiles reports the resources and the RunWithMocks time of a deploy with N extra static
// files (issue 19: one resource per file made `pulumi up` quadratic in N).
func BenchmarkDeployFiles(b *testing.B) {
	for _, n := range []int{0, 100, 1000} {
		b.Run(fmt.Sprintf("files=%d", n), func(b *testing.B) {
			dir := bundleWithExtraFiles(b, n)
			var resources int
			for b.Loop() {
				m := &mocks{}
				err := pulumi.RunErr(func(ctx *pulumi.Context) error {
					_, err := NewDashSite(ctx, "site", &DashSiteArgs{BundleDir: dir})
					return err
				}, pulumi.WithMocks("project", "stack", m))
				if err != nil {
					b.Fatal(err)
				}
				resources = len(m.children)
			}
			b.ReportMetric(float64(resources), "resources")
		})
	}
}

// bundleWithExtraFiles copies the test bundle and adds n revalidate-class assets to it and its manifest.
func bundleWithExtraFiles(tb testing.TB, n int) string {
	tb.Helper()
	dst := filepath.Join(tb.TempDir(), ".open-dash")
	if err := os.CopyFS(dst, os.DirFS(testBundle)); err != nil {
		tb.Fatal(err)
	}
	m, err := manifest.Read(dst)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range n {
		key := fmt.Sprintf("assets/extra/file%04d.css", i)
		data := []byte(fmt.Sprintf(".c%d{color:red}\n", i))
		p := filepath.Join(dst, m.Origins.S3.Dir, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			tb.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			tb.Fatal(err)
		}
		sum := sha256.Sum256(data)
		m.Files = append(m.Files, manifest.File{Key: key, Path: key, ContentType: "text/css; charset=utf-8",
			CacheControl: manifest.CacheRevalidate, Class: manifest.ClassRevalidate, Size: int64(len(data)),
			SHA256: hex.EncodeToString(sum[:])})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Key < m.Files[j].Key })
	data, err := m.Marshal()
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, manifest.FileName), data, 0o644); err != nil {
		tb.Fatal(err)
	}
	return dst
}

func readIndex(t *testing.T, path string) sitearchive.Index {
	t.Helper()
	zr, err := zip.OpenReader(path)
	if err != nil {
		t.Fatalf("the archive object's source: %v", err)
	}
	defer zr.Close()
	rc, err := zr.Open(sitearchive.IndexEntry)
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	data, _ := io.ReadAll(rc)
	var idx sitearchive.Index
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatal(err)
	}
	return idx
}

// dependsOn checks that c waits for the named resources.
func dependsOn(t *testing.T, c child, names ...string) {
	t.Helper()
	for _, n := range names {
		found := false
		for _, urn := range c.dependencies {
			if strings.HasSuffix(urn, "::"+n) {
				found = true
			}
		}
		if !found {
			t.Errorf("%s does not depend on %s (depends on %v)", c.name, n, c.dependencies)
		}
	}
}
