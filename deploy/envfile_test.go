package deploy

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/component"
)

// TestEnvFileSetting: [deploy] envFile is relative to open-dash.toml's folder, --env-file replaces it, and
// with bundleDir (bundled already) it is an error saying how to bundle with it.
func TestEnvFileSetting(t *testing.T) {
	t.Setenv("AWS_REGION", "eu-west-1")
	src := t.TempDir()
	if err := os.WriteFile(filepath.Join(src, "open-dash.toml"), []byte("[deploy]\nenvFile = \"conf/bundle.env\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		flags []string
		want  []string
	}{
		{nil, []string{filepath.Join(src, "conf", "bundle.env")}},
		{[]string{"a.env", "b.env"}, []string{"a.env", "b.env"}},
	} {
		s, err := resolve(context.Background(), Options{Source: src, EnvFiles: c.flags})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(s.envFiles, c.want) {
			t.Errorf("flags %v: env files %v, want %v", c.flags, s.envFiles, c.want)
		}
	}
	_, err := bundle(context.Background(), Options{}, &component.DashSiteArgs{BundleDir: "../bundle"}, "", []string{"x.env"})
	if err == nil || !strings.Contains(err.Error(), "open-dash bundle --env-file x.env") {
		t.Errorf("env file with bundleDir: %v", err)
	}
}
