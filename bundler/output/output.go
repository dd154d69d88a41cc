// Package output builds a bundle beside its final place and swaps it in at the end, so a reader never sees
// a half-written .open-dash and a failed run leaves the previous bundle intact.
package output

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// Staging is a bundle under construction: a hidden folder next to the final one (same filesystem, so the
// swap is a rename).
type Staging struct {
	Dir   string // where to write now
	final string
}

// mkdirTemp is os.MkdirTemp; tests replace it to simulate an unwritable parent on any user, root included.
var mkdirTemp = os.MkdirTemp

// Begin creates the staging folder for a bundle that will end up at final.
func Begin(final string) (*Staging, error) {
	parent := filepath.Dir(final)
	info, err := os.Stat(parent)
	if err != nil {
		return nil, fmt.Errorf("output folder's parent %s: %w; create it or choose another --out", parent, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("output folder's parent %s is not a folder; choose another --out", parent)
	}
	if fi, err := os.Lstat(final); err == nil && !fi.IsDir() {
		return nil, fmt.Errorf("%s exists and is not a folder; move it away or choose another --out", final)
	}
	dir, err := mkdirTemp(parent, "."+filepath.Base(final)+".staging-")
	if err != nil {
		return nil, fmt.Errorf("cannot write the bundle beside the source: %w; make %s writable or choose another --out", err, parent)
	}
	return &Staging{Dir: dir, final: final}, nil
}

// Abort removes the staging folder; the previous bundle, if any, is untouched.
func (s *Staging) Abort() {
	os.RemoveAll(s.Dir)
}

// Commit replaces the final folder with the staging one. The old bundle is moved aside first and removed
// only after the new one is in place, so a crash in between leaves one complete bundle behind.
func (s *Staging) Commit() error {
	if err := os.Chmod(s.Dir, 0o755); err != nil { // MkdirTemp makes it 0700
		return err
	}
	old := ""
	if _, err := os.Lstat(s.final); err == nil {
		old = s.Dir + ".old"
		if err := os.Rename(s.final, old); err != nil {
			return fmt.Errorf("moving the previous bundle %s aside: %w", s.final, err)
		}
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Rename(s.Dir, s.final); err != nil {
		if old != "" {
			os.Rename(old, s.final) // put the previous bundle back
		}
		return fmt.Errorf("moving the new bundle into %s: %w", s.final, err)
	}
	if old != "" {
		return os.RemoveAll(old)
	}
	return nil
}

// WriteFile writes data to name through a temporary file in the same folder and a rename, so a reader sees
// the old content or the new, never a part.
func WriteFile(name string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp-*")
	if err != nil {
		return err
	}
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), name)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}
