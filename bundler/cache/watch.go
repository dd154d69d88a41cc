package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/opendash/opendash/manifest"
)

// WatchFile describes a file for a record; info may be nil (the file is then stat'ed, and recorded absent
// if it does not exist). sha256 may be "".
func WatchFile(path string, info os.FileInfo, sha256 string) File {
	if info == nil {
		var err error
		if info, err = os.Stat(path); err != nil {
			return File{Path: path, Absent: true}
		}
	}
	return File{Path: path, State: StateOf(info), SHA256: sha256}
}

// WatchDir describes an import folder (or zip) for a record.
func WatchDir(path string) Dir {
	info, err := os.Stat(path)
	if err != nil {
		return Dir{Path: path, Absent: true}
	}
	d := Dir{Path: path, State: StateOf(info)}
	if info.IsDir() {
		d.Listing, d.Newest = listing(path)
	}
	return d
}

// listing digests the package-metadata entries of an import folder: every *.dist-info and *.egg-info with
// the stat of its RECORD (rewritten by every install, upgrade or uninstall), and every .pth, .egg-link
// and .egg, which add folders to the import path. Listing a folder and stat'ing these is all it takes to
// notice a package change without starting Python.
func listing(dir string) (string, int64) {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return "unreadable: " + err.Error(), 0
	}
	h := sha256.New()
	var newest int64
	for _, e := range entries {
		name := e.Name()
		var probe string
		switch {
		case strings.HasSuffix(name, ".dist-info"):
			probe = filepath.Join(dir, name, "RECORD")
		case strings.HasSuffix(name, ".egg-info") && e.IsDir():
			probe = filepath.Join(dir, name, "PKG-INFO")
		case strings.HasSuffix(name, ".egg-info"), strings.HasSuffix(name, ".pth"),
			strings.HasSuffix(name, ".egg-link"), strings.HasSuffix(name, ".egg"):
			probe = filepath.Join(dir, name)
		default:
			continue
		}
		st := State{}
		if info, err := os.Stat(probe); err == nil {
			st = StateOf(info)
		}
		newest = max(newest, st.changed())
		fmt.Fprintf(h, "%s %d %d %d %d %o\n", name, st.Size, st.ModNs, st.ChangeNs, st.Inode, st.Mode)
	}
	return hex.EncodeToString(h.Sum(nil)), newest
}

// WatchOutput describes every file under out (paths relative to out, slash-separated, sorted by path).
func WatchOutput(out string) ([]File, error) {
	var files []File
	err := filepath.WalkDir(out, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && path == filepath.Join(out, manifest.DeployDir) {
			return filepath.SkipDir // the deploy's own files (the site archive) are not the bundle's
		}
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(out, path)
		files = append(files, File{Path: filepath.ToSlash(rel), State: StateOf(info)})
		return nil
	})
	sort.Slice(files, func(i, j int) bool { return files[i].Path < files[j].Path })
	return files, err
}

// Changed says what differs between the record and now, or "" when the recorded bundle can be reused.
// key is the digest of the options and environment now; sources are the app's source files as the walk
// just saw them.
func (r *Record) Changed(key string, sources []File) string {
	if r.Key != key {
		return "the options, environment variables, interpreter path or OpenDash itself changed"
	}
	if why := r.changedSources(sources); why != "" {
		return why
	}
	for _, f := range r.Inputs {
		if !r.fileUnchanged(f, nil) {
			return f.Path + " changed"
		}
	}
	for _, d := range r.Dirs {
		if now := WatchDir(d.Path); now.Absent != d.Absent || now.State != d.State || now.Listing != d.Listing ||
			r.racy(d.State) || d.Newest >= r.StartedNs-int64(RacyWindow) {
			return "installed packages in " + d.Path + " changed"
		}
	}
	return r.changedOutput()
}

func (r *Record) changedSources(now []File) string {
	recorded := make(map[string]File, len(r.Sources))
	for _, f := range r.Sources {
		recorded[f.Path] = f
	}
	for _, f := range now {
		old, ok := recorded[f.Path]
		if !ok {
			return f.Path + " is new"
		}
		if !r.fileUnchanged(old, &f.State) {
			return f.Path + " changed"
		}
		delete(recorded, f.Path)
	}
	for path := range recorded {
		return path + " is gone"
	}
	return ""
}

// fileUnchanged compares a recorded file with its state now (stat'ed unless given). A stat equal to the
// recorded one is trusted unless racy; then only a digest can tell.
func (r *Record) fileUnchanged(f File, now *State) bool {
	if now == nil {
		info, err := os.Stat(f.Path)
		if err != nil {
			return f.Absent && errors.Is(err, os.ErrNotExist)
		}
		st := StateOf(info)
		now = &st
	}
	if f.Absent {
		return false
	}
	same := now.Size == f.State.Size && now.ModNs == f.State.ModNs && now.Mode == f.State.Mode
	if !same {
		return false // mtime and mode are part of the output (asset ?m= queries, copied modes)
	}
	if *now == f.State && !r.racy(f.State) {
		return true
	}
	return f.SHA256 != "" && hashOf(f.Path) == f.SHA256
}

func (r *Record) racy(s State) bool {
	return s.changed() >= r.StartedNs-int64(RacyWindow)
}

func (r *Record) changedOutput() string {
	now, err := WatchOutput(r.Out)
	if err != nil {
		return "the bundle " + r.Out + " cannot be read: " + err.Error()
	}
	if len(now) != len(r.Output) {
		return "files were added to or removed from " + r.Out
	}
	for i, f := range now {
		want := r.Output[i]
		if f.Path != want.Path || f.State != want.State {
			return filepath.Join(r.Out, filepath.FromSlash(f.Path)) + " was changed after bundling"
		}
	}
	return ""
}

func hashOf(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil))
}
