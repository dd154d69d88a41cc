package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendash/opendash/component"
	"github.com/opendash/opendash/siteconfig"
)

// Options are what `open-dash deploy`, `destroy` and `status` are given. Every field but the writers and
// Confirm overrides the configuration file's value when set.
type Options struct {
	Source string // the app folder (holding app.py and open-dash.toml); default "."
	Config string // the configuration file; default Source/open-dash.toml when there is one

	App, Name, Stack, Region, Profile, Backend, SecretsProvider, Python string
	SkipInstall                                                         bool
	// EnvFiles are dotenv files whose variables the app gets while it is bundled (bundler.Options.EnvFiles);
	// default: [deploy] envFile.
	EnvFiles []string

	Yes         bool // change things without asking
	PreviewOnly bool // show the plan and stop
	NoVerify    bool // skip `open-dash verify` after the deploy

	// Plugin is an executable that serves the opendash Pulumi plugin when started as pulumi-resource-opendash
	// (the open-dash CLI passes itself); "" looks for an installed plugin (see plugin.go).
	Plugin string

	Log      io.Writer // progress and questions (stderr)
	Terminal bool      // Log is a terminal: counters are redrawn in place
	// Confirm asks a yes/no question; nil answers no (the caller then needs Yes).
	Confirm func(question string) (bool, error)
	// Env reads the environment for { env = ... } references; default os.LookupEnv.
	Env func(string) (string, bool)
}

// withDefaults fills what the caller may leave unset.
func (o Options) withDefaults() Options {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Env == nil {
		o.Env = os.LookupEnv
	}
	return o
}

// DefaultStack is the stack deployed when neither --stack nor the file names one.
const DefaultStack = "dev"

// settings are the options merged with the configuration file, checked.
type settings struct {
	file     *siteconfig.File
	name     string // the DashSite's name
	stack    string
	region   string
	profile  string
	backend  string
	secrets  string
	app      string
	python   string
	skip     bool
	envFiles []string // for the bundle: Options.EnvFiles, else [deploy] envFile
	awsCfg   aws.Config
	env      func(string) (string, bool)
	project  string // the Pulumi project: one per app name
	resolver siteconfig.Resolver
}

var stackName = regexp.MustCompile(`^[A-Za-z0-9_.-]{1,100}$`)

// resolve merges o with the configuration file and the AWS configuration (region, credentials' profile).
func resolve(ctx context.Context, o Options) (*settings, error) {
	if o.Source == "" {
		o.Source = "."
	}
	src, err := filepath.Abs(o.Source)
	if err != nil {
		return nil, err
	}
	if info, err := os.Stat(src); err != nil || !info.IsDir() {
		return nil, fmt.Errorf("--source %s is not a folder; pass the folder that holds your app (app.py)", o.Source)
	}
	s := &settings{env: o.Env}
	if s.env == nil {
		s.env = os.LookupEnv
	}
	path := o.Config
	if path == "" {
		path = siteconfig.Find(src)
	}
	if path != "" {
		if s.file, err = siteconfig.Load(path); err != nil {
			return nil, err
		}
	} else {
		s.file = &siteconfig.File{Dir: src}
	}
	d := s.file.Deploy
	pick := func(flag, file, def string) string {
		switch {
		case flag != "":
			return flag
		case file != "":
			return file
		}
		return def
	}
	s.name = pick(o.Name, d.Name, defaultName(src))
	s.stack = pick(o.Stack, d.Stack, DefaultStack)
	s.profile = pick(o.Profile, d.Profile, "")
	s.backend = pick(o.Backend, d.Backend, "")
	s.secrets = pick(o.SecretsProvider, d.SecretsProvider, "")
	s.app, s.python, s.skip = o.App, o.Python, o.SkipInstall
	s.envFiles = o.EnvFiles
	if len(s.envFiles) == 0 && d.EnvFile != "" {
		p := d.EnvFile
		if !filepath.IsAbs(p) {
			p = filepath.Join(s.file.Dir, p)
		}
		s.envFiles = []string{p}
	}
	if !stackName.MatchString(s.stack) {
		return nil, fmt.Errorf("stack %q: use letters, digits, '-', '_' and '.'", s.stack)
	}
	if err := component.CheckName(s.name); err != nil {
		return nil, fmt.Errorf("%v\n  hint: set the name with --name or name in [deploy] of %s", err, siteconfig.FileName)
	}
	s.project = "opendash-" + s.name
	var loadOpts []func(*awsconfig.LoadOptions) error
	if r := pick(o.Region, d.Region, ""); r != "" {
		loadOpts = append(loadOpts, awsconfig.WithRegion(r))
	}
	if s.profile != "" {
		loadOpts = append(loadOpts, awsconfig.WithSharedConfigProfile(s.profile))
	}
	if s.awsCfg, err = awsconfig.LoadDefaultConfig(ctx, loadOpts...); err != nil {
		return nil, fmt.Errorf("reading the AWS configuration: %w\n  hint: check --profile / AWS_PROFILE and ~/.aws/config", err)
	}
	s.region = s.awsCfg.Region
	if s.region == "" {
		return nil, errors.New("no AWS region: pass --region, set region in [deploy] of " + siteconfig.FileName +
			", or set AWS_REGION (or the profile's region in ~/.aws/config)")
	}
	s.resolver = planResolver{env: s.env}
	return s, nil
}

