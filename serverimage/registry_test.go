package serverimage_test

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/serverimage/imagetest"
	"github.com/opendash/opendash/verify"
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

// TestIntegrationRealDashImage: with OPENDASH_TEST_PYTHON naming a Python with a real Dash, the single-page
// example bundled with it, its image built from wheels of what that Python has installed (the pinned
// requirements and all they require), and open-dash verify against the preview of the image's files alone.
func TestIntegrationRealDashImage(t *testing.T) {
	py := os.Getenv("OPENDASH_TEST_PYTHON")
	if py == "" {
		t.Skip("set OPENDASH_TEST_PYTHON to a Python that can import dash (with pip) to build a real Dash app's image")
	}
	registry := imagetest.Real(t)
	out, err := exec.Command(py, "-c", "import sys, pip, dash; print(sys.executable); print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil {
		t.Fatalf("%s cannot import pip and dash: %v", py, err)
	}
	lines := strings.Fields(string(out))
	e := &env{py: lines[0], minor: lines[1], registry: registry, wheels: t.TempDir(), cache: t.TempDir()}
	e.base = imagetest.PushBase(t, registry+"/lambda/python", e.minor, false)

	src := filepath.Join(t.TempDir(), "single-page")
	if err := os.CopyFS(src, os.DirFS(filepath.Join("..", "examples", "single-page"))); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PYTHONPATH", "")
	t.Setenv("VIRTUAL_ENV", "")
	t.Setenv(cache.DirEnv, t.TempDir())
	res, err := bundler.Bundle(context.Background(), bundler.Options{SourceDir: src, Python: e.py, SkipInstall: true})
	if err != nil {
		t.Fatalf("bundling with %s: %v", py, err)
	}
	serverDir := filepath.Join(res.OutDir, "server-functions", "default")
	// What the app imports, as the handler loads it (some installed metadata names no requirements).
	load := "import sys; sys.path.insert(0, " + strconv.Quote(src) + "); import app; app.create_app()"
	names := imagetest.ClosureWheels(t, e.py, e.wheels, filepath.Join(serverDir, "requirements.txt"), load)
	t.Logf("Dash %s; wheels of %v", res.Manifest.App.DashVersion, names)
	// Debian's packages record no requirements (plotly 5.4 imports six, and says nothing): require all that ran.
	reqs := filepath.Join(serverDir, "requirements.txt")
	data, _ := os.ReadFile(reqs)
	if err := os.WriteFile(reqs, append(data, []byte(strings.Join(names, "\n")+"\n")...), 0o644); err != nil {
		t.Fatal(err)
	}

	img := e.build(t, res.OutDir, "x86_64", true)
	pulled := pull(t, e.push(t, img, "real-dash", "build-1").Reference)
	checkConfig(t, pulled, "amd64")
	root := extract(t, pulled)
	checkFiles(t, root, serverDir, e.minor)
	checkImportsWriteNothing(t, e, root)
	checkServes(t, e, res.OutDir, root, "")
}

// pull reads the image back from the registry, as Lambda would: a single manifest, no index.
func pull(t *testing.T, reference string) v1.Image {
	t.Helper()
	ref, err := name.ParseReference(reference)
	if err != nil {
		t.Fatal(err)
	}
	desc, err := remote.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if desc.MediaType != types.DockerManifestSchema2 {
		t.Errorf("%s is a %s, want one Docker v2 manifest (the base's type; no index)", reference, desc.MediaType)
	}
	img, err := desc.Image()
	if err != nil {
		t.Fatal(err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.MediaType != types.DockerLayer {
			t.Errorf("layer %s is %s, want gzip (%s)", l.Digest, l.MediaType, types.DockerLayer)
		}
	}
	if skopeo, err := exec.LookPath("skopeo"); err == nil { // a second client reads the same image
		out, err := exec.Command(skopeo, "inspect", "--tls-verify=false", "docker://"+reference).Output()
		var got struct{ Digest, Architecture string }
		if err != nil || json.Unmarshal(out, &got) != nil || desc.Digest.String() != got.Digest {
			t.Errorf("skopeo inspect %s: %s (%v), want digest %s", reference, out, err, desc.Digest)
		}
	}
	return img
}

func checkConfig(t *testing.T, img v1.Image, arch string) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != arch || !slices.Equal(cf.Config.Cmd, []string{"opendash_handler.handler"}) ||
		!slices.Equal(cf.Config.Entrypoint, imagetest.BaseEntrypoint) || cf.Config.WorkingDir != "/var/task" ||
		!slices.Equal(cf.Config.Env, imagetest.BaseEnv()) {
		t.Errorf("config %s/%s cmd %q entrypoint %q workdir %q env %q", cf.OS, cf.Architecture, cf.Config.Cmd,
			cf.Config.Entrypoint, cf.Config.WorkingDir, cf.Config.Env)
	}
	if layers, _ := img.Layers(); len(cf.History) != len(layers) {
		t.Errorf("%d history entries for %d layers", len(cf.History), len(layers))
	}
}

