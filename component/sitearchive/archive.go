// Package sitearchive packs a bundle's static site into one deterministic zip: what the component uploads
// as a single S3 object, for the sync function (component/functions/sync.py) to unpack into the site bucket.
// One archive replaces one Pulumi resource per static file, whose cost grew with the square of the file count.
//
// The zip holds IndexEntry (the files' keys, headers and digests, taken from the manifest) and every file
// under FilesPrefix+key. Same manifest files, same bytes: entries are sorted, timestamps fixed, and the
// archive is named by a digest of its content, so an unchanged site is neither rewritten nor re-uploaded.
package sitearchive

import (
	"archive/zip"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/opendash/opendash/manifest"
)

// Names inside the zip, and the format sync.py reads; a change that old sync functions would misread
// bumps Format.
const (
	IndexEntry  = "opendash-sync.json"
	FilesPrefix = "site/"
	Format      = 1
	namePrefix  = "static-"
)

// modified is every entry's timestamp: fixed, so the bytes depend on content only.
var modified = time.Date(1980, time.January, 1, 0, 0, 0, 0, time.UTC)

// Index is the IndexEntry document.
type Index struct {
	Format int     `json:"format"`
	Digest string  `json:"digest"`
	Files  []Entry `json:"files"` // the manifest's order: sorted by key
}

// Entry is one static object as the sync function writes it.
type Entry struct {
	Key          string `json:"key"`
	ContentType  string `json:"contentType"`
	CacheControl string `json:"cacheControl"`
	Class        string `json:"class"`
	Size         int64  `json:"size"`
	SHA256       string `json:"sha256"`
	// MD5 is what S3 reports as the ETag of an object uploaded in one part: the sync compares it to skip
	// unchanged objects without downloading them.
	MD5 string `json:"md5"`
	// SiteOrigin: the file names manifest.OriginPlaceholder, which the sync replaces by the site's origin
	// (its input's siteOrigin) before it compares and uploads it (Size, SHA256 and MD5 are the bundle's).
	SiteOrigin bool `json:"siteOrigin,omitempty"`
}

// Archive is a written zip.
type Archive struct {
	Path   string // the zip file
	Name   string // its base name, static-<digest>.zip: the S3 key's last part
	Digest string // of the files' keys, headers and bytes
	Files  int
}

// Digest identifies the static site the manifest describes: keys, headers, classes and content digests.
func Digest(m *manifest.Manifest) string {
	h := sha256.New()
	fmt.Fprintf(h, "opendash-sync %d\n", Format)
	for _, f := range m.Files {
		fmt.Fprintf(h, "%q %q %q %q %s", f.Key, f.ContentType, f.CacheControl, f.Class, f.SHA256)
		if f.SiteOrigin {
			fmt.Fprint(h, " site-origin") // only then: the digest of an existing site stays what it was
		}
		fmt.Fprintln(h)
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// Write packs the static files of the bundle in bundleDir (as its manifest m lists them) into
// outDir/static-<digest>.zip, unless that file is already there, and removes older archives from outDir.
// A file whose bytes no longer match the manifest's digest is an error: the bundle changed after bundling.
func Write(bundleDir string, m *manifest.Manifest, outDir string) (Archive, error) {
	digest := Digest(m)
	a := Archive{Name: namePrefix + digest + ".zip", Digest: digest, Files: len(m.Files)}
	a.Path = filepath.Join(outDir, a.Name)
	if info, err := os.Stat(a.Path); err == nil && info.Mode().IsRegular() {
		return a, removeOthers(outDir, a.Name) // named by its content: the same name is the same archive
	}
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return a, fmt.Errorf("static site archive: %w; make %s writable", err, outDir)
	}
	tmp, err := os.CreateTemp(outDir, "."+a.Name+".tmp-*")
	if err != nil {
		return a, fmt.Errorf("static site archive: %w; make %s writable", err, outDir)
	}
	defer os.Remove(tmp.Name()) // after the rename this removes nothing
	err = pack(tmp, filepath.Join(bundleDir, filepath.FromSlash(m.Origins.S3.Dir)), m, digest)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), a.Path)
	}
	if err != nil {
		return a, err
	}
	return a, removeOthers(outDir, a.Name)
}

