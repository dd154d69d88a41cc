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
	"sort"
	"strings"

	"github.com/opendash/opendash/bundler/extract"
	"github.com/opendash/opendash/manifest"
)

// Files writes the copied files of r into dir (rendered ones are already there, written by extract.py) and
// returns every static file, sorted by key, with its size and digest.
func Files(r *extract.Report, dir string) ([]manifest.File, error) {
	files, _, err := FilesCopied(r, dir, NewCopier(dir))
	return files, err
}

// FilesCopied is Files for copies already started on c (extract.py streams them while it runs); it starts
// any copy not yet started and returns the copies too, for callers that watch their sources.
func FilesCopied(r *extract.Report, dir string, c *Copier) ([]manifest.File, map[string]*Copy, error) {
	files := make([]manifest.File, 0, len(r.Rendered)+len(r.Copied))
	for _, f := range r.Rendered {
		files = append(files, manifest.File{Key: f.Key, Path: f.File, ContentType: f.ContentType, Size: f.Size, SHA256: f.SHA256,
			SiteOrigin: f.SiteOrigin})
	}
	fingerprinted := map[string]bool{}
	for _, cp := range r.Copied {
		files = append(files, manifest.File{Key: cp.Key, Path: cp.Key, ContentType: ContentType(cp.Key)})
		fingerprinted[cp.Key] = cp.Fingerprinted
		c.Start(cp.Key, cp.Source, cp.Size, cp.MtimeNs)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Key < files[j].Key })
	for i := 1; i < len(files); i++ {
		if files[i].Key == files[i-1].Key {
			c.Wait()
			return nil, nil, fmt.Errorf("two static files claim the URL /%s; report this as an OpenDash bug", files[i].Key)
		}
	}
	copies := c.Wait()
	for i := range files {
		f := &files[i]
		if fingerprinted[f.Key] {
			f.Class, f.CacheControl = manifest.ClassImmutable, manifest.CacheImmutable
		} else {
			f.Class, f.CacheControl = manifest.ClassRevalidate, manifest.CacheRevalidate
		}
		if cp, copied := copies[f.Key]; copied {
			if cp.Err != nil {
				return nil, nil, cp.Err
			}
			f.Size, f.SHA256 = cp.Size, cp.SHA256
		} else if f.SHA256 == "" { // a rendered file whose digest extract.py did not report
			var err error
			if f.Size, f.SHA256, err = hashFile(filepath.Join(dir, filepath.FromSlash(f.Path))); err != nil {
				return nil, nil, err
			}
		}
	}
	return files, copies, nil
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
	if !strings.HasPrefix(key, prefix) {
		prefix = "" // outside the app's prefix: Flask's /static of an app at /dash/
	}
	rest := strings.TrimPrefix(key, prefix)
	seg, _, found := strings.Cut(rest, "/")
	if !found {
		return ""
	}
	return path.Join(prefix, seg)
}
