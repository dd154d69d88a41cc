package serverimage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/serverfn"
)

// What Build reads from the server function folder: everything the generated Dockerfile's `COPY .` would
// copy, that is the folder less what its .dockerignore (bundler/serverfn/lambda/dockerignore) keeps out.

// sourceEntry is one file or folder of the server function folder.
type sourceEntry struct {
	Rel  string      // slash-separated, relative to the folder
	Path string      // absolute path
	Dir  bool        // a folder (kept even when empty, as COPY keeps it)
	Mode os.FileMode // normalised: 0o755 for folders and executables, 0o644 for other files
	Size int64
}

// assetsDir is Dash's assets folder inside the app: it gets the last layer, of its own.
const assetsDir = "assets"

// ignored reports whether the image leaves out a path (as the .dockerignore does): the build files, and
// caches that may have been written into the folder after the bundle.
func ignored(rel string, dir bool) bool {
	if rel == serverfn.DockerfileName || rel == serverfn.DockerignoreFile {
		return true
	}
	base := path.Base(rel)
	if dir {
		return base == "__pycache__" || base == ".pytest_cache" || base == ".mypy_cache"
	}
	return base == ".DS_Store" || strings.HasSuffix(base, ".pyc") || strings.HasSuffix(base, ".pyo")
}

// normalMode is the mode a file gets in the image. Lambda runs the container as an unprivileged user, so
// everything must be readable by others (AWS: "Lambda container images: ... ensure the files have read
// permissions for all users"); owners and group bits carry no meaning there.
func normalMode(m fs.FileMode, dir bool) os.FileMode {
	if dir || m&0o111 != 0 {
		return 0o755
	}
	return 0o644
}

// readTree lists a folder's files and folders, sorted by path, leaving out what skip says. It refuses
// symbolic links and special files: the folders it reads (a bundle, pip's target) hold none, and a link
// could carry files from outside into the image.
func readTree(root string, skip func(rel string, dir bool) bool) ([]sourceEntry, error) {
	var out []sourceEntry
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p == root {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		if skip != nil && skip(rel, d.IsDir()) {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		switch {
		case info.Mode()&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; the image takes regular files and folders only: replace "+
				"it with the file, or re-run `open-dash bundle` (its copy of the app resolves links)", p)
		case !info.Mode().IsRegular() && !info.IsDir():
			return fmt.Errorf("%s is not a regular file or a folder (%s); remove it", p, info.Mode().Type())
		}
		e := sourceEntry{Rel: rel, Path: p, Dir: info.IsDir(), Mode: normalMode(info.Mode(), info.IsDir())}
		if !e.Dir {
			e.Size = info.Size()
		}
		out = append(out, e)
		return nil
	})
	if err != nil {
		return nil, err
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Rel < out[j].Rel })
	return out, nil
}

// readSource lists the server function folder.
func (b *build) readSource(context.Context) error {
	info, err := os.Stat(b.opts.Dir)
	if err != nil || !info.IsDir() {
		return fmt.Errorf("%s is not a server function folder (want <bundle>/server-functions/default); run "+
			"`open-dash bundle --source <app folder>` first", b.opts.Dir)
	}
	if _, err := os.Stat(filepath.Join(b.opts.Dir, serverfn.HandlerFile)); err != nil {
		return fmt.Errorf("%s has no %s: it is not a server function folder open-dash wrote; re-run "+
			"`open-dash bundle`", b.opts.Dir, serverfn.HandlerFile)
	}
	if b.files, err = readTree(b.opts.Dir, ignored); err != nil {
		return err
	}
	var bytes int64
	for _, f := range b.files {
		bytes += f.Size
	}
	b.note = fmt.Sprintf("%d entries, %s", len(b.files), bundler.HumanBytes(bytes))
	return nil
}

// SourceDigest is a cheap digest of everything Build reads from dir (paths, normalised modes, contents), so
// a Pulumi resource can tell "unchanged" without building. Equal folders give equal digests on any machine:
// modification times, owners and the umask play no part, as they play none in the image.
func SourceDigest(dir string) (string, error) {
	entries, err := readTree(dir, ignored)
	if err != nil {
		return "", fmt.Errorf("image source digest: %w", err)
	}
	h := sha256.New()
	for _, e := range entries {
		if e.Dir {
			fmt.Fprintf(h, "d %o %q\n", e.Mode, e.Rel)
			continue
		}
		sum, err := fileSHA256(e.Path)
		if err != nil {
			return "", fmt.Errorf("image source digest: %w", err)
		}
		fmt.Fprintf(h, "f %o %d %s %q\n", e.Mode, e.Size, sum, e.Rel)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func fileSHA256(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("%s: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
