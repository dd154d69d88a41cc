package bundler

import (
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/opendash/opendash/bundler/extract"
)

// TestEveryAppMakesAValidManifest: every app in testdata/apps either bundles into a manifest that validates,
// or fails with an error about the app. User input never reaches "an OpenDash bug" (behaviors.go's plan is
// checked over generated shapes by bundler/static's TestPlanAlwaysValid).
func TestEveryAppMakesAValidManifest(t *testing.T) {
	fakeDash(t)
	entries, err := os.ReadDir("testdata/apps")
	if err != nil {
		t.Fatal(err)
	}
	apps := map[string]string{"classic": "index:app", "package": "pkg.dashboard"}
	for _, e := range entries {
		t.Run(e.Name(), func(t *testing.T) {
			res, err := bundle(t, fixture(t, e.Name()), Options{App: apps[e.Name()], Timeout: 5e9})
			if err != nil {
				var appErr *extract.AppError
				if strings.Contains(err.Error(), "OpenDash bug") || !errors.As(err, &appErr) {
					t.Errorf("not an error about the app: %v", err)
				}
				return
			}
			if err := res.Manifest.Validate(); err != nil {
				t.Error(err)
			}
		})
	}
}
