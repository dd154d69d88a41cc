package verify

import (
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/opendash/opendash/manifest"
)

// The test bundle: a single-page app with one server callback (graph.figure from city.value), a Dash Pages
// deep link, a fingerprinted script, a stylesheet and a Flask route.
var (
	testLayout = `{"type":"Div","namespace":"dash_html_components","props":{"children":[` +
		`{"type":"Dropdown","namespace":"dash_core_components","props":{"id":"city","value":"Lisbon"}},` +
		`{"type":"Graph","namespace":"dash_core_components","props":{"id":"graph"}}]}}`
	testDeps  = `[{"output":"graph.figure","inputs":[{"id":"city","property":"value"}],"state":[],"clientside_function":null}]`
	testFiles = []struct{ key, path, contentType, class, body string }{
		{"index.html", "index.html", "text/html; charset=utf-8", manifest.ClassRevalidate, "<html>index</html>"},
		{"analytics", "analytics/index.html", "text/html; charset=utf-8", manifest.ClassRevalidate, "<html>analytics</html>"},
		{"_dash-layout", "_dash-layout", "application/json", manifest.ClassRevalidate, testLayout},
		{"_dash-dependencies", "_dash-dependencies", "application/json", manifest.ClassRevalidate, testDeps},
		{"_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js", "_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js", "application/javascript; charset=utf-8", manifest.ClassImmutable, strings.Repeat("/* react */", 200)},
		{"assets/style.css", "assets/style.css", "text/css; charset=utf-8", manifest.ClassRevalidate, "body{margin:0}"},
	}
	testBehaviors = []manifest.Behavior{
		{PathPattern: "/_dash-update-component", Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll},
		{PathPattern: "/", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: "/_dash-dependencies", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: "/_dash-layout", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: "/analytics", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: "/index.html", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: "/_dash-component-suites/*", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: "/assets/*", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
		{PathPattern: manifest.DefaultPattern, Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll},
	}
)

// writeTestBundle writes the test bundle's manifest (all verify reads) and returns its folder.
func writeTestBundle(t *testing.T, layout, deps string) (string, *manifest.Manifest) {
	t.Helper()
	m := &manifest.Manifest{
		SchemaVersion: manifest.SchemaVersion,
		BuildID:       "0123456789abcdef",
		App:           manifest.App{RequestsPathnamePrefix: "/", RoutesPathnamePrefix: "/", UsePages: true},
		Origins: manifest.Origins{
			S3: manifest.S3Origin{Dir: "assets"},
			Server: manifest.FunctionOrigin{Dir: "server-functions/default", Handler: "index.handler",
				Dockerfile: "server-functions/default/Dockerfile", Architecture: "x86_64"},
		},
		Behaviors: slices.Clone(testBehaviors),
		ServerRoutes: []manifest.ServerRoute{
			{Path: "/_dash-update-component", Kind: manifest.RouteCallback, Methods: []string{"POST"}},
			{Path: "/api/items/<int:item_id>", Kind: manifest.RouteFlask, Methods: []string{"GET"}},
		},
	}
	for _, f := range testFiles {
		body := f.body
		switch f.key {
		case "_dash-layout":
			body = layout
		case "_dash-dependencies":
			body = deps
		}
		cache := manifest.CacheRevalidate
		if f.class == manifest.ClassImmutable {
			cache = manifest.CacheImmutable
		}
		sum := sha256.Sum256([]byte(body))
		m.Files = append(m.Files, manifest.File{Key: f.key, Path: f.path, ContentType: f.contentType, CacheControl: cache,
			Class: f.class, Size: int64(len(body)), SHA256: hex.EncodeToString(sum[:])})
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Key < m.Files[j].Key })
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), ".open-dash")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), data, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, m
}

// deployment is a fake of the deployed site, built from the bundle: CloudFront routing by behaviors, a private
// bucket holding bodies, a Dash server function; each test case breaks one part of it.
type deployment struct {
	m         *manifest.Manifest
	behaviors []manifest.Behavior
	bodies    map[string]string      // key -> what the bucket holds
	headers   map[string]http.Header // key -> headers that replace the manifest's
	gzip      bool                   // compress every answer when the viewer accepts gzip
	server    http.HandlerFunc       // the server origin (through the signer)
	function  http.HandlerFunc       // the function URL, called directly
	bucket    http.HandlerFunc       // the bucket's own URL
	plainHTTP http.HandlerFunc       // http:// on the site's host
}

