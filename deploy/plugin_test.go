package deploy

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/component"
)

func TestStartedAsPlugin(t *testing.T) {
	for argv0, want := range map[string]bool{
		"/tmp/x/plugin/pulumi-resource-opendash": true,
		"pulumi-resource-opendash":               true,
		"/plugins/pulumi-resource-opendash.exe":  true,
		"/usr/local/bin/open-dash":               false,
		"pulumi-resource-aws":                    false,
		"pulumi-resource-opendash-old":           false,
	} {
		if got := StartedAsPlugin(argv0); got != want {
			t.Errorf("StartedAsPlugin(%q) = %v, want %v", argv0, got, want)
		}
	}
}

// TestProvidePluginItself: an executable given (the open-dash CLI) is linked into the project's plugin
// folder under the plugin's name, again and again, and serves any version.
func TestProvidePluginItself(t *testing.T) {
	dir := t.TempDir()
	exe := executable(t, t.TempDir(), "open-dash")
	for range 2 {
		p, err := providePlugin(exe, dir)
		if err != nil {
			t.Fatal(err)
		}
		link := filepath.Join(p.dir, PluginBinary)
		if target, err := os.Readlink(link); err != nil || target != exe {
			t.Errorf("%s -> %q (%v), want %s", link, target, err, exe)
		}
		if o := p.projectPlugin(); o.Name != "opendash" || o.Path != filepath.Join(dir, "plugin") || o.Version != "" {
			t.Errorf("project plugin %+v", o)
		}
	}
}

// TestFindPlugin: without an executable to use, the plugin is looked for on PATH (unless ambient plugins are
// ignored) and in Pulumi's plugin cache at the component's version; missing, the error says what to do.
func TestFindPlugin(t *testing.T) {
	version := component.PluginVersion()
	cases := []struct {
		name          string
		onPath, cache bool
		ignoreAmbient bool
		wantFrom      string // "" for the error
		wantVersion   string
	}{
		{name: "on PATH", onPath: true, cache: true, wantFrom: "PATH"},
		{name: "in the cache", cache: true, wantFrom: "Pulumi's plugin cache", wantVersion: version},
		{name: "ambient ignored", onPath: true, cache: true, ignoreAmbient: true, wantFrom: "Pulumi's plugin cache", wantVersion: version},
		{name: "nowhere", onPath: true, ignoreAmbient: true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path, home := t.TempDir(), t.TempDir()
			t.Setenv("PATH", path)
			t.Setenv("PULUMI_HOME", home)
			t.Setenv("PULUMI_IGNORE_AMBIENT_PLUGINS", map[bool]string{true: "true"}[c.ignoreAmbient])
			if c.onPath {
				executable(t, path, PluginBinary)
			}
			if c.cache {
				executable(t, filepath.Join(home, "plugins", "resource-opendash-v"+version), PluginBinary)
			}
			p, err := findPlugin()
			if c.wantFrom == "" {
				if !errors.Is(err, errNoPlugin) || !strings.Contains(err.Error(), "pulumi plugin install resource opendash "+version) ||
					!strings.Contains(err.Error(), `imageBuilder = "docker"`) {
					t.Errorf("error %v; want how to install the plugin, or to build with Docker", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if p.from != c.wantFrom || p.version != c.wantVersion || !isExecutable(filepath.Join(p.dir, PluginBinary)) {
				t.Errorf("found %+v; want it from %s at version %q", p, c.wantFrom, c.wantVersion)
			}
		})
	}
}

func executable(t *testing.T, dir, name string) string {
	t.Helper()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}
