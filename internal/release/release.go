// Package release builds OpenDash's release archives: the `open-dash` CLI and the `opendash` Pulumi
// plugin for every platform, one tar.gz each, named as Pulumi's plugin installer expects, and a checksums
// file. `make release` runs it through tools/release; its test builds this machine's platform only.
//
// A release is these ordered steps (as goreleaser's pipeline, without goreleaser):
//  1. version: `git describe` of a vX.Y.Z tag, stamped into version.Stamped; no tag → 0.1.0-dev
//  2. build: plain `go build` per binary and platform (GOOS/GOARCH, CGO off, -trimpath), each binary
//     then alone in <name>-v<version>-<os>-<arch>.tar.gz, with fixed times and owners
//  3. checksums: SHA-256 of every archive, in sha256sum's format, in opendash-v<version>-checksums.txt
package release

import (
	"archive/tar"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/opendash/opendash/version"
)

// Binaries are the commands released, by name (the folder under cmd/ and the executable's name).
var Binaries = []string{"open-dash", "pulumi-resource-opendash"}

// Platforms are the GOOS/GOARCH pairs released: those Pulumi publishes its own plugins for.
var Platforms = []string{
	"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64",
}

// ChecksumsFile is the checksums file's name, inside the output folder.
func ChecksumsFile(v string) string { return "opendash-v" + v + "-checksums.txt" }

// ArchiveName is an archive's name: Pulumi's plugin installer downloads
// pulumi-resource-<name>-v<version>-<os>-<arch>.tar.gz, and the CLI's archives follow the same pattern.
func ArchiveName(binary, v, goos, goarch string) string {
	return fmt.Sprintf("%s-v%s-%s-%s.tar.gz", binary, v, goos, goarch)
}

// Release is one run: its settings, and what each step made for the next.
type Release struct {
	Repo      string   // repository root (holds go.mod)
	Out       string   // output folder
	Platforms []string // GOOS/GOARCH pairs
	Log       io.Writer

	Stamp    string   // what version.Stamped is set to ("" = none)
	Version  string   // the semantic version in names and reported by the binaries
	Archives []string // archive paths, in build order
}

// Run runs every step in order.
func (r *Release) Run() error {
	steps := []struct {
		name string
		run  func() error
	}{
		{"version", r.version},
		{"build", r.build},
		{"checksums", r.checksums},
	}
	for _, s := range steps {
		if err := s.run(); err != nil {
			return fmt.Errorf("%s: %w", s.name, err)
		}
	}
	return nil
}

// version settles the stamp and the semantic version, the same way package version reads them.
func (r *Release) version() error {
	if r.Stamp == "" {
		r.Stamp = Describe(r.Repo)
	}
	old := version.Stamped
	version.Stamped = r.Stamp
	r.Version = version.Plugin()
	version.Stamped = old
	if r.Stamp != "" && r.Version == version.Dev {
		return fmt.Errorf("%q is not a semantic version vX.Y.Z[-pre]: Pulumi refuses plugins without one; "+
			"tag the release vX.Y.Z or pass -version", r.Stamp)
	}
	fmt.Fprintf(r.Log, "release: version %s (stamp %q)\n", r.Version, r.Stamp)
	if err := os.RemoveAll(r.Out); err != nil {
		return err
	}
	return os.MkdirAll(r.Out, 0o755)
}

// Describe is `git describe` of the newest vX.Y.Z tag (vX.Y.Z-N-g<commit> past it, -dirty when
// modified), or "" where there is no tag or no git (a CI clone without tags, a source archive).
func Describe(repo string) string {
	cmd := exec.Command("git", "describe", "--tags", "--match", "v[0-9]*", "--dirty")
	cmd.Dir = repo
	out, err := cmd.Output()
	if err != nil {
		return ""
	}
	return strings.TrimSpace(string(out))
}

// build builds and archives every binary for every platform.
func (r *Release) build() error {
	work, err := os.MkdirTemp("", "opendash-release-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	for _, p := range r.Platforms {
		goos, goarch, ok := strings.Cut(p, "/")
		if !ok {
			return fmt.Errorf("platform %q is not GOOS/GOARCH", p)
		}
		for _, bin := range Binaries {
			exe := bin
			if goos == "windows" {
				exe += ".exe"
			}
			built := filepath.Join(work, goos+"-"+goarch, exe)
			fmt.Fprintf(r.Log, "release: building %s for %s\n", bin, p)
			cmd := exec.Command("go", "build", "-trimpath",
				"-ldflags", "-s -w -X "+version.Module+"/version.Stamped="+r.Stamp,
				"-o", built, "./cmd/"+bin)
			cmd.Dir = r.Repo
			cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
			if out, err := cmd.CombinedOutput(); err != nil {
				return fmt.Errorf("go build ./cmd/%s for %s: %v\n%s", bin, p, err, out)
			}
			archive := filepath.Join(r.Out, ArchiveName(bin, r.Version, goos, goarch))
			if err := WriteArchive(archive, built); err != nil {
				return fmt.Errorf("archiving %s: %w", archive, err)
			}
			r.Archives = append(r.Archives, archive)
		}
	}
	return nil
}

// WriteArchive writes a tar.gz holding the file alone, at its root: the same bytes for the same binary
// (no times, owners or names from this machine), written to a temporary name and renamed.
func WriteArchive(path, file string) (err error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	gz, err := gzip.NewWriterLevel(f, gzip.BestCompression)
	if err != nil {
		return err
	}
	tw := tar.NewWriter(gz)
	hdr := &tar.Header{Name: filepath.Base(file), Mode: 0o755, Size: int64(len(data)), Typeflag: tar.TypeReg,
		ModTime: time.Unix(0, 0), Format: tar.FormatUSTAR}
	if err = tw.WriteHeader(hdr); err != nil {
		return err
	}
	if _, err = tw.Write(data); err != nil {
		return err
	}
	if err = errors.Join(tw.Close(), gz.Close(), f.Close()); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// checksums writes the SHA-256 of every archive, as `sha256sum -c` reads them, sorted by name.
func (r *Release) checksums() error {
	archives := append([]string(nil), r.Archives...)
	sort.Strings(archives)
	var lines []string
	for _, a := range archives {
		sum, err := SHA256(a)
		if err != nil {
			return err
		}
		lines = append(lines, sum+"  "+filepath.Base(a))
	}
	path := filepath.Join(r.Out, ChecksumsFile(r.Version))
	if err := os.WriteFile(path+".tmp", []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(r.Log, "release: %d archives and %s in %s\n", len(r.Archives), filepath.Base(path), r.Out)
	return os.Rename(path+".tmp", path)
}

// SHA256 is a file's SHA-256, in hex.
func SHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
