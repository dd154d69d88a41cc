package preview

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/opendash/opendash/manifest"
)

// Finding a bundle the way `open-dash bundle` places it: .open-dash beside the source folder, or any folder
// beside it whose manifest records that source (an --out such as .open-dash-pages).

// DefaultDir is the bundle `open-dash preview` serves when given neither a folder nor a source.
const DefaultDir = ".open-dash"

// Found is a bundle on disk and the app folder it was made from ("" when its manifest does not say).
type Found struct {
	Dir    string
	Source string
	m      manifest.Manifest // read leniently: only App.Source is used
	made   time.Time         // when its manifest was written
}

// ForSource returns the bundle of the app folder source (see FindSource).
func ForSource(source string) (string, error) {
	dir, _, err := FindSource(source)
	return dir, err
}

// FindSource returns the bundle of the app folder source, however the folder is spelled ("." included): the
// .open-dash beside it, or a folder beside it or inside it (an --out) whose manifest records that source.
// With several, the newest (by its manifest's time) is returned, and note names it and the others.
func FindSource(source string) (dir, note string, err error) {
	src, err := filepath.Abs(source)
	if err != nil {
		return "", "", err
	}
	if info, err := os.Stat(src); err != nil || !info.IsDir() {
		return "", "", fmt.Errorf("source folder %s does not exist; pass the app folder you bundled", src)
	}
	parent := filepath.Dir(src)
	beside := filepath.Join(parent, DefaultDir)
	var found []Found
	if b, ok := readFound(beside); ok && (b.m.App.Source == "" || b.m.MadeFrom(beside, src)) {
		found = append(found, b)
	}
	for _, b := range append(bundlesIn(parent, 1), bundlesIn(src, 1)...) {
		if b.Dir != beside && b.m.MadeFrom(b.Dir, src) {
			found = append(found, b)
		}
	}
	if len(found) == 0 {
		return "", "", fmt.Errorf("no bundle of %s in %s, beside it or inside it"+
			"\n  hint: bundle it first: open-dash bundle --source %s (or pass --dir with the --out you bundled into)",
			src, parent, source)
	}
	if len(found) == 1 {
		return found[0].Dir, "", nil
	}
	sort.SliceStable(found, func(i, j int) bool { return found[i].made.After(found[j].made) })
	var others []string
	for _, b := range found[1:] {
		others = append(others, fmt.Sprintf("%s (bundled %s)", b.Dir, b.made.Format("2006-01-02 15:04:05")))
	}
	note = fmt.Sprintf("%d bundles of %s: using the newest, %s (bundled %s); also %s. Pass --dir to choose another",
		len(found), src, found[0].Dir, found[0].made.Format("2006-01-02 15:04:05"), strings.Join(others, ", "))
	return found[0].Dir, note, nil
}

// Missing explains a missing default bundle, naming the bundles found below cwd and what to pass.
func Missing(cwd string) error {
	found := bundlesIn(cwd, 3)
	if len(found) == 0 {
		return fmt.Errorf("no bundle in %s, nor in the folders below it"+
			"\n  hint: bundle your app first: open-dash bundle --source APP_FOLDER, then pass --source APP_FOLDER",
			filepath.Join(cwd, DefaultDir))
	}
	var lines []string
	for _, b := range found {
		dir := relTo(cwd, b.Dir)
		if b.Source == "" {
			lines = append(lines, fmt.Sprintf("--dir %s", dir))
		} else {
			lines = append(lines, fmt.Sprintf("--source %s (or --dir %s)", relTo(cwd, b.Source), dir))
		}
	}
	return fmt.Errorf("no bundle in %s\n  hint: bundles were found nearby; pass one of: %s",
		filepath.Join(cwd, DefaultDir), strings.Join(lines, "; "))
}

// bundlesIn lists the bundle folders under root, at most depth folders down, sorted; it skips hidden
// folders other than bundles, virtualenvs and node_modules.
func bundlesIn(root string, depth int) []Found {
	var found []Found
	base := strings.Count(filepath.Clean(root), string(filepath.Separator))
	filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.IsDir() {
			return nil
		}
		if path == root {
			return nil
		}
		name := d.Name()
		if b, ok := readFound(path); ok {
			found = append(found, b)
			return filepath.SkipDir
		}
		if strings.HasPrefix(name, ".") || name == "node_modules" ||
			strings.Count(path, string(filepath.Separator))-base >= depth {
			return filepath.SkipDir
		}
		if _, err := os.Stat(filepath.Join(path, "pyvenv.cfg")); err == nil {
			return filepath.SkipDir
		}
		return nil
	})
	sort.Slice(found, func(i, j int) bool { return found[i].Dir < found[j].Dir })
	return found
}

// readFound reads only the recorded source of dir's manifest: any bundle counts, whatever its version.
func readFound(dir string) (Found, bool) {
	file := filepath.Join(dir, manifest.FileName)
	data, err := os.ReadFile(file)
	if err != nil {
		return Found{}, false
	}
	f := Found{Dir: dir}
	if info, err := os.Stat(file); err == nil {
		f.made = info.ModTime()
	}
	json.Unmarshal(data, &f.m) // a manifest of another version is still a bundle
	f.Source = f.m.SourceDir(dir)
	return f, true
}

func relTo(base, path string) string {
	if rel, err := filepath.Rel(base, path); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return path
}
