package serverimage

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/opendash/opendash/serverimage/imagetest"
)

// fixture is a small server function folder, a wheelhouse for its requirements and a registry holding a
// synthetic Lambda base: everything Build needs, on loopback.
type fixture struct {
	dir   string // the server function folder
	wheel string // the wheelhouse
	cache string // kept dependency layers
	base  imagetest.Base
	host  string // the registry
}

// testPython skips unless python3 with pip is here (the builder runs pip and the compiler in it). It
// returns the interpreter itself (not a version manager's shim, which costs a second a call) and its "3.X".
func testPython(t testing.TB) (string, string) {
	t.Helper()
	pyOnce.Do(func() {
		out, err := exec.Command("python3", "-c", "import sys, pip; print(sys.executable); print('%d.%d' % sys.version_info[:2])").Output()
		if err != nil {
			pyErr = fmt.Sprintf("python3 with pip is needed: the builder runs pip and the bytecode compiler in the bundling Python (%v)", err)
			return
		}
		lines := strings.Fields(string(out))
		pyPath, pyMinor = lines[0], lines[1]
	})
	if pyErr != "" {
		t.Skip(pyErr)
	}
	return pyPath, pyMinor
}

var (
	pyOnce                 sync.Once
	pyPath, pyMinor, pyErr string
)

func newFixture(t testing.TB, host string, files map[string]string) *fixture {
	t.Helper()
	_, minor := testPython(t)
	f := &fixture{dir: filepath.Join(t.TempDir(), "default"), wheel: t.TempDir(), host: host, cache: t.TempDir()}
	if files == nil {
		files = map[string]string{
			"opendash_handler.py": "import app\n\ndef handler(event, context=None):\n    return {'statusCode': 200, 'body': app.answer()}\n",
			"app.py":              "import tinylib\nCHOICES = {'a', 'b', 'c'}\n\ndef answer():\n    return tinylib.NAME\n",
			"requirements.txt":    "# pinned\ntinylib==1.0\n",
			"Dockerfile":          "FROM scratch\n",
			".dockerignore":       "Dockerfile\n",
			"pages/home.py":       "TITLE = 'home'\n",
			"assets/style.css":    "body { color: red }\n",
			"assets/app.js":       "console.log('hi')\n",
		}
	}
	writeFiles(t, f.dir, files)
	imagetest.WriteWheel(t, f.wheel, imagetest.WheelSpec{Name: "tinylib", Version: "1.0",
		Files: map[string]string{"tinylib/__init__.py": "NAME = 'tinylib'\nSEEN = {'x', 'y', 'z'}\n"}})
	f.base = imagetest.PushBase(t, host+"/lambda/python", minor, false)
	return f
}

func writeFiles(t testing.TB, dir string, files map[string]string) {
	t.Helper()
	for name, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func (f *fixture) options(t testing.TB, arch string) BuildOptions {
	py, minor := testPython(t)
	return BuildOptions{Dir: f.dir, Architecture: arch, PythonVersion: minor, BaseImage: f.base.Ref,
		Python: py, Env: imagetest.Wheelhouse(t, f.wheel), CacheDir: f.cache}
}

func mustBuild(t testing.TB, opts BuildOptions) *Image {
	t.Helper()
	img, err := Build(context.Background(), opts)
	if err != nil {
		t.Fatalf("Build: %v", err)
	}
	return img
}

// layerFiles reads a layer's tar: path -> header.
func layerFiles(t testing.TB, l v1.Layer) map[string]*tar.Header {
	t.Helper()
	out := map[string]*tar.Header{}
	forEachEntry(t, l, func(h *tar.Header, _ io.Reader) { out[h.Name] = h })
	return out
}

func forEachEntry(t testing.TB, l v1.Layer, fn func(*tar.Header, io.Reader)) {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		fn(h, tr)
	}
}

// ourLayers returns the image's last len(img.Layers) layers (those the build added).
func ourLayers(t testing.TB, img *Image) []v1.Layer {
	t.Helper()
	ls, err := img.Image.Layers()
	if err != nil {
		t.Fatal(err)
	}
	return ls[len(ls)-len(img.Layers):]
}

type tarHeader = tar.Header
