package deploy

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"

	"github.com/opendash/opendash/component"
	ver "github.com/opendash/opendash/version"
)

// The opendash plugin. With imageBuilder "native" (the default), DashSite registers a ServerImage, a
// custom resource the `opendash` Pulumi provider plugin serves: the engine starts that plugin, as
// `pulumi-resource-opendash`, to build and push the server image. The open-dash CLI is that plugin too
// (cmd/open-dash serves it when started under the plugin's name), so a deploy links the running
// open-dash into the project's plugin folder: the plugin is then always the very build whose program
// registers the ServerImage, and there is nothing to install or to get out of step. A program that calls
// Deploy from another binary names no executable, and the plugin is looked for instead (findPlugin).

// PluginName is the Pulumi package of the ServerImage; PluginBinary the file the engine starts for it.
const (
	PluginName   = "opendash"
	PluginBinary = "pulumi-resource-" + PluginName
)

// StartedAsPlugin reports whether a process started as argv0 is the engine starting the opendash plugin.
func StartedAsPlugin(argv0 string) bool {
	return strings.TrimSuffix(filepath.Base(argv0), ".exe") == PluginBinary
}

// pluginSource is where a deploy's opendash plugin comes from.
type pluginSource struct {
	dir     string // the folder holding pulumi-resource-opendash
	version string // "" when it serves any version the state or the program asks for
	from    string // for messages: "open-dash itself", "PATH", ...
}

// projectPlugin is the project's plugins entry: Pulumi uses it before any plugin on PATH or in its cache,
// and whether or not PULUMI_IGNORE_AMBIENT_PLUGINS is set.
func (p *pluginSource) projectPlugin() workspace.PluginOptions {
	return workspace.PluginOptions{Name: PluginName, Path: p.dir, Version: p.version}
}

// providePlugin makes the opendash plugin available to the project in dir: executable, when given, is an
// open-dash that serves it (linked into dir/plugin under the plugin's name); otherwise findPlugin looks
// for an installed one.
func providePlugin(executable, dir string) (*pluginSource, error) {
	if executable == "" {
		return findPlugin()
	}
	target := filepath.Join(dir, "plugin")
	if err := os.MkdirAll(target, 0o755); err != nil {
		return nil, err
	}
	link := filepath.Join(target, PluginBinary)
	if runtime.GOOS == "windows" {
		link += ".exe"
	}
	if err := linkExecutable(executable, link); err != nil {
		return nil, fmt.Errorf("making %s the opendash plugin (%s): %w", executable, link, err)
	}
	return &pluginSource{dir: target, from: "open-dash itself (" + executable + ")"}, nil
}

// linkExecutable makes link start executable: a symbolic link, or a copy where links are not allowed
// (Windows without developer mode).
func linkExecutable(executable, link string) error {
	if old, err := os.Readlink(link); err == nil && old == executable {
		return nil
	}
	if err := os.Remove(link); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.Symlink(executable, link); err == nil {
		return nil
	}
	in, err := os.Open(executable)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(link, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o755)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// errNoPlugin: the opendash plugin is nowhere to be found.
var errNoPlugin = errors.New("no opendash plugin")

// findPlugin looks for pulumi-resource-opendash beside this executable, then on PATH (unless
// PULUMI_IGNORE_AMBIENT_PLUGINS is set, as Pulumi itself does), then in Pulumi's plugin cache at the version
// the component registers its ServerImage with (component.PluginVersion).
func findPlugin() (*pluginSource, error) {
	name := PluginBinary
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	if exe, err := os.Executable(); err == nil {
		if real, err := filepath.EvalSymlinks(exe); err == nil && isExecutable(filepath.Join(filepath.Dir(real), name)) {
			return &pluginSource{dir: filepath.Dir(real), from: "beside " + real}, nil
		}
	}
	if os.Getenv("PULUMI_IGNORE_AMBIENT_PLUGINS") == "" {
		if path, err := exec.LookPath(name); err == nil {
			if abs, err := filepath.Abs(path); err == nil {
				return &pluginSource{dir: filepath.Dir(abs), from: "PATH"}, nil
			}
		}
	}
	version := component.PluginVersion()
	cache, err := workspace.GetPluginDir()
	if err == nil {
		dir := filepath.Join(cache, "resource-"+PluginName+"-v"+version)
		if isExecutable(filepath.Join(dir, name)) {
			return &pluginSource{dir: dir, version: version, from: "Pulumi's plugin cache"}, nil
		}
	}
	install := fmt.Sprintf("`pulumi plugin install resource %s %s --file /path/to/%s` (`make install-plugin` in an "+
		"OpenDash checkout does it)", PluginName, version, PluginBinary)
	if version != ver.Dev { // a release: its archive is on the release's page (docs/releases.md)
		install = fmt.Sprintf("`pulumi plugin install resource %s %s --server %s` or %s", PluginName, version,
			strings.ReplaceAll(ver.PluginDownloadURL, "${VERSION}", version), install)
	}
	return nil, fmt.Errorf("%w: the server image (imageBuilder \"native\") is built and pushed by the opendash "+
		"Pulumi plugin v%s, found neither beside this program, nor on PATH as %s, nor installed in %s\n"+
		"  hint: install it with %s, or put %s on PATH; or deploy with the open-dash CLI, which is the plugin "+
		"itself; or set imageBuilder = \"docker\" in [site] of open-dash.toml to build with Docker instead",
		errNoPlugin, version, name, cache, install, PluginBinary)
}

func isExecutable(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir() && (info.Mode()&0o111 != 0 || runtime.GOOS == "windows")
}
