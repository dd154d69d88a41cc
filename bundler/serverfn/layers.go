package serverfn

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/opendash/opendash/manifest"
)

// Image layers for the app copy: an asset edit (a stylesheet, an image) is the most frequent change to a
// Dash app, so Dash's assets folder gets the last layer of its own and such an edit rebuilds and pushes only
// that layer. The server still needs the assets: Dash lists them in every page it renders, and their
// content makes the ?m= queries (opendash_times.py).

// assetsDir is Dash's default assets_folder, relative to the app.
const assetsDir = "assets"

// maxAppLayers bounds the COPY instructions (one per top-level folder): past it, one layer for everything.
const maxAppLayers = 30

// plainName is a top-level name that a COPY source can carry as is: no glob characters, spaces, quotes,
// variables, or leading dash.
var plainName = regexp.MustCompile(`^[A-Za-z0-9._@+][A-Za-z0-9._@+-]*$`)

// topLevel lists the first path segments of what the image gets besides requirements.txt (which the
// dependency layer copies): top-level files and folders of the app copy and the generated files.
func (b *Bundle) topLevel() (files, dirs []string) {
	seen := map[string]bool{}
	add := func(name string, dir bool) {
		if seen[name] {
			return
		}
		seen[name] = true
		if dir {
			dirs = append(dirs, name)
		} else {
			files = append(files, name)
		}
	}
	for _, f := range b.files {
		first, _, nested := strings.Cut(f.Rel, "/")
		if first != RequirementsFile {
			add(first, nested)
		}
	}
	for _, g := range shippedFiles() {
		if g.name != DockerignoreFile { // Docker reads it; the image does not need it
			add(g.name, false)
		}
	}
	if b.entry != (manifest.Entry{}) {
		add(EntryFile, false)
	}
	if p := b.prefixes; p[0] != p[1] {
		add(PrefixFile, false)
	}
	slices.Sort(files)
	slices.Sort(dirs)
	return files, dirs
}

// appLayers returns the Dockerfile lines that copy the app: code, the files and folders but assets, then
// assets, the folder in a last layer of its own (empty when there is none). Without an assets folder, with
// unusual names or too many folders, code is one `COPY .`, as before.
func appLayers(files, dirs []string) (code, assets string) {
	single := "\n# The app and the handler.\nCOPY . ${LAMBDA_TASK_ROOT}/\n"
	if !slices.Contains(dirs, assetsDir) || len(dirs) > maxAppLayers ||
		slices.ContainsFunc(append(slices.Clone(files), dirs...), func(n string) bool { return !plainName.MatchString(n) }) {
		return single, ""
	}
	var b strings.Builder
	b.WriteString("\n# The app and the handler, then each folder: a code change leaves the assets layer as it is.\n")
	if len(files) > 0 {
		fmt.Fprintf(&b, "COPY %s ${LAMBDA_TASK_ROOT}/\n", strings.Join(files, " "))
	}
	for _, d := range dirs {
		if d != assetsDir {
			fmt.Fprintf(&b, "COPY %s ${LAMBDA_TASK_ROOT}/%s/\n", d, d)
		}
	}
	return b.String(), fmt.Sprintf("\n# Assets last, in a layer of their own: an asset edit rebuilds and pushes "+
		"only this layer.\nCOPY %s ${LAMBDA_TASK_ROOT}/%s/\n", assetsDir, assetsDir)
}
