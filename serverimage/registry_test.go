package serverimage_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/serverimage/imagetest"
)

// The examples' images against a real registry (Debian's docker-registry on loopback), built on a synthetic
// base of the Lambda Python base image's shape, pulled back and checked: the configuration, every file at
// its path, the same digest for touched files on another day, an asset edit that changes one layer, an
// arm64 image built on this machine, and the handler, run from the image's extracted layers alone, answering
// pages and a callback (open-dash verify against open-dash preview of the extracted image).

type env struct {
	py, minor string
	registry  string
	base      imagetest.Base
	wheels    string
	cache     string // kept dependency layers
}

func setup(t testing.TB) *env {
	t.Helper()
	return setupOn(t, imagetest.Real(t)) // skips without docker-registry
}

func setupOn(t testing.TB, registry string) *env {
	t.Helper()
	out, err := exec.Command("python3", "-c", "import sys, pip, flask; print(sys.executable); print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Skipf("python3 with pip and Flask is needed (the builder runs pip; the stand-in Dash runs on Flask): %v", err)
	}
	lines := strings.Fields(string(out))
	e := &env{py: lines[0], minor: lines[1], registry: registry, wheels: t.TempDir(), cache: t.TempDir()}
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	imagetest.FakeDashWheels(t, e.wheels, fake, e.py)
	abi := "cp" + strings.ReplaceAll(e.minor, ".", "")
	for _, cpu := range []string{"x86_64", "aarch64"} {
		imagetest.WriteWheel(t, e.wheels, imagetest.WheelSpec{Name: "nativelib", Version: "2.0",
			Tag:   abi + "-" + abi + "-manylinux_2_17_" + cpu + ".manylinux2014_" + cpu,
			Files: map[string]string{"nativelib/__init__.py": "CPU = '" + cpu + "'\n"}})
	}
	e.base = imagetest.PushBase(t, registry+"/lambda/python", e.minor, false)
	return e
}

// bundleExample bundles examples/<name> with the stand-in Dash into a fresh folder.
func bundleExample(t testing.TB, e *env, example, app string) string {
	t.Helper()
	src := filepath.Join(t.TempDir(), example)
	if err := os.CopyFS(src, os.DirFS(filepath.Join("..", "examples", example))); err != nil {
		t.Fatal(err)
	}
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	t.Setenv("PYTHONPATH", fake)
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir())
	res, err := bundler.Bundle(context.Background(), bundler.Options{SourceDir: src, App: app, Python: e.py, SkipInstall: true})
	os.Unsetenv("PYTHONPATH") // the image's Dash is the wheel's, never the stand-in on the path
	if err != nil {
		t.Fatalf("bundling %s: %v", example, err)
	}
	return res.OutDir
}

// build builds the bundle's image; fresh runs pip and the compiler again (the kept dependencies layer
// is not used).
func (e *env) build(t testing.TB, bundle, arch string, fresh bool, extraEnv ...string) *serverimage.Image {
	t.Helper()
	m, err := manifest.Read(bundle)
	if err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	img, err := serverimage.Build(context.Background(), serverimage.BuildOptions{
		Dir: filepath.Join(bundle, m.Origins.Server.Dir), Architecture: arch, PythonVersion: m.Origins.Server.PythonVersion,
		BaseImage: e.base.Ref, Python: e.py, Log: &log, Env: append(imagetest.Wheelhouse(t, e.wheels), extraEnv...),
		CacheDir: e.cache, NoCache: fresh,
	})
	if err != nil {
		t.Fatalf("build: %v\n%s", err, log.String())
	}
	return img
}

