package serverimage

import (
	"bytes"
	"encoding/binary"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/opendash/opendash/serverimage/imagetest"
)

func TestBuildImage(t *testing.T) {
	t.Parallel()
	f := newFixture(t, imagetest.InProcess(t, nil), nil)
	opts := f.options(t, "x86_64")
	var log bytes.Buffer
	opts.Log = &log
	img := mustBuild(t, opts)
	t.Logf("build log:\n%s", log.String())

	if img.BaseDigest != f.base.Platforms["amd64"] {
		t.Errorf("BaseDigest = %s, want the amd64 manifest %s", img.BaseDigest, f.base.Platforms["amd64"])
	}
	if !strings.Contains(log.String(), img.BaseDigest) {
		t.Errorf("the log does not report the resolved base digest %s", img.BaseDigest)
	}
	mt, _ := img.Image.MediaType()
	if mt != types.DockerManifestSchema2 || img.MediaType != string(mt) {
		t.Errorf("manifest media type %s (reported %s), want the base's %s", mt, img.MediaType, types.DockerManifestSchema2)
	}
	m, err := img.Image.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.MediaType != types.DockerLayer {
			t.Errorf("layer %s has media type %s, want %s (gzip, as the base)", l.Digest, l.MediaType, types.DockerLayer)
		}
	}
	var roles []string
	for _, l := range img.Layers {
		roles = append(roles, l.Role)
	}
	if want := []string{LayerDependencies, LayerApp, LayerAssets}; !slices.Equal(roles, want) {
		t.Fatalf("layers %v, want %v", roles, want)
	}

	cf, err := img.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "amd64" || cf.OS != "linux" {
		t.Errorf("platform %s/%s, want linux/amd64", cf.OS, cf.Architecture)
	}
	if !slices.Equal(cf.Config.Cmd, []string{"opendash_handler.handler"}) || !slices.Equal(cf.Config.Entrypoint, imagetest.BaseEntrypoint) ||
		cf.Config.WorkingDir != "/var/task" || !slices.Equal(cf.Config.Env, imagetest.BaseEnv()) {
		t.Errorf("config: cmd %q entrypoint %q workdir %q env %q; want the handler, the base's entrypoint and env, /var/task",
			cf.Config.Cmd, cf.Config.Entrypoint, cf.Config.WorkingDir, cf.Config.Env)
	}
	if !cf.Created.Time.Equal(imagetest.BaseCreated) {
		t.Errorf("created %s, want the base's %s", cf.Created, imagetest.BaseCreated)
	}
	if n := len(cf.History); n != 2+2 || cf.History[n-3].Comment != LayerDependencies || cf.History[n-1].Comment != LayerAssets {
		t.Errorf("history %+v: want the base's entry and one per added layer", cf.History)
	}

	site := strings.TrimPrefix(SitePackages(opts.PythonVersion), "/")
	tag := "cpython-" + strings.ReplaceAll(opts.PythonVersion, ".", "")
	layers := ourLayers(t, img)
	want := [][]string{
		{site + "/tinylib/__init__.py", site + "/tinylib/__pycache__/__init__." + tag + ".pyc", site + "/tinylib-1.0.dist-info/METADATA"},
		{"var/task/app.py", "var/task/__pycache__/app." + tag + ".pyc", "var/task/opendash_handler.py", "var/task/requirements.txt",
			"var/task/pages/home.py", "var/task/pages/__pycache__/home." + tag + ".pyc", "var/task/", "var/"},
		{"var/task/assets/style.css", "var/task/assets/app.js", "var/task/assets/"},
	}
	for i, l := range layers {
		files := layerFiles(t, l)
		for _, p := range want[i] {
			if files[p] == nil {
				t.Errorf("%s layer lacks %s; it has %v", roles[i], p, slices.Sorted(maps.Keys(files)))
			}
		}
		for p, h := range files {
			if strings.HasPrefix(p, "var/task/Dockerfile") || strings.HasPrefix(p, "var/task/.dockerignore") ||
				(i != 2 && strings.HasPrefix(p, "var/task/assets/")) || (i == 2 && !strings.HasPrefix(p, "var/task/assets/") && p != "var/" && p != "var/task/") {
				t.Errorf("%s layer holds %s", roles[i], p)
			}
			if h.Uid != 0 || h.Gid != 0 || h.Uname != "" || h.Gname != "" || !h.ModTime.Equal(time.Unix(0, 0)) {
				t.Errorf("%s: owner %d:%d (%q:%q), time %s; want 0:0 with no names at the epoch", p, h.Uid, h.Gid, h.Uname, h.Gname, h.ModTime)
			}
			if wantMode := int64(0o644); h.Typeflag == 'r' || h.Typeflag == '0' {
				if h.Mode != wantMode {
					t.Errorf("%s: mode %o, want %o", p, h.Mode, wantMode)
				}
			} else if h.Mode != 0o755 {
				t.Errorf("%s: folder mode %o, want 755", p, h.Mode)
			}
		}
	}

	// Bytecode: unchecked-hash (PEP 552 flags = 1: hash-based, not checked) and naming the image path.
	forEachEntry(t, layers[1], func(h *tarHeader, r io.Reader) {
		if h.Name != "var/task/__pycache__/app."+tag+".pyc" {
			return
		}
		data, _ := io.ReadAll(r)
		if flags := binary.LittleEndian.Uint32(data[4:8]); flags != 1 {
			t.Errorf("app.pyc flags %d, want 1 (unchecked hash)", flags)
		}
		if !bytes.Contains(data, []byte("/var/task/app.py")) {
			t.Errorf("app.pyc does not name /var/task/app.py (the code's file name must be the image path)")
		}
		if bytes.Contains(data, []byte(f.dir)) {
			t.Errorf("app.pyc names the build folder %s", f.dir)
		}
	})
}

