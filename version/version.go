// Package version is OpenDash's one version, in the forms its consumers need: the string `open-dash
// version` prints and every manifest records, the semantic version of the `opendash` Pulumi plugin, and
// where Pulumi downloads the plugin of a version. It imports nothing of OpenDash, so every package can.
package version

import (
	"regexp"
	"runtime/debug"
	"strings"

	"github.com/blang/semver"
)

// Stamped is what a build of this repository says it is: `make` sets it from `git describe` (a tag
// vX.Y.Z, or vX.Y.Z-N-g<commit> past one, -dirty when modified) with
// -ldflags "-X github.com/opendash/opendash/version.Stamped=...". It is the only variable a build stamps.
var Stamped string

// Module is this repository's Go module path.
const Module = "github.com/opendash/opendash"

// Dev is the version of a build that names no release: an untagged checkout, CI's clone without tags,
// `go run`, the tests. Pulumi requires plugin versions to be semantic versions, so it is one.
const Dev = "0.1.0-dev"

// PluginDownloadURL is where Pulumi downloads the `opendash` plugin: the assets of the GitHub release of
// tag v<version>. Pulumi replaces ${VERSION} and appends the asset's name,
// pulumi-resource-opendash-v<version>-<os>-<arch>.tar.gz, which `make release` writes. A plain https URL
// rather than github:// because Pulumi fetches it directly, without GitHub's API and its rate limit for
// callers without a token (CI runners share addresses).
const PluginDownloadURL = "https://github.com/opendash/opendash/releases/download/v${VERSION}"

// String is this build's version: Stamped when set; else, in a binary built from this module at a
// release (`go install github.com/opendash/opendash/cmd/open-dash@v0.2.0`, or a Go program that requires
// the module at v0.2.0), that release; else Dev.
func String() string {
	if Stamped != "" {
		return Stamped
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if v := moduleRelease(info); v != "" {
			return v
		}
	}
	return Dev
}

// Plugin is the plugin's semantic version: String without its leading "v" ("v0.2.0" → "0.2.0"), or Dev
// when that is not a semantic version (a stamp that is a bare commit, say).
func Plugin() string {
	v := strings.TrimPrefix(String(), "v")
	if _, err := semver.Parse(v); err != nil {
		return Dev
	}
	return v
}

// pseudoVersion matches the tail of a Go pseudo-version (a commit, not a release).
var pseudoVersion = regexp.MustCompile(`\d{14}-[0-9a-f]{12}$`)

// moduleRelease is the release of this module a binary was built from, as Go recorded it in info (the
// main module for `go install ...@vX`, a dependency for a user's Go program), or "" for a checkout, a
// replaced module or a pseudo-version.
func moduleRelease(info *debug.BuildInfo) string {
	mods := append([]*debug.Module{&info.Main}, info.Deps...)
	for _, m := range mods {
		if m.Path != Module || m.Replace != nil {
			continue
		}
		v := m.Version
		if _, err := semver.Parse(strings.TrimPrefix(v, "v")); err != nil || !strings.HasPrefix(v, "v") ||
			pseudoVersion.MatchString(v) || strings.HasSuffix(v, "+dirty") {
			return ""
		}
		return v
	}
	return ""
}
