package bundler

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/opendash/opendash/manifest"
)

// Output ownership: a bundle replaces its output folder as a whole, so before anything runs the folder must
// be empty, missing, or a bundle of this same source folder (--force replaces another app's bundle). A
// folder that is not a bundle at all is never replaced: OpenDash touches nothing outside its own bundles.

// sourceFromOut is what the manifest records as the source: the source folder relative to the bundle.
func sourceFromOut(out, src string) string {
	rel, err := filepath.Rel(out, src)
	if err != nil {
		return "" // no relative path exists (another volume): the bundle cannot tell, as before
	}
	return filepath.ToSlash(rel)
}

func checkOwner(src, out string, force bool) error {
	entries, err := os.ReadDir(out)
	if errors.Is(err, os.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	}
	if err != nil {
		return nil // not a folder, or unreadable: output.Begin says so with its own message
	}
	data, err := os.ReadFile(filepath.Join(out, manifest.FileName))
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("output folder %s holds files but no %s: it is not a bundle, and bundling would replace it"+
			"\n  hint: choose another --out, or move that folder away", out, manifest.FileName)
	}
	if err != nil {
		return fmt.Errorf("output folder %s: %w", out, err)
	}
	// Only the recorded source matters here (read leniently: a manifest of another OpenDash version is still
	// a bundle, and one that does not record its source may be replaced, as before).
	var m manifest.Manifest
	json.Unmarshal(data, &m)
	owner := m.SourceDir(out)
	if owner == "" || force || m.MadeFrom(out, src) {
		return nil
	}
	return fmt.Errorf("output folder %s holds the bundle of %s, not of %s; bundling would replace it"+
		"\n  hint: give each app its own output folder: --out %s (or pass --force to replace that bundle)",
		out, owner, src, OwnOutDir(src))
}

// OwnOutDir is the output folder suggested for an app whose default one holds another app's bundle.
func OwnOutDir(src string) string {
	return filepath.Join(filepath.Dir(src), OutputDirName+"-"+filepath.Base(src))
}
