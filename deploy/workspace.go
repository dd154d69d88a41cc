package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/common/tokens"
	"github.com/pulumi/pulumi/sdk/v3/go/common/workspace"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/manifest"
)

// plugin is a resource plugin the deploy needs.
type plugin struct{ name, version string }

// The provider plugins the component's resources are served by, at the versions of the SDKs OpenDash is
// built with (go.mod): aws always, awsx for imageBuilder "docker" (its ecr.Image). The opendash plugin is
// provided by the deploy itself (plugin.go).
var (
	awsPlugin  = plugin{"aws", component.AWSPackageVersion}
	awsxPlugin = plugin{"awsx", "2.22.0"}
)

// stackWorkspace is a Pulumi workspace for one stack of one app, run by the Automation API with the
// deploy's program inline (in this process: no Go toolchain or language host needed).
type stackWorkspace struct {
	ws    auto.Workspace
	stack auto.Stack
	dir   string // the project folder
	store *StateStore
	// configFile is the stack file beside open-dash.toml that holds the stack's config secrets ("": none).
	configFile string
}

// projectDir is where the Pulumi project of a bundle lives: inside the bundle's .deploy folder, the one
// place of .open-dash that deploys may write (the bundler leaves it alone), so nothing is written beside the
// user's source. Paths the program hands to Pulumi are relative to it (as they are to any Pulumi project),
// so a checkout that moves keeps the same state.
func projectDir(bundleDir string) string {
	return filepath.Join(bundleDir, manifest.DeployDir, "pulumi")
}

// openStack creates (or selects) the stack in the state store. program is nil for commands that do not
// deploy, which also never create a stack. plugin, when not nil, is the opendash plugin the project uses.
func openStack(ctx context.Context, s *settings, cli *PulumiCLI, store *StateStore, dir string,
	program pulumi.RunFunc, plugin *pluginSource) (*stackWorkspace, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	env := map[string]string{
		"PULUMI_BACKEND_URL":       store.Backend,
		"PULUMI_SKIP_UPDATE_CHECK": "true",
		// Only the plugins announced by ensurePlugins are downloaded, never silently by the engine.
		"PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
		// The project folder is rebuilt by every run: the stack's secrets provider comes from its state.
		"PULUMI_FALLBACK_TO_STATE_SECRETS_MANAGER": "true",
		"AWS_REGION": s.region,
	}
	if s.profile != "" {
		env["AWS_PROFILE"] = s.profile
	}
	project := workspace.Project{
		Name:        tokens.PackageName(s.project),
		Runtime:     workspace.NewProjectRuntimeInfo("go", nil),
		Description: strPtr("OpenDash deploy of " + s.name + " (written by open-dash; changes are not kept)"),
	}
	if plugin != nil {
		project.Plugins = &workspace.Plugins{Providers: []workspace.PluginOptions{plugin.projectPlugin()}}
	}
	opts := []auto.LocalWorkspaceOption{
		auto.WorkDir(dir),
		auto.Pulumi(cli.command),
		auto.Project(project),
		auto.EnvVars(env),
	}
	if store.SecretsProvider != "" {
		opts = append(opts, auto.SecretsProvider(store.SecretsProvider))
	}
	if program != nil {
		opts = append(opts, auto.Program(program))
	}
	ws, err := auto.NewLocalWorkspace(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("setting up the Pulumi workspace in %s: %w", dir, err)
	}
	var stack auto.Stack
	if program != nil {
		stack, err = auto.UpsertStack(ctx, s.stack, ws)
	} else if stack, err = auto.SelectStack(ctx, s.stack, ws); auto.IsSelectStack404Error(err) {
		return nil, fmt.Errorf("%w: %s has no stack %s of %s", errNothingDeployed, redactURL(store.Backend), s.stack, s.name)
	}
	if err != nil {
		return nil, stateError(err, store)
	}
	if err := stack.SetConfig(ctx, "aws:region", auto.ConfigValue{Value: s.region}); err != nil {
		return nil, err
	}
	return &stackWorkspace{ws: ws, stack: stack, dir: dir, store: store, configFile: s.stackConfigFile()}, nil
}

func strPtr(s string) *string { return &s }