// extract writes the image's flattened file system into a folder and returns it.
func extract(t *testing.T, img v1.Image) string {
	t.Helper()
	root := t.TempDir()
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return root
		}
		if err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(root, filepath.FromSlash(h.Name))
		switch h.Typeflag {
		case tar.TypeDir:
			os.MkdirAll(p, 0o755)
		case tar.TypeReg:
			os.MkdirAll(filepath.Dir(p), 0o755)
			data, _ := io.ReadAll(tr)
			if err := os.WriteFile(p, data, os.FileMode(h.Mode)); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// checkFiles: every file of the server function folder is in /var/task with its content (the build files
// excepted), Dash is in site-packages, and the base's files are still there.
func checkFiles(t *testing.T, root, serverDir, minor string) {
	t.Helper()
	task := filepath.Join(root, "var", "task")
	n := 0
	filepath.WalkDir(serverDir, func(p string, d os.DirEntry, err error) error {
		rel, _ := filepath.Rel(serverDir, p)
		if err != nil || d.IsDir() || rel == "Dockerfile" || rel == ".dockerignore" {
			return err
		}
		want, _ := os.ReadFile(p)
		got, err := os.ReadFile(filepath.Join(task, rel))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("/var/task/%s: %v (content equal: %t)", rel, err, bytes.Equal(got, want))
		}
		n++
		return nil
	})
	site := filepath.Join(root, "var", "lang", "lib", "python"+minor, "site-packages")
	for _, p := range []string{filepath.Join(task, "__pycache__", "opendash_handler.cpython-"+strings.ReplaceAll(minor, ".", "")+".pyc"),
		filepath.Join(site, "dash", "__init__.py"),
		filepath.Join(site, "flask", "__init__.py"), filepath.Join(site, "werkzeug", "__init__.py"), // dash's requirement, resolved by pip
		filepath.Join(root, "lambda-entrypoint.sh"), filepath.Join(site, "base_marker.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("the image lacks %s", strings.TrimPrefix(p, root))
		}
	}
	if infos, _ := filepath.Glob(filepath.Join(site, "dash-*.dist-info", "METADATA")); len(infos) != 1 {
		t.Errorf("the image has %d dash-*.dist-info, want one", len(infos))
	}
	for _, p := range []string{"Dockerfile", ".dockerignore"} {
		if _, err := os.Stat(filepath.Join(task, p)); err == nil {
			t.Errorf("the image holds /var/task/%s", p)
		}
	}
	t.Logf("%d files of the server function checked at their image paths", n)
}

// importProbe imports the handler, the app and Dash from the extracted image and reports every file it
// opened for writing under the image and every source read where bytecode should have been used.
const importProbe = `import json, os, sys
root = os.path.realpath(sys.argv[1])
writes, sources = [], []
def hook(event, args):
    if event == "open" and isinstance(args[0], str) and os.path.realpath(args[0]).startswith(root):
        mode, flags = args[1], args[2]
        if (mode and any(c in mode for c in "wax+")) or (flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT)):
            writes.append(args[0])
        elif args[0].endswith(".py"):
            sources.append(args[0])
sys.addaudithook(hook)
import opendash_handler, dash
json.dump({"writes": writes, "sources": sources, "dash": dash.__file__}, sys.stdout)`