// defaultName makes a DashSite name from the app folder's name: lowercase letters, digits and "-".
func defaultName(dir string) string {
	n := strings.ToLower(filepath.Base(dir))
	n = regexp.MustCompile(`[^a-z0-9]+`).ReplaceAllString(n, "-")
	n = strings.Trim(n, "-")
	if len(n) > component.MaxNameLength {
		n = strings.TrimRight(n[:component.MaxNameLength], "-")
	}
	if n == "" || n == "app" || n == "src" || n == "." {
		return "dash-site"
	}
	return n
}

// siteArgs are the DashSite arguments of the file with the flags applied, resolved with r.
func (s *settings) siteArgs(r siteconfig.Resolver) (*component.DashSiteArgs, error) {
	args, err := s.file.SiteArgs(r)
	if err != nil {
		return nil, err
	}
	if s.app != "" {
		args.App = s.app
	}
	if s.python != "" {
		args.Python = s.python
	}
	if s.skip {
		args.SkipInstall = true
	}
	return args, nil
}

// planResolver reads the environment; Pulumi config secrets are not needed before the program runs
// (bundling never reads them), so they stand in as empty secrets.
type planResolver struct{ env func(string) (string, bool) }

func (r planResolver) Env(name string) (string, bool) { return r.env(name) }
func (r planResolver) Secret(string) (pulumi.StringOutput, error) {
	return pulumi.ToSecret(pulumi.String("")).(pulumi.StringOutput), nil
}

// programResolver reads Pulumi config secrets of the stack inside the program.
type programResolver struct {
	ctx *pulumi.Context
	env func(string) (string, bool)
}

func (r programResolver) Env(name string) (string, bool) { return r.env(name) }
func (r programResolver) Secret(name string) (pulumi.StringOutput, error) {
	key := name
	if !strings.Contains(key, ":") {
		key = r.ctx.Project() + ":" + key
	}
	if _, ok := r.ctx.GetConfig(key); !ok {
		return pulumi.StringOutput{}, fmt.Errorf("the stack %s has no Pulumi config secret %s; set it with "+
			"`open-dash secret set %s --stack %s`", r.ctx.Stack(), key, name, r.ctx.Stack())
	}
	return pulumi.ToSecret(pulumi.String(mustConfig(r.ctx, key))).(pulumi.StringOutput), nil
}

func mustConfig(ctx *pulumi.Context, key string) string {
	v, _ := ctx.GetConfig(key)
	return v
}