// The same folder, touched files, another day and time zone, another scratch folder: the same image.
func TestBuildIsReproducible(t *testing.T) {
	t.Parallel()
	f := newFixture(t, imagetest.InProcess(t, nil), nil)
	first := mustBuild(t, f.options(t, "x86_64"))

	later := time.Now().Add(36 * time.Hour)
	filepath.Walk(f.dir, func(p string, _ os.FileInfo, _ error) error { return os.Chtimes(p, later, later) })
	os.Chmod(filepath.Join(f.dir, "app.py"), 0o600) // a stricter umask: the image normalises modes
	opts := f.options(t, "x86_64")
	opts.Env = append(opts.Env, "TZ=Pacific/Kiritimati", "TMPDIR="+t.TempDir(), "PYTHONHASHSEED=123")
	opts.NoCache = true // pip and the compiler run again
	second := mustBuild(t, opts)
	if first.Digest != second.Digest {
		for i := range first.Layers {
			t.Logf("%s: %s vs %s", first.Layers[i].Role, first.Layers[i].Digest, second.Layers[i].Digest)
		}
		t.Fatalf("digest %s, then %s: the same inputs must give the same image", first.Digest, second.Digest)
	}
}

// An asset edit changes the assets layer alone; a code edit leaves the assets layer as it is.
func TestEditsChangeTheirLayerOnly(t *testing.T) {
	t.Parallel()
	f := newFixture(t, imagetest.InProcess(t, nil), nil)
	before := mustBuild(t, f.options(t, "x86_64"))
	writeFiles(t, f.dir, map[string]string{"assets/style.css": "body { color: blue }\n"})
	asset := mustBuild(t, f.options(t, "x86_64"))
	writeFiles(t, f.dir, map[string]string{"pages/home.py": "TITLE = 'Home'\n"})
	code := mustBuild(t, f.options(t, "x86_64"))
	changed := func(a, b *Image) (out []string) {
		for i := range a.Layers {
			if a.Layers[i].Digest != b.Layers[i].Digest {
				out = append(out, a.Layers[i].Role)
			}
		}
		return out
	}
	if got := changed(before, asset); !slices.Equal(got, []string{LayerAssets}) {
		t.Errorf("an asset edit changed layers %v, want [assets]", got)
	}
	if got := changed(asset, code); !slices.Equal(got, []string{LayerApp}) {
		t.Errorf("a code edit changed layers %v, want [app]", got)
	}
}