// pack writes the index, then every file in key order, checking each against the manifest's digest.
func pack(w io.Writer, siteDir string, m *manifest.Manifest, digest string) error {
	zw := zip.NewWriter(w)
	entries := make([]Entry, 0, len(m.Files))
	// The index comes first and holds every file's MD5: files are read twice (hash, then pack) rather
	// than held in memory, since a site can be large.
	for _, f := range m.Files {
		sum, err := md5Of(filepath.Join(siteDir, filepath.FromSlash(f.Path)), f)
		if err != nil {
			return err
		}
		entries = append(entries, Entry{Key: f.Key, ContentType: f.ContentType, CacheControl: f.CacheControl,
			Class: f.Class, Size: f.Size, SHA256: f.SHA256, MD5: sum, SiteOrigin: f.SiteOrigin})
	}
	index, err := json.Marshal(Index{Format: Format, Digest: digest, Files: entries})
	if err != nil {
		return err
	}
	if err := addEntry(zw, IndexEntry, zip.Deflate, strings.NewReader(string(index))); err != nil {
		return err
	}
	for _, f := range m.Files {
		src := filepath.Join(siteDir, filepath.FromSlash(f.Path))
		in, err := os.Open(src)
		if err != nil {
			return fmt.Errorf("static site archive: %w; the bundle is incomplete, re-run `open-dash bundle`", err)
		}
		err = addEntry(zw, FilesPrefix+f.Key, methodFor(f.ContentType), in)
		in.Close()
		if err != nil {
			return fmt.Errorf("static site archive: %s: %w", src, err)
		}
	}
	return zw.Close()
}

// md5Of hashes a static file, checking its SHA-256 against the manifest on the way.
func md5Of(path string, f manifest.File) (string, error) {
	in, err := os.Open(path)
	if err != nil {
		return "", fmt.Errorf("static site archive: %w; the bundle is incomplete, re-run `open-dash bundle`", err)
	}
	defer in.Close()
	m5, s256 := md5.New(), sha256.New()
	if _, err := io.Copy(io.MultiWriter(m5, s256), in); err != nil {
		return "", fmt.Errorf("static site archive: %s: %w", path, err)
	}
	if got := hex.EncodeToString(s256.Sum(nil)); got != f.SHA256 {
		return "", fmt.Errorf("static site archive: %s changed after bundling (sha256 %s, the manifest says %s); "+
			"re-run `open-dash bundle`", path, got, f.SHA256)
	}
	return hex.EncodeToString(m5.Sum(nil)), nil
}

func addEntry(zw *zip.Writer, name string, method uint16, r io.Reader) error {
	fh := &zip.FileHeader{Name: name, Method: method, Modified: modified}
	fh.SetMode(0o644)
	w, err := zw.CreateHeader(fh)
	if err != nil {
		return err
	}
	_, err = io.Copy(w, r)
	return err
}

// methodFor stores what is already compressed (images, fonts, archives) and deflates the rest.
func methodFor(contentType string) uint16 {
	mime := strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0])
	switch {
	case mime == "image/svg+xml", mime == "image/x-icon", mime == "image/bmp":
		return zip.Deflate
	case strings.HasPrefix(mime, "image/"), strings.HasPrefix(mime, "video/"), strings.HasPrefix(mime, "audio/"),
		mime == "font/woff", mime == "font/woff2", mime == "application/zip", mime == "application/gzip":
		return zip.Store
	}
	return zip.Deflate
}

// removeOthers deletes the archives of earlier deploys: only the current one is needed.
func removeOthers(dir, keep string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		n := e.Name()
		if n != keep && strings.HasPrefix(n, namePrefix) && strings.HasSuffix(n, ".zip") {
			if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, os.ErrNotExist) {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}
