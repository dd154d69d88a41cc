package serverimage_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/cache"
	"github.com/opendash/opendash/serverimage/imagetest"
)

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
