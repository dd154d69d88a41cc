// Package static turns an extraction report into the static site: the files under assets/, each with its
// S3 key, content type and cache class, and the CloudFront behaviors that send requests to them.
package static

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"sort"
	"strings"

	"golang.org/x/sync/errgroup"

	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/manifest"
)

// Files writes the copied files of r into dir (rendered ones are already there, written by extract.py) and
// returns every static file, sorted by key, with its size and digest.
func Files(r *extract.Report, dir string) ([]manifest.File, error) {
	files := make([]manifest.File, 0, len(r.Rendered)+len(r.Copied))
	for _, f := range r.Rendered {
		files = append(files, manifest.File{Key: f.Key, Path: f.File, ContentType: f.ContentType})
	}
	for _, c := range r.Copied {
		files = append(files, manifest.File{Key: c.Key, Path: c.Key, ContentType: ContentType(c.Key)})
	}
	fingerprinted := map[string]bool{}
	sources := map[string]string{}
	for _, c := range r.Copied {
		fingerprinted[c.Key] = c.Fingerprinted
		sources[c.Key] = c.Source
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	for i := 1; i < len(files); i++ {
		if files[i].Key == files[i-1].Key {
			return nil, fmt.Errorf("two static files claim the URL /%s; report this as an OpenDash bug", files[i].Key)
		}
	}

	// Copy and hash in parallel: this is most of the bundle's bytes (plotly.min.js alone is megabytes).
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0) * 2)
	for i := range files {
		f := &files[i]
		if fingerprinted[f.Key] {
			f.Class, f.CacheControl = manifest.ClassImmutable, manifest.CacheImmutable
		} else {
			f.Class, f.CacheControl = manifest.ClassRevalidate, manifest.CacheRevalidate
		}
		dst := filepath.Join(dir, filepath.FromSlash(f.Path))
		src, copied := sources[f.Key]
		g.Go(func() error {
			var err error
			if copied {
				f.Size, f.SHA256, err = copyFile(src, dst)
			} else {
				f.Size, f.SHA256, err = hashFile(dst)
			}
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	return files, nil
}

// copyFile copies src to dst (creating parents) and returns the size and SHA-256 of what it wrote.
func copyFile(src, dst string) (int64, string, error) {
	in, err := os.Open(src)
	if err != nil {
		return 0, "", fmt.Errorf("reading %s: %w", src, err)
	}
	defer in.Close()
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return 0, "", err
	}
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return 0, "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(out, h), in)
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, "", fmt.Errorf("copying %s to %s: %w", src, dst, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func hashFile(name string) (int64, string, error) {
	f, err := os.Open(name)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return n, hex.EncodeToString(h.Sum(nil)), err
}

// firstSegment is the path segment after prefix ("_dash-component-suites" for
// "app/_dash-component-suites/dash/x.js" with prefix "app/"), or "" for a key with no further folder.
func firstSegment(key, prefix string) string {
	rest := strings.TrimPrefix(key, prefix)
	seg, _, found := strings.Cut(rest, "/")
	if !found {
		return ""
	}
	return path.Join(prefix, seg)
}
