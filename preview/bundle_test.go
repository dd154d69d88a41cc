package preview

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
)

// testFile is one static file of the test bundle.
type testFile struct {
	key, path, contentType, class, body string
}

var testFiles = []testFile{
	{"index.html", "index.html", "text/html; charset=utf-8", manifest.ClassRevalidate, "<html>root</html>"},
	{"page-1", "page-1/index.html", "text/html; charset=utf-8", manifest.ClassRevalidate, "<html>page 1</html>"},
	{"_dash-layout", "_dash-layout", "application/json", manifest.ClassRevalidate, `{"props":{}}`},
	{"_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js", "_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js", "application/javascript", manifest.ClassImmutable, "/* react */"},
	{"assets/style.css", "assets/style.css", "text/css; charset=utf-8", manifest.ClassRevalidate, "body{margin:0}"},
}

// testBehaviors mirror what the bundler emits: server routes first, exact static keys, folders, then "*".
var testBehaviors = []manifest.Behavior{
	{PathPattern: "/_dash-update-component", Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll},
	{PathPattern: "/_dash-layout", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
	{PathPattern: "/index.html", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
	{PathPattern: "/page-1", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
	{PathPattern: "/_dash-component-suites/*", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
	{PathPattern: "/assets/*", Origin: manifest.OriginS3, AllowedMethods: manifest.MethodsRead},
	{PathPattern: manifest.DefaultPattern, Origin: manifest.OriginServer, AllowedMethods: manifest.MethodsAll},
}

// writeBundle writes a complete .open-dash folder into a temp dir: manifest, static files, and index.py
// (the handler source given, usually testdata/echo_index.py).
func writeBundle(t *testing.T, handlerSource []byte) (string, *manifest.Manifest) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), ".open-dash")
	m := &manifest.Manifest{
		SchemaVersion: manifest.SchemaVersion,
		BuildID:       "test",
		Origins: manifest.Origins{
			S3: manifest.S3Origin{Dir: "assets"},
			Server: manifest.FunctionOrigin{Dir: "server-functions/default", Handler: "index.handler",
				Dockerfile: "server-functions/default/Dockerfile", Architecture: "x86_64"},
		},
		Behaviors: testBehaviors,
	}
	for _, f := range testFiles {
		cache := manifest.CacheRevalidate
		if f.class == manifest.ClassImmutable {
			cache = manifest.CacheImmutable
		}
		sum := sha256.Sum256([]byte(f.body))
		m.Files = append(m.Files, manifest.File{Key: f.key, Path: f.path, ContentType: f.contentType,
			CacheControl: cache, Class: f.class, Size: int64(len(f.body)), SHA256: hex.EncodeToString(sum[:])})
		writeFile(t, filepath.Join(dir, "assets", filepath.FromSlash(f.path)), []byte(f.body))
	}
	sort.Slice(m.Files, func(i, j int) bool { return m.Files[i].Key < m.Files[j].Key })
	data, err := m.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, manifest.FileName), data)
	writeFile(t, filepath.Join(dir, "server-functions", "default", "index.py"), handlerSource)
	return dir, m
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func fileBody(key string) string {
	for _, f := range testFiles {
		if f.key == key {
			return f.body
		}
	}
	panic("no test file " + key)
}

// syncBuffer is a log the preview writes from several goroutines while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// eventually polls cond until it holds or the time is up; the log is written asynchronously.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func removeFile(dir, rel string) error {
	return os.Remove(filepath.Join(dir, filepath.FromSlash(rel)))
}
