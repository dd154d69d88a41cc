package version

import (
	"runtime/debug"
	"testing"
)

func TestStampedVersion(t *testing.T) {
	old := Stamped
	t.Cleanup(func() { Stamped = old })
	for _, tt := range []struct{ stamped, str, plugin string }{
		{"v0.2.0", "v0.2.0", "0.2.0"},
		{"v1.0.0-rc.1", "v1.0.0-rc.1", "1.0.0-rc.1"},
		{"v0.2.0-3-g679472b", "v0.2.0-3-g679472b", "0.2.0-3-g679472b"}, // git describe past a tag
		{"v0.2.0-dirty", "v0.2.0-dirty", "0.2.0-dirty"},
		{"679472b", "679472b", Dev}, // not a semantic version: Pulumi would refuse it
		{"", Dev, Dev},              // go test builds carry no release
	} {
		Stamped = tt.stamped
		if got := String(); got != tt.str {
			t.Errorf("Stamped %q: String() = %q, want %q", tt.stamped, got, tt.str)
		}
		if got := Plugin(); got != tt.plugin {
			t.Errorf("Stamped %q: Plugin() = %q, want %q", tt.stamped, got, tt.plugin)
		}
	}
}

// TestModuleRelease: a binary built from the module at a release knows it without a stamp; a checkout,
// a replaced module and a pseudo-version do not.
func TestModuleRelease(t *testing.T) {
	mod := func(v string) *debug.Module { return &debug.Module{Path: Module, Version: v} }
	replaced := mod("v0.2.0")
	replaced.Replace = &debug.Module{Path: "../opendash"}
	for _, tt := range []struct {
		name string
		info debug.BuildInfo
		want string
	}{
		{"go install @v0.2.0", debug.BuildInfo{Main: *mod("v0.2.0")}, "v0.2.0"},
		{"a Go program requiring v0.3.1", debug.BuildInfo{Main: debug.Module{Path: "example.com/infra"},
			Deps: []*debug.Module{{Path: "github.com/pulumi/pulumi/sdk/v3", Version: "v3.274.1"}, mod("v0.3.1")}}, "v0.3.1"},
		{"a checkout", debug.BuildInfo{Main: *mod("(devel)")}, ""},
		{"a checkout past a tag", debug.BuildInfo{Main: *mod("v0.2.1-0.20261206150000-679472b0abcd")}, ""},
		{"a modified checkout at a tag", debug.BuildInfo{Main: *mod("v0.2.0+dirty")}, ""},
		{"replaced by a local checkout", debug.BuildInfo{Main: debug.Module{Path: "example.com/infra"},
			Deps: []*debug.Module{replaced}}, ""},
		{"another module", debug.BuildInfo{Main: debug.Module{Path: "example.com/x", Version: "v1.0.0"}}, ""},
	} {
		if got := moduleRelease(&tt.info); got != tt.want {
			t.Errorf("%s: moduleRelease = %q, want %q", tt.name, got, tt.want)
		}
	}
}
