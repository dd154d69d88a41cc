package serverimage_test

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/serverimage/imagetest"
)

// BenchmarkImageBuild (make bench-image) measures the native builder on examples/single-page (stand-in
// Dash) plus a dependency of OPENDASH_BENCH_MODULES modules (default 3000, about plotly's count of
// validator modules), with pip reading a simple index over HTTP on loopback:
//
//	cold-s       a build with pip's cache empty (download, install, compile)
//	pip-cache-s  a build with pip's cache filled by an earlier build
//	kept-deps-s  a build after a code edit, reusing the dependencies layer of an earlier build
//	full-B       bytes sent pushing the whole image to an empty repository
//	asset-edit-B bytes sent pushing the image again after one asset edit
//
// It uses Debian's docker-registry when installed, else go-containerregistry's in-process registry.
func BenchmarkImageBuild(b *testing.B) {
	if _, err := exec.Command("python3", "-c", "import pip, flask").Output(); err != nil {
		b.Skipf("python3 with pip and Flask is needed: %v", err)
	}
	registry := imagetest.InProcess(b, nil)
	if _, err := exec.LookPath("docker-registry"); err == nil {
		registry = imagetest.Real(b)
	}
	e := setupOn(b, registry)
	modules := 3000
	if v, err := strconv.Atoi(os.Getenv("OPENDASH_BENCH_MODULES")); err == nil {
		modules = v
	}
	files := map[string]string{"bulk/__init__.py": ""}
	for i := range modules {
		files[fmt.Sprintf("bulk/validators/v%04d.py", i)] = fmt.Sprintf(
			"class Validator%d:\n    def __init__(self, name='v%d', parent='figure', **kw):\n"+
				"        self.name, self.parent, self.values = name, parent, {'a', 'b', %d}\n\n"+
				"    def validate(self, v):\n        return v in self.values\n", i, i, i)
	}
	imagetest.WriteWheel(b, e.wheels, imagetest.WheelSpec{Name: "bulk", Version: "1.0", Files: files})
	index := imagetest.ServeIndex(b, e.wheels)

	bundle := bundleExample(b, e, "single-page", "")
	m, err := manifest.Read(bundle)
	if err != nil {
		b.Fatal(err)
	}
	serverDir := filepath.Join(bundle, m.Origins.Server.Dir)
	reqs := filepath.Join(serverDir, "requirements.txt")
	data, _ := os.ReadFile(reqs)
	os.WriteFile(reqs, append(data, []byte("bulk==1.0\n")...), 0o644)

	kept := b.TempDir()
	build := func(b *testing.B, pipCache string, fresh bool) *serverimage.Image {
		env := []string{}
		for _, kv := range os.Environ() {
			if !strings.HasPrefix(kv, "PIP_") && !strings.HasPrefix(kv, "PYTHONPATH=") {
				env = append(env, kv)
			}
		}
		img, err := serverimage.Build(context.Background(), serverimage.BuildOptions{
			Dir: serverDir, PythonVersion: m.Origins.Server.PythonVersion, BaseImage: e.base.Ref, Python: e.py,
			Env: append(env, "PIP_INDEX_URL="+index, "PIP_CACHE_DIR="+pipCache), Log: benchLog(),
			CacheDir: kept, NoCache: fresh,
		})
		if err != nil {
			b.Fatal(err)
		}
		return img
	}

	b.Run("cold", func(b *testing.B) {
		var total time.Duration
		for b.Loop() {
			cache := b.TempDir()
			start := time.Now()
			build(b, cache, true)
			total += time.Since(start)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "cold-s")
	})
	b.Run("pip-cache", func(b *testing.B) {
		cache := b.TempDir()
		build(b, cache, true)
		var total time.Duration
		for b.Loop() {
			start := time.Now()
			build(b, cache, true)
			total += time.Since(start)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "pip-cache-s")
	})
	b.Run("code-edit", func(b *testing.B) {
		cache := b.TempDir()
		app := filepath.Join(serverDir, "app.py")
		original, _ := os.ReadFile(app)
		defer os.WriteFile(app, original, 0o644)
		build(b, cache, false)
		var total time.Duration
		for i := 0; b.Loop(); i++ {
			os.WriteFile(app, append(append([]byte(nil), original...), fmt.Sprintf("\n# edit %d\n", i)...), 0o644)
			start := time.Now()
			build(b, cache, false)
			total += time.Since(start)
		}
		b.ReportMetric(total.Seconds()/float64(b.N), "kept-deps-s")
	})
	b.Run("push", func(b *testing.B) {
		cache := b.TempDir()
		css := filepath.Join(serverDir, "assets", "style.css")
		original, _ := os.ReadFile(css)
		var full, edit int64
		for i := 0; b.Loop(); i++ {
			os.WriteFile(css, original, 0o644)
			repo := fmt.Sprintf("bench-%d", i)
			p := e.push(b, build(b, cache, false), repo, "full")
			full += p.BytesPushed
			os.WriteFile(css, append(append([]byte(nil), original...), fmt.Sprintf("\n/* edit %d */\n", i)...), 0o644)
			p = e.push(b, build(b, cache, false), repo, "edit")
			edit += p.BytesPushed
		}
		b.ReportMetric(float64(full)/float64(b.N), "full-B")
		b.ReportMetric(float64(edit)/float64(b.N), "asset-edit-B")
	})
}

// benchLog shows each build's steps with OPENDASH_BENCH_VERBOSE=1.
func benchLog() io.Writer {
	if os.Getenv("OPENDASH_BENCH_VERBOSE") != "" {
		return os.Stderr
	}
	return nil
}
