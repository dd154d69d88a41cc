package bundler

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/serverfn"
)

// TestBundleRequirementsThatDisagree bundles with --skip-install an app whose requirements.txt pins another
// Dash than the one installed (the stand-in is 9.9.9): the summary warns naming both versions, and the server
// function's requirements.txt pins what actually ran.
func TestBundleRequirementsThatDisagree(t *testing.T) {
	fakeDash(t)
	src := fixture(t, "good")
	if err := os.WriteFile(filepath.Join(src, "requirements.txt"), []byte("dash==0.39.0\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	res, err := bundle(t, src, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var warning string
	for _, w := range res.Warnings {
		if strings.Contains(w, `"dash==0.39.0"`) {
			warning = w
		}
	}
	if !strings.Contains(warning, "dash 9.9.9") || !strings.Contains(warning, "pins dash==9.9.9") {
		t.Errorf("warnings = %q, want one naming dash==0.39.0 and the installed 9.9.9", res.Warnings)
	}
	data, err := os.ReadFile(filepath.Join(res.OutDir, ServerDir, serverfn.RequirementsFile))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(data), "\ndash==9.9.9\n") || !strings.Contains(string(data), "asks for dash==0.39.0, but dash 9.9.9 is what ran") {
		t.Errorf("pinned requirements.txt:\n%s", data)
	}
}
