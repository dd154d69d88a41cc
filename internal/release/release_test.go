package release

import (
	"archive/tar"
	"compress/gzip"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/internal/plugintest"
	"github.com/opendash/opendash/version"
)

// TestReleaseHostPlatform runs the release for this machine's platform only (make release builds all
// twelve binaries) and checks what a user and Pulumi's plugin installer rely on: the archives' and the
// checksums file's names, that each archive holds its binary alone, that the CLI prints the version and
// that the plugin reports it to the engine and in its schema with the download URL. The version is the
// checkout's vX.Y.Z tag, or 0.1.0-dev where the clone has none (CI clones may have no tags).
func TestReleaseHostPlatform(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: the release test builds both binaries")
	}
	repo, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	stamp := Describe(repo)
	wantVersion := strings.TrimPrefix(stamp, "v")
	if stamp == "" {
		wantVersion = version.Dev
	}
	r := &Release{Repo: repo, Out: t.TempDir(), Platforms: []string{runtime.GOOS + "/" + runtime.GOARCH}, Log: io.Discard}
	if err := r.Run(); err != nil {
		t.Fatal(err)
	}
	if r.Version != wantVersion {
		t.Fatalf("release version %q, want %q (git describe: %q)", r.Version, wantVersion, stamp)
	}

	// Names: one archive per binary, as Pulumi's installer asks for them, and the checksums file.
	entries, err := os.ReadDir(r.Out)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	want := []string{
		"open-dash-v" + wantVersion + "-" + runtime.GOOS + "-" + runtime.GOARCH + ".tar.gz",
		ChecksumsFile(wantVersion),
		"pulumi-resource-opendash-v" + wantVersion + "-" + runtime.GOOS + "-" + runtime.GOARCH + ".tar.gz",
	}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("release folder holds %v, want %v", names, want)
	}
	pulumiName := regexp.MustCompile(`^pulumi-resource-opendash-v\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?-(linux|darwin|windows)-(amd64|arm64)\.tar\.gz$`)
	if !pulumiName.MatchString(want[2]) {
		t.Errorf("%s is not a name Pulumi's plugin installer asks for", want[2])
	}

	// Checksums: sha256sum's format, one line per archive, each true.
	sums, err := os.ReadFile(filepath.Join(r.Out, ChecksumsFile(wantVersion)))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(sums)), "\n")
	if len(lines) != 2 {
		t.Fatalf("checksums file:\n%s", sums)
	}
	for _, line := range lines {
		sum, name, ok := strings.Cut(line, "  ")
		got, err := SHA256(filepath.Join(r.Out, name))
		if !ok || err != nil || got != sum {
			t.Errorf("checksum line %q: file's SHA-256 %s (%v)", line, got, err)
		}
	}

	bin := t.TempDir()
	cli := extractOnly(t, filepath.Join(r.Out, want[0]), bin)
	out, err := exec.Command(cli, "version").Output()
	if err != nil {
		t.Fatalf("%s version: %v", cli, err)
	}
	wantLine := "open-dash " + stamp
	if stamp == "" {
		wantLine = "open-dash " + version.Dev
	}
	if got := strings.TrimSpace(string(out)); got != wantLine {
		t.Errorf("open-dash version printed %q, want %q", got, wantLine)
	}

	plugin := extractOnly(t, filepath.Join(r.Out, want[2]), bin)
	info := plugintest.Ask(t, plugin)
	if info.Version != wantVersion {
		t.Errorf("the plugin reports version %q to the engine, want %q", info.Version, wantVersion)
	}
	if info.SchemaVersion != wantVersion || info.PluginDownloadURL != version.PluginDownloadURL {
		t.Errorf("the plugin's schema has version %q and pluginDownloadURL %q, want %q and %q",
			info.SchemaVersion, info.PluginDownloadURL, wantVersion, version.PluginDownloadURL)
	}
}

// TestArchiveIsReproducible: the same binary makes the same archive bytes (no time, owner or path of this
// machine inside), so a release's checksums can be checked by building it again.
func TestArchiveIsReproducible(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "pulumi-resource-opendash")
	if err := os.WriteFile(bin, []byte("#!/bin/sh\necho hi\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	var sums []string
	for i, mtime := range []time.Time{time.Unix(1e9, 0), time.Now()} {
		if err := os.Chtimes(bin, mtime, mtime); err != nil {
			t.Fatal(err)
		}
		a := filepath.Join(dir, "a"+string(rune('0'+i))+".tar.gz")
		if err := WriteArchive(a, bin); err != nil {
			t.Fatal(err)
		}
		sum, err := SHA256(a)
		if err != nil {
			t.Fatal(err)
		}
		sums = append(sums, sum)
	}
	if sums[0] != sums[1] {
		t.Errorf("two archives of one binary differ: %v", sums)
	}
}

// TestVersionMustBeSemantic: a stamp Pulumi would refuse as a plugin version stops the release first.
func TestVersionMustBeSemantic(t *testing.T) {
	r := &Release{Repo: ".", Out: t.TempDir(), Stamp: "release-2026", Log: io.Discard}
	if err := r.Run(); err == nil || !strings.Contains(err.Error(), "not a semantic version") {
		t.Errorf("Run with stamp %q = %v", r.Stamp, err)
	}
}

// extractOnly extracts an archive that must hold one executable file at its root, and returns its path.
func extractOnly(t *testing.T, archive, dir string) string {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	gz, err := gzip.NewReader(f)
	if err != nil {
		t.Fatalf("%s: %v", archive, err)
	}
	tr := tar.NewReader(gz)
	hdr, err := tr.Next()
	if err != nil {
		t.Fatalf("%s: %v", archive, err)
	}
	name := strings.SplitN(filepath.Base(archive), "-v", 2)[0]
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if hdr.Name != name || hdr.Mode&0o111 == 0 || hdr.Typeflag != tar.TypeReg {
		t.Fatalf("%s holds %s (mode %o), want the executable %s at its root", archive, hdr.Name, hdr.Mode, name)
	}
	path := filepath.Join(dir, name)
	out, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, tr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Next(); err != io.EOF {
		t.Errorf("%s holds more than %s", archive, name)
	}
	return path
}
