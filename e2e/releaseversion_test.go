package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// releaseMentions are the ways the docs and the examples name a release of OpenDash.
var releaseMentions = regexp.MustCompile(`opendash@v?(\d+\.\d+\.\d+)\b|resource opendash (\d+\.\d+\.\d+)\b|` +
	`releases/download/v(\d+\.\d+\.\d+)\b|(?m)^\s*version: (\d+\.\d+\.\d+)\s*$|github\.com/opendash/opendash v(\d+\.\d+\.\d+)\b|` +
	`(?:open-dash|pulumi-resource-opendash|opendash)-v(\d+\.\d+\.\d+)-|release is \*\*v(\d+\.\d+\.\d+)\*\*`)

// TestDocsNameOneRelease: README.md, docs/ and the examples name one release of OpenDash wherever they
// name one (go get, go install, the plugin's version and download URL, archive names, examples/go/go.mod),
// so that a new release is one change everywhere (CONTRIBUTING.md, Releasing).
func TestDocsNameOneRelease(t *testing.T) {
	files := []string{"../README.md", "../examples/go/go.mod"}
	for _, glob := range []string{"../docs/*.md", "../examples/*/README.md", "../examples/*/Pulumi.yaml"} {
		m, err := filepath.Glob(glob)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, m...)
	}
	seen := map[string][]string{}
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range releaseMentions.FindAllStringSubmatch(string(data), -1) {
			for _, v := range m[1:] {
				if v != "" {
					seen[v] = append(seen[v], strings.TrimPrefix(f, "../")+": "+m[0])
				}
			}
		}
	}
	if len(seen) != 1 {
		var all []string
		for v, where := range seen {
			all = append(all, v+" in "+strings.Join(where, "; "))
		}
		sort.Strings(all)
		t.Errorf("the docs name %d releases, want one:\n%s", len(seen), strings.Join(all, "\n"))
	}
}
