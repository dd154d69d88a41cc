// Package cache remembers what a finished bundle was made from, so that bundling again with nothing
// changed reuses the bundle without starting Python.
//
// A Record describes one output folder: a key (a digest of the options, OpenDash's own build and the
// environment variables Python and Dash read), the stat of every input file (the app's source with its
// digest, the interpreter, the component-suite files whose mtimes Dash's fingerprints are made of, the
// requirement files), the import folders of the interpreter (their dist-info/egg-info/.pth entries with
// the stat of each RECORD) and the stat of every file the bundle wrote. Records live outside the output
// (Location), so the bundle stays byte-for-byte what the inputs make it, and nothing is written beside the
// user's files.
package cache

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"github.com/opendash/opendash/bundler/output"
)

// DirEnv overrides where records are kept (default: the user cache folder + "/opendash").
const DirEnv = "OPENDASH_CACHE_DIR"

// format changes whenever a Record written by an older OpenDash could be misread.
const format = 1

// RacyWindow: an input changed less than this before a bundle started is not trusted on its stat alone
// (a second write within the file system's timestamp granularity would leave the same stat). Files with a
// digest are then re-hashed; others make the record a miss. Tests lower it to use fresh fixtures.
var RacyWindow = 2 * time.Second

// Records not rewritten for pruneAfter are deleted when another record is saved, and so are the oldest
// beyond maxRecords.
const (
	pruneAfter = 60 * 24 * time.Hour
	maxRecords = 200
)

// Record is what one bundle was made from and what it wrote.
type Record struct {
	Format    int     `json:"format"`
	Out       string  `json:"out"` // the absolute output folder
	Key       string  `json:"key"`
	StartedNs int64   `json:"startedNs"` // when the bundle started (inputs changed after it are racy)
	BuildID   string  `json:"buildId"`
	Summary   Summary `json:"summary"`
	Sources   []File  `json:"sources"` // the app's source files, as the server function copies them
	Inputs    []File  `json:"inputs"`  // every other input file
	Dirs      []Dir   `json:"dirs"`    // the interpreter's import folders
	Output    []File  `json:"output"`  // every file of the bundle; Path relative to Out, slash-separated
}

// Summary is what a reused bundle reports about itself.
type Summary struct {
	Files       int   `json:"files"`
	Bytes       int64 `json:"bytes"`
	StaticFiles int   `json:"staticFiles"`
	StaticBytes int64 `json:"staticBytes"`
}

// File is one watched file. SHA256, when known, lets a racy stat be settled by reading the file.
type File struct {
	Path   string `json:"path"`
	Absent bool   `json:"absent,omitempty"`
	State  State  `json:"state"`
	SHA256 string `json:"sha256,omitempty"`
}

// Dir is one watched import folder: its own stat and a digest of its package-metadata entries.
type Dir struct {
	Path    string `json:"path"`
	Absent  bool   `json:"absent,omitempty"`
	State   State  `json:"state"`
	Listing string `json:"listing"`
	Newest  int64  `json:"newest"` // the newest change among the listed entries
}

// Location returns where records are kept: $OPENDASH_CACHE_DIR, else the user cache folder + "/opendash".
func Location() (string, error) {
	if d := os.Getenv(DirEnv); d != "" {
		return filepath.Abs(d)
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("no cache folder (%w); set %s", err, DirEnv)
	}
	return filepath.Join(base, "opendash"), nil
}

// recordFile is the record of the bundle written to out: one small JSON file per output folder.
func recordFile(dir, out string) string {
	sum := sha256.Sum256([]byte(out))
	return filepath.Join(dir, "bundles", hex.EncodeToString(sum[:12])+".json")
}

// Load reads the record of out; (nil, nil) when there is none.
func Load(dir, out string) (*Record, error) {
	data, err := os.ReadFile(recordFile(dir, out))
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var r Record
	if err := json.Unmarshal(data, &r); err != nil || r.Format != format || r.Out != out {
		return nil, nil // unreadable, from another OpenDash, or another folder's: as good as none
	}
	return &r, nil
}

// Save writes the record atomically (a reader sees the old record or the new one) and prunes stale ones.
func (r *Record) Save(dir string) error {
	r.Format = format
	name := recordFile(dir, r.Out)
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	data, err := json.Marshal(r)
	if err != nil {
		return err
	}
	_, existed := os.Stat(name)
	if err := output.WriteFile(name, data); err != nil {
		return err
	}
	if existed != nil { // a new record: time to drop stale ones (not on every bundle, it lists them all)
		prune(filepath.Dir(name), name)
	}
	return nil
}

// Forget deletes the record of out, if any.
func Forget(dir, out string) {
	os.Remove(recordFile(dir, out))
}

// prune deletes records not rewritten for pruneAfter, and the oldest beyond maxRecords (test suites that
// bundle into fresh temporary folders would otherwise leave one record per run).
func prune(dir, keep string) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	type record struct {
		name string
		mod  time.Time
	}
	var records []record
	for _, e := range entries {
		if info, err := e.Info(); err == nil && filepath.Join(dir, e.Name()) != keep {
			records = append(records, record{filepath.Join(dir, e.Name()), info.ModTime()})
		}
	}
	sort.Slice(records, func(i, j int) bool { return records[i].mod.After(records[j].mod) })
	for i, r := range records {
		if i >= maxRecords-1 || time.Since(r.mod) > pruneAfter {
			os.Remove(r.name)
		}
	}
}