func newDeployment(m *manifest.Manifest, layout, deps string) *deployment {
	d := &deployment{m: m, behaviors: slices.Clone(m.Behaviors), bodies: map[string]string{}, headers: map[string]http.Header{}}
	for _, f := range testFiles {
		d.bodies[f.key] = f.body
	}
	d.bodies["_dash-layout"], d.bodies["_dash-dependencies"] = layout, deps
	d.server = fakeDash(d.bodies["index.html"])
	d.function = forbidden
	d.bucket = func(w http.ResponseWriter, _ *http.Request) { accessDenied(w) }
	d.plainHTTP = func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "https://"+r.Host+r.URL.RequestURI(), http.StatusMovedPermanently)
	}
	return d
}

// fakeDash answers as Dash's server does: the index page for any GET, JSON for a known callback, an HTML 500
// for an unknown one.
func fakeDash(index string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "_dash-update-component") {
			var body callbackRequest
			if err := json.NewDecoder(r.Body).Decode(&body); err != nil || body.Output != "graph.figure" ||
				len(body.Inputs) != 1 || body.Inputs[0].Value != "Lisbon" {
				w.Header().Set("Content-Type", "text/html; charset=utf-8")
				w.WriteHeader(http.StatusInternalServerError)
				fmt.Fprint(w, "<title>500 Internal Server Error</title>")
				return
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"multi":true,"response":{"graph":{"figure":{"data":[]}}}}`)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprint(w, index)
	}
}

func forbidden(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprint(w, `{"Message":"Forbidden"}`)
}

func accessDenied(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`)
}

// ServeHTTP is CloudFront: the root object, the first matching behavior, its methods, then the origin.
func (d *deployment) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if d.gzip && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		z := gzip.NewWriter(w)
		defer z.Close()
		w = gzipWriter{ResponseWriter: w, z: z}
	}
	path := r.URL.Path
	if path == "/" {
		path = "/index.html"
	}
	b := manifest.Behavior{Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll}
	for _, candidate := range d.behaviors {
		if manifest.Match(candidate.PathPattern, path) {
			b = candidate
			break
		}
	}
	switch {
	case !slices.Contains(b.AllowedMethods, r.Method):
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusForbidden)
		fmt.Fprint(w, "<H1>403 ERROR</H1>")
	case b.Origin == manifest.OriginS3:
		key := strings.TrimPrefix(path, "/")
		body, ok := d.bodies[key]
		f, listed := d.m.FileForKey(key)
		if !ok || !listed {
			accessDenied(w)
			return
		}
		w.Header().Set("Content-Type", f.ContentType)
		w.Header().Set("Cache-Control", f.CacheControl)
		for k, v := range d.headers[key] {
			w.Header()[k] = v
		}
		fmt.Fprint(w, body)
	default:
		d.server(w, r)
	}
}

type gzipWriter struct {
	http.ResponseWriter
	z *gzip.Writer
}

func (g gzipWriter) Write(p []byte) (int, error) { return g.z.Write(p) }

// serve starts the fake: the site over TLS (so the http redirect is checked), and the function URL, the
// bucket and plain http each on their own server. It returns the Options that point verify at them.
func (d *deployment) serve(t *testing.T, dir string) Options {
	t.Helper()
	return d.serveWith(t, dir, d)
}

// serveWith is serve with the site answered by front (which may hand requests on to d).
func (d *deployment) serveWith(t *testing.T, dir string, front http.Handler) Options {
	t.Helper()
	site := httptest.NewUnstartedServer(front)
	site.Config.ErrorLog = log.New(io.Discard, "", 0) // handshakes cut short when the test ends
	site.StartTLS()
	t.Cleanup(site.Close)
	fn := httptest.NewServer(d.function)
	t.Cleanup(fn.Close)
	bucket := httptest.NewServer(d.bucket)
	t.Cleanup(bucket.Close)
	plain := httptest.NewServer(d.plainHTTP)
	t.Cleanup(plain.Close)
	return Options{URL: site.URL, Dir: dir, FunctionURL: fn.URL + "/", BucketURL: bucket.URL, Client: site.Client(),
		httpURL: plain.URL + "/"}
}

// syncLog is a log written by the preview's goroutines and read by the test.
type syncLog struct {
	mu  sync.Mutex
	buf strings.Builder
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
