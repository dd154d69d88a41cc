package writeevents

import (
	"regexp"
	"testing"
)

// Py is prepended to other programs (the extraction, the preview's workers): its top level defines only
// private names, so it never takes one of theirs.
func TestOnlyPrivateNames(t *testing.T) {
	defined := regexp.MustCompile(`(?m)^(?:def (\w+)|class (\w+)|import \S+ as (\w+)|import (\w+)|from \S+ import (\w+)|(\w+)\s*=)`)
	private := regexp.MustCompile(`^_(opendash|OPENDASH)_`)
	found := 0
	for _, m := range defined.FindAllStringSubmatch(Py, -1) {
		for _, name := range m[1:] {
			if name == "" {
				continue
			}
			found++
			if !private.MatchString(name) {
				t.Errorf("top-level name %q: prefix it _opendash_ (or _OPENDASH_)", name)
			}
		}
	}
	if found < 4 {
		t.Errorf("found %d top-level names in writeevents.py, want its import, list, flags and function", found)
	}
}