func (e *env) push(t testing.TB, img *serverimage.Image, repo, tag string) *serverimage.Pushed {
	t.Helper()
	p, err := serverimage.Push(context.Background(), img, serverimage.PushOptions{Repository: e.registry + "/" + repo, Tag: tag})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestExampleImagesOnRealRegistry(t *testing.T) {
	e := setup(t)
	for _, c := range []struct{ example, app, basicAuth string }{
		{"single-page", "", ""}, {"classic", "index:app", ""}, {"protected", "", "admin:s3cret"}, // the app's own demo password
	} {
		t.Run(c.example, func(t *testing.T) {
			bundle := bundleExample(t, e, c.example, c.app)
			img := e.build(t, bundle, "x86_64", false)
			pushed := e.push(t, img, c.example, "build-1")
			pulled := pull(t, pushed.Reference)
			checkConfig(t, pulled, "amd64")
			root := extract(t, pulled)
			checkFiles(t, root, filepath.Join(bundle, "server-functions", "default"), e.minor)
			checkImportsWriteNothing(t, e, root)
			checkServes(t, e, bundle, root, c.basicAuth)
		})
	}
}

func TestImageRebuildsOnRealRegistry(t *testing.T) {
	e := setup(t)
	bundle := bundleExample(t, e, "single-page", "")
	serverDir := filepath.Join(bundle, "server-functions", "default")
	first := e.build(t, bundle, "x86_64", false)
	full := e.push(t, first, "site", "build-1")

	t.Run("touched files, another day and time zone: same digest", func(t *testing.T) {
		later := time.Now().Add(50 * time.Hour)
		filepath.Walk(serverDir, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
		again := e.build(t, bundle, "x86_64", true, "TZ=America/Anchorage", "LC_ALL=C")
		if again.Digest != first.Digest {
			t.Fatalf("digest %s, then %s", first.Digest, again.Digest)
		}
	})

	t.Run("asset edit: one layer pushed", func(t *testing.T) {
		css := filepath.Join(serverDir, "assets", "style.css")
		data, err := os.ReadFile(css)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(css, append(data, []byte("\nh1 { letter-spacing: 1px }\n")...), 0o644); err != nil {
			t.Fatal(err)
		}
		edited := e.build(t, bundle, "x86_64", false)
		p := e.push(t, edited, "site", "build-2")
		var changed, uploaded []string
		for i, l := range edited.Layers {
			if l.Digest != first.Layers[i].Digest {
				changed = append(changed, l.Role)
			}
		}
		for _, l := range p.Layers {
			if l.Pushed {
				uploaded = append(uploaded, l.Role)
			}
		}
		if len(changed) > 2 || !slices.Contains(changed, serverimage.LayerAssets) || slices.Contains(changed, serverimage.LayerDependencies) {
			t.Errorf("an asset edit changed layers %v: at most two, the assets among them, never the dependencies", changed)
		}
		if !slices.Equal(uploaded, changed) {
			t.Errorf("pushed %v, changed %v", uploaded, changed)
		}
		t.Logf("full image: %d bytes pushed; asset edit: %d bytes", full.BytesPushed, p.BytesPushed)
		if p.BytesPushed*4 > full.BytesPushed {
			t.Errorf("an asset edit sent %d bytes, the full image %d", p.BytesPushed, full.BytesPushed)
		}
	})

	t.Run("arm64 on this machine, no emulation", func(t *testing.T) {
		reqs := filepath.Join(serverDir, "requirements.txt")
		data, _ := os.ReadFile(reqs)
		os.WriteFile(reqs, append(data, []byte("nativelib==2.0\n")...), 0o644)
		img := e.build(t, bundle, "arm64", false)
		pushed := e.push(t, img, "site-arm", "arm")
		pulled := pull(t, pushed.Reference)
		checkConfig(t, pulled, "arm64")
		if img.BaseDigest != e.base.Platforms["arm64"] {
			t.Errorf("base %s, want the arm64 manifest %s", img.BaseDigest, e.base.Platforms["arm64"])
		}
		root := extract(t, pulled)
		got, err := os.ReadFile(filepath.Join(root, "var", "lang", "lib", "python"+e.minor, "site-packages", "nativelib", "__init__.py"))
		if err != nil || !strings.Contains(string(got), "aarch64") {
			t.Errorf("nativelib in the arm64 image: %q (%v), want the aarch64 wheel", got, err)
		}
		marker, _ := os.ReadFile(filepath.Join(root, "var", "lang", "lib", "python"+e.minor, "site-packages", "base_marker.txt"))
		if !strings.Contains(string(marker), "arm64") {
			t.Errorf("the image's base files are not the arm64 base's: %q", marker)
		}
	})
}