// arm64 on this machine: pip picks the aarch64 wheel; the base is the arm64 manifest; nothing is emulated.
func TestBuildArm64WithoutEmulation(t *testing.T) {
	t.Parallel()
	f := newFixture(t, imagetest.InProcess(t, nil), nil)
	_, minor := testPython(t)
	abi := "cp" + strings.ReplaceAll(minor, ".", "")
	for _, arch := range []string{"x86_64", "aarch64"} {
		imagetest.WriteWheel(t, f.wheel, imagetest.WheelSpec{Name: "nativelib", Version: "2.0",
			Tag:   abi + "-" + abi + "-manylinux_2_17_" + arch + ".manylinux2014_" + arch,
			Files: map[string]string{"nativelib/__init__.py": "CPU = '" + arch + "'\n", "nativelib/_speedups.so": "ELF for " + arch}})
	}
	writeFiles(t, f.dir, map[string]string{"requirements.txt": "tinylib==1.0\nnativelib==2.0\n"})
	for _, c := range []struct{ arch, platform, cpu string }{{"arm64", "arm64", "aarch64"}, {"x86_64", "amd64", "x86_64"}} {
		t.Run(c.arch, func(t *testing.T) {
			img := mustBuild(t, f.options(t, c.arch))
			cf, _ := img.Image.ConfigFile()
			if cf.Architecture != c.platform || img.BaseDigest != f.base.Platforms[c.platform] || img.Architecture != c.arch {
				t.Errorf("architecture %s, base %s; want %s and that platform's base manifest %s", cf.Architecture, img.BaseDigest, c.platform, f.base.Platforms[c.platform])
			}
			site := strings.TrimPrefix(SitePackages(minor), "/")
			forEachEntry(t, ourLayers(t, img)[0], func(h *tarHeader, r io.Reader) {
				if h.Name == site+"/nativelib/__init__.py" {
					if data, _ := io.ReadAll(r); !strings.Contains(string(data), c.cpu) {
						t.Errorf("nativelib is the wrong wheel: %s", data)
					}
				}
			})
		})
	}
}