// ensurePlugins installs the provider plugins the stack needs that are missing, after saying so: Pulumi
// would otherwise download them on first use without a word. awsx is needed to build with Docker, and
// while the stack's state still holds awsx resources (a stack that used to build with Docker).
func ensurePlugins(ctx context.Context, w *stackWorkspace, docker bool, log io.Writer) error {
	installed, err := w.ws.ListPlugins(ctx)
	if err != nil {
		return fmt.Errorf("listing Pulumi's plugins: %w", err)
	}
	have := map[string]bool{}
	for _, p := range installed {
		if p.Version != nil {
			have[p.Name+"@"+p.Version.String()] = true
		}
	}
	need := []plugin{awsPlugin}
	if docker || w.stateUses(ctx, "pulumi:providers:awsx") {
		need = append(need, awsxPlugin)
	}
	for _, p := range need {
		if have[p.name+"@"+p.version] || onPath("pulumi-resource-"+p.name) {
			continue
		}
		fmt.Fprintf(log, "Installing the Pulumi resource plugin %s v%s (pulumi plugin install resource %s %s; "+
			"once, about 100 MB)\n", p.name, p.version, p.name, p.version)
		if err := w.ws.InstallPlugin(ctx, p.name, "v"+p.version); err != nil {
			return fmt.Errorf("installing the Pulumi plugin %s v%s: %w\n  hint: install it yourself with "+
				"`pulumi plugin install resource %s %s` (it downloads from Pulumi's plugin registry or GitHub)",
				p.name, p.version, err, p.name, p.version)
		}
	}
	return nil
}

// stateUses reports whether the stack's last state holds a resource of type typ.
func (w *stackWorkspace) stateUses(ctx context.Context, typ string) bool {
	d, err := w.stack.Export(ctx)
	return err == nil && strings.Contains(string(d.Deployment), `"`+typ+`"`)
}

// onPath reports an ambient plugin binary, which Pulumi uses before an installed one.
func onPath(binary string) bool {
	if os.Getenv("PULUMI_IGNORE_AMBIENT_PLUGINS") != "" {
		return false
	}
	for _, dir := range filepath.SplitList(os.Getenv("PATH")) {
		if info, err := os.Stat(filepath.Join(dir, binary)); err == nil && !info.IsDir() {
			return true
		}
	}
	return false
}

// lockLine is one holder in Pulumi's "currently locked" error: "<lock URL>: created by user@host (pid N) at T".
var lockLine = regexp.MustCompile(`(?m)^\s*(\S+\.json)\S*: created by (.+)$`)

// stateError explains the errors a stack operation meets in the state store: a lock held by another
// deploy (naming its holder), or a store that cannot be read.
func stateError(err error, store *StateStore) error {
	text := err.Error()
	if strings.Contains(text, "currently locked") {
		holders := lockLine.FindAllStringSubmatch(text, -1)
		var who, files []string
		for _, h := range holders {
			who = append(who, h[2])
			files = append(files, lockFile(h[1]))
		}
		msg := "another deploy of this stack is running (Pulumi's state lock is held"
		if len(who) > 0 {
			msg += ", created by " + strings.Join(who, "; ")
		}
		msg += "): two deploys of one stack at once are refused"
		hint := "wait for it to finish and run again"
		if len(files) > 0 {
			hint += "; if that deploy died (its process is gone), delete the lock: " + strings.Join(files, " ")
		}
		return fmt.Errorf("%s\n  hint: %s", msg, hint)
	}
	if strings.Contains(text, "NoSuchBucket") || strings.Contains(text, "AccessDenied") {
		return fmt.Errorf("the Pulumi state store %s cannot be used: %w\n  hint: check the credentials' access "+
			"to it, or pass another --backend", redactURL(store.Backend), err)
	}
	return err
}

// lockFile is the command that deletes a lock, for an s3:// lock URL; the URL itself otherwise.
func lockFile(u string) string {
	p, err := url.Parse(u)
	if err != nil || p.Scheme != "s3" {
		return u
	}
	return fmt.Sprintf("`aws s3 rm s3://%s%s`", p.Host, p.Path)
}

// redactURL drops a URL's query (endpoints, profiles) for messages.
func redactURL(u string) string {
	if i := strings.IndexByte(u, '?'); i >= 0 {
		return u[:i]
	}
	return u
}

// errNothingDeployed: the stack (or the whole state store) does not exist.
var errNothingDeployed = errors.New("nothing deployed")