// checkImportsWriteNothing: importing from the image uses its bytecode and writes nothing (Lambda's
// /var/task is read-only).
func checkImportsWriteNothing(t *testing.T, e *env, root string) {
	t.Helper()
	task := filepath.Join(root, "var", "task")
	site := filepath.Join(root, "var", "lang", "lib", "python"+e.minor, "site-packages")
	cmd := exec.Command(e.py, "-S", "-s", "-c", importProbe, root) // no site-packages but the image's
	cmd.Dir = task
	cmd.Env = append(cleanEnv(), "PYTHONPATH="+task+string(os.PathListSeparator)+site)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("importing from the image: %v\n%s%s", err, out, stderr.String())
	}
	var got struct {
		Writes, Sources []string
		Dash            string
	}
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if len(got.Writes) > 0 || !strings.HasPrefix(got.Dash, site) {
		t.Errorf("importing from the image wrote %v; Dash came from %s (want %s)", got.Writes, got.Dash, site)
	}
	if len(got.Sources) > 0 {
		t.Errorf("importing read sources %v instead of their bytecode", got.Sources)
	}
}

var previewMu sync.Mutex

// checkServes runs open-dash preview on the bundle with its server function replaced by the image's
// /var/task and a Python that finds packages in the image's site-packages only (Flask and the stand-in
// Dash installed there by pip from the wheelhouse), then open-dash verify against it.
func checkServes(t *testing.T, e *env, bundle, root, basicAuth string) {
	t.Helper()
	previewMu.Lock()
	defer previewMu.Unlock()
	fromImage := filepath.Join(t.TempDir(), "bundle")
	if err := os.CopyFS(fromImage, os.DirFS(bundle)); err != nil {
		t.Fatal(err)
	}
	serverDir := filepath.Join(fromImage, "server-functions", "default")
	os.RemoveAll(serverDir)
	if err := os.CopyFS(serverDir, os.DirFS(filepath.Join(root, "var", "task"))); err != nil {
		t.Fatal(err)
	}
	// The image's layers alone: Python without its own site-packages (-S), finding packages in the image's.
	t.Setenv("PYTHONPATH", filepath.Join(root, "var", "lang", "lib", "python"+e.minor, "site-packages"))
	isolated := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(isolated, []byte("#!/bin/sh\nexec "+e.py+" -S -s \"$@\"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	var log bytes.Buffer
	s, err := preview.Start(context.Background(), preview.Options{Dir: fromImage, Addr: "127.0.0.1:0", Python: isolated, Log: &logWriter{b: &log}})
	if err != nil {
		t.Fatalf("preview of the image's files: %v", err)
	}
	defer s.Close()
	rep, err := verify.Run(context.Background(), verify.Options{URL: s.URL(), Dir: fromImage, BasicAuth: basicAuth})
	if err != nil {
		t.Fatal(err)
	}
	callbacks := 0
	for _, c := range rep.Checks {
		if c.Kind == verify.KindCallback && c.Status == 200 {
			callbacks++
		}
	}
	if !rep.OK || callbacks == 0 {
		for _, c := range rep.Failures() {
			t.Errorf("%s %s: %s", c.Kind, c.URL, c.Problem)
		}
		t.Errorf("verify against the image's handler: ok=%t, %d callbacks answered\npreview log:\n%s", rep.OK, callbacks, log.String())
	}
}

type logWriter struct {
	mu sync.Mutex
	b  *bytes.Buffer
}

func (w *logWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// cleanEnv is the environment without Python path settings.
func cleanEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "PYTHONPATH" && k != "PYTHONHOME" && k != "VIRTUAL_ENV" && k != "PYTHONDONTWRITEBYTECODE" {
			out = append(out, kv)
		}
	}
	return out
}