func TestBuildErrors(t *testing.T) {
	t.Parallel()
	host := imagetest.InProcess(t, nil)
	f := newFixture(t, host, nil)
	_, minor := testPython(t)
	imagetest.WriteWheel(t, f.wheel, imagetest.WheelSpec{Name: "newglibc", Version: "1.0",
		Tag: "py3-none-manylinux_2_99_x86_64", Files: map[string]string{"newglibc.py": ""}})
	single := imagetest.PushBase(t, host+"/single", minor, false)
	other := "3.12" // a minor with a Lambda base that the bundling Python is not
	if minor == other {
		other = "3.13"
	}

	for _, c := range []struct {
		name   string
		change func(*BuildOptions)
		want   []string
	}{
		{"no wheel for the target", func(o *BuildOptions) {
			writeFiles(t, o.Dir, map[string]string{"requirements.txt": "newglibc==1.0\n"})
		}, []string{"no wheel of newglibc==1.0", "linux/amd64", "imageBuilder: docker", "hint:"}},
		{"unknown requirement", func(o *BuildOptions) {
			writeFiles(t, o.Dir, map[string]string{"requirements.txt": "nosuchthing==3\n"})
		}, []string{"no wheel of nosuchthing==3"}},
		{"another Python", func(o *BuildOptions) { o.PythonVersion = other }, []string{"Python " + minor, other, "--python"}},
		{"a Python Lambda does not run", func(o *BuildOptions) { o.PythonVersion = "3.9" }, []string{"no Python 3.9 base", "3.10"}},
		{"bad architecture", func(o *BuildOptions) { o.Architecture = "mips" }, []string{`"mips"`, "x86_64", "arm64"}},
		{"no such base", func(o *BuildOptions) { o.BaseImage = host + "/nothing:3.11" }, []string{"base image " + host + "/nothing:3.11", "hint:"}},
		{"single manifest of another platform", func(o *BuildOptions) {
			o.BaseImage = host + "/single@" + single.Platforms["amd64"]
			o.Architecture = "arm64"
		}, []string{"is an image for linux/amd64", "linux/arm64"}},
		{"not a server function folder", func(o *BuildOptions) { o.Dir = t.TempDir() }, []string{"opendash_handler.py", "open-dash bundle"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := f.options(t, "x86_64")
			c.change(&opts)
			_, err := Build(t.Context(), opts)
			if err == nil {
				t.Fatal("Build succeeded")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			writeFiles(t, f.dir, map[string]string{"requirements.txt": "tinylib==1.0\n"})
		})
	}
}

// A single-platform manifest given by digest (a pinned base) builds on it; an OCI base gives an OCI image.
func TestBuildOnPinnedAndOCIBases(t *testing.T) {
	t.Parallel()
	host := imagetest.InProcess(t, nil)
	f := newFixture(t, host, nil)
	_, minor := testPython(t)
	oci := imagetest.PushBase(t, host+"/oci", minor, true)
	writeFiles(t, f.dir, map[string]string{"requirements.txt": "# nothing to install: no pip run\n"})
	for _, c := range []struct {
		name, base, wantBase string
		mt, layer            types.MediaType
	}{
		{"pinned platform manifest", f.base.Ref[:strings.LastIndex(f.base.Ref, ":")] + "@" + f.base.Platforms["amd64"], f.base.Platforms["amd64"], types.DockerManifestSchema2, types.DockerLayer},
		{"pinned index", f.base.Ref[:strings.LastIndex(f.base.Ref, ":")] + "@" + f.base.Index, f.base.Platforms["amd64"], types.DockerManifestSchema2, types.DockerLayer},
		{"OCI index", oci.Ref, oci.Platforms["amd64"], types.OCIManifestSchema1, types.OCILayer},
	} {
		t.Run(c.name, func(t *testing.T) {
			opts := f.options(t, "x86_64")
			opts.BaseImage = c.base
			img := mustBuild(t, opts)
			mt, _ := img.Image.MediaType()
			if img.BaseDigest != c.wantBase || img.BaseImage != c.base || mt != c.mt {
				t.Errorf("base %s@%s, manifest %s; want %s@%s, %s", img.BaseImage, img.BaseDigest, mt, c.base, c.wantBase, c.mt)
			}
			l := ourLayers(t, img)[0]
			if got, _ := l.MediaType(); got != c.layer {
				t.Errorf("layer media type %s, want %s", got, c.layer)
			}
		})
	}
}

// The dependencies layer is kept and reused while its inputs are the same; anything pip reads changes it.
func TestDependenciesLayerIsKept(t *testing.T) {
	t.Parallel()
	f := newFixture(t, imagetest.InProcess(t, nil), nil)
	build := func(change func(*BuildOptions)) (*Image, string) {
		opts := f.options(t, "x86_64")
		var log bytes.Buffer
		opts.Log = &log
		if change != nil {
			change(&opts)
		}
		return mustBuild(t, opts), log.String()
	}
	first, log := build(nil)
	if strings.Contains(log, "reused") {
		t.Fatalf("a first build reused a layer:\n%s", log)
	}
	writeFiles(t, f.dir, map[string]string{"app.py": "import tinylib\n\ndef answer():\n    return 'edited'\n"})
	edited, log := build(nil)
	if !strings.Contains(log, "reused the layer of an earlier build") || edited.Layers[0].Digest != first.Layers[0].Digest {
		t.Errorf("a code edit ran pip again:\n%s", log)
	}
	for _, c := range []struct {
		name   string
		change func(*BuildOptions)
	}{
		{"NoCache", func(o *BuildOptions) { o.NoCache = true }},
		{"another pip setting", func(o *BuildOptions) { o.Env = append(o.Env, "PIP_PRE=1") }},
		{"another architecture", func(o *BuildOptions) { o.Architecture = "arm64" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, log := build(c.change); strings.Contains(log, "reused") {
				t.Errorf("reused the kept layer:\n%s", log)
			}
		})
	}
	// A damaged entry is rebuilt, to the same layer.
	blobs, _ := filepath.Glob(filepath.Join(f.cache, "*.tar.gz"))
	for _, b := range blobs {
		os.WriteFile(b, []byte("damaged"), 0o644)
	}
	again, log := build(nil)
	if strings.Contains(log, "reused") || again.Layers[0].Digest != first.Layers[0].Digest {
		t.Errorf("a damaged kept layer: rebuilt %s, first %s\n%s", again.Layers[0].Digest, first.Layers[0].Digest, log)
	}
}
