package e2e

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// docPages lists the documentation's pages, relative to root: the README, CONTRIBUTING.md, docs/ and the
// examples' READMEs.
func docPages(t *testing.T, root string) []string {
	pages := []string{"README.md", "CONTRIBUTING.md"}
	for _, pattern := range []string{"docs/*.md", "examples/*/README.md"} {
		found, err := filepath.Glob(filepath.Join(root, pattern))
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range found {
			rel, _ := filepath.Rel(root, f)
			pages = append(pages, rel)
		}
	}
	return pages
}

// TestDocsLinks keeps the documentation's links working while pages move and grow: every relative link in
// README.md, CONTRIBUTING.md, docs/ and the examples' READMEs names a file that exists and, with a
// #fragment, a heading of that file (GitHub's anchors). Links inside code are not links.
func TestDocsLinks(t *testing.T) {
	root := ".."
	pages := docPages(t, root)
	anchors := map[string]map[string]bool{} // page → its anchors, read once
	anchorsOf := func(page string) (map[string]bool, error) {
		if a, ok := anchors[page]; ok {
			return a, nil
		}
		raw, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			return nil, err
		}
		a := headingAnchors(string(raw))
		anchors[page] = a
		return a, nil
	}
	checked := 0
	for _, page := range pages {
		raw, err := os.ReadFile(filepath.Join(root, page))
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range markdownLinks(string(raw)) {
			if strings.Contains(l.target, "://") || strings.HasPrefix(l.target, "mailto:") {
				continue
			}
			checked++
			file, fragment, _ := strings.Cut(l.target, "#")
			target := page
			if file != "" {
				target = filepath.ToSlash(filepath.Join(filepath.Dir(page), file))
				if _, err := os.Stat(filepath.Join(root, target)); err != nil {
					t.Errorf("%s:%d: link %q: %s does not exist", page, l.line, l.target, target)
					continue
				}
			}
			if fragment == "" {
				continue
			}
			a, err := anchorsOf(target)
			if err != nil {
				t.Errorf("%s:%d: link %q: %v", page, l.line, l.target, err)
			} else if !a[fragment] {
				t.Errorf("%s:%d: link %q: %s has no heading with the anchor #%s", page, l.line, l.target, target, fragment)
			}
		}
	}
	if checked == 0 {
		t.Fatal("no relative links found: the scan is broken")
	}
}

type mdLink struct {
	line   int
	target string
}

var (
	linkRE       = regexp.MustCompile(`\]\(([^)\s]+)\)`)
	inlineCodeRE = regexp.MustCompile("`[^`]*`")
)

// markdownLinks returns the targets of the [text](target) links outside code fences and inline code.
func markdownLinks(text string) []mdLink {
	var links []mdLink
	fenced := false
	for i, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		if fenced {
			continue
		}
		for _, m := range linkRE.FindAllStringSubmatch(inlineCodeRE.ReplaceAllString(line, "``"), -1) {
			links = append(links, mdLink{line: i + 1, target: m[1]})
		}
	}
	return links
}

// headingAnchors returns the anchors GitHub gives a page's headings: lower case, punctuation dropped,
// spaces as hyphens, and -1, -2, ... after repeats.
func headingAnchors(text string) map[string]bool {
	anchors := map[string]bool{}
	seen := map[string]int{}
	fenced := false
	for _, line := range strings.Split(text, "\n") {
		if strings.HasPrefix(strings.TrimSpace(line), "```") {
			fenced = !fenced
			continue
		}
		title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " ")
		if fenced || !strings.HasPrefix(line, "#") || !ok {
			continue
		}
		slug := githubSlug(title)
		if n := seen[slug]; n > 0 {
			anchors[fmt.Sprintf("%s-%d", slug, n)] = true
		} else {
			anchors[slug] = true
		}
		seen[slug]++
	}
	return anchors
}

func githubSlug(title string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(title)) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r) || r == '-' || r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteByte('-')
		}
	}
	return b.String()
}

func TestGithubSlug(t *testing.T) {
	for _, c := range []struct{ title, want string }{
		{"Origin auth: `edge` or `oac`", "origin-auth-edge-or-oac"},
		{"Before the first `pulumi up`: a checklist", "before-the-first-pulumi-up-a-checklist"},
		{"Your app's entry point", "your-apps-entry-point"},
		{"Example (Go)", "example-go"},
		{"1. Prerequisites", "1-prerequisites"},
		{"YAML, TypeScript, Python: the `opendash` plugin", "yaml-typescript-python-the-opendash-plugin"},
	} {
		if got := githubSlug(c.title); got != c.want {
			t.Errorf("githubSlug(%q) = %q, want %q", c.title, got, c.want)
		}
	}
}
