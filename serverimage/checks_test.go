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
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/opendash/opendash/preview"
	"github.com/opendash/opendash/serverimage/imagetest"
	"github.com/opendash/opendash/verify"
)

// What the registry tests check of a pulled image.

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
