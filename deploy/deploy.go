// Package deploy is `open-dash deploy`, `destroy` and `status`: from an app folder to a live site in one
// command, with Pulumi's Automation API doing the work. The program is inline (it constructs
// component.NewDashSite in this process), the state lives in the user's own AWS account (see state.go),
// and the Pulumi CLI on the machine is the engine. A deploy is an ordered list of small steps:
//
//  1. read open-dash.toml and the flags, and the AWS configuration (region, account);
//  2. find the Pulumi CLI and check its version;
//  3. bundle the app (as the component would; the component then deploys the bundle);
//  4. find or create the state bucket and key;
//  5. open the stack with the opendash plugin (plugin.go), and install the aws (and, to build with
//     Docker, awsx) plugins when missing, saying so;
//  6. plan (a preview), ask, update with one line per resource;
//  7. print the URL and run `open-dash verify` against it.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optpreview"
	"github.com/pulumi/pulumi/sdk/v3/go/auto/optup"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/bundler/python"
	"github.com/opendash/opendash/component"
)

// Result is what a deploy did, printed by --json.
type Result struct {
	Stack   string `json:"stack"`
	Name    string `json:"name"`
	Region  string `json:"region"`
	Backend string `json:"backend"`
	// Plan is what the preview found to do; Applied is what the update did (nil when nothing ran).
	Plan    Plan  `json:"plan"`
	Applied *Plan `json:"applied,omitempty"`
	Outputs Site  `json:"outputs"`
	// Verify is the verify report's summary (nil when skipped, with the reason in VerifySkipped).
	Verify        *VerifySummary `json:"verify,omitempty"`
	VerifySkipped string         `json:"verifySkipped,omitempty"`
	BundleDir     string         `json:"bundleDir"`
}

// Site are the stack outputs a deploy reads.
type Site struct {
	URL               string `json:"url"`
	DistributionID    string `json:"distributionId"`
	BucketName        string `json:"bucketName"`
	BucketURL         string `json:"bucketUrl"`
	ServerFunctionURL string `json:"serverFunctionUrl"`
}

// Deploy bundles the app, plans, asks (unless o.Yes), updates the stack and verifies the live site.
func Deploy(ctx context.Context, o Options) (*Result, error) {
	o = o.withDefaults()
	s, err := resolve(ctx, o)
	if err != nil {
		return nil, err
	}
	cli, err := FindPulumi()
	if err != nil {
		return nil, err
	}
	args, err := s.siteArgs(s.resolver)
	if err != nil {
		return nil, err
	}
	bundleDir, err := bundle(ctx, o, args, s.stackConfigFile(), s.envFiles)
	if err != nil {
		return nil, err
	}
	native := args.ImageBuilder != component.ImageBuilderDocker
	imagePython := ""
	if native { // the image builder runs pip and compiles bytecode with the Python that bundled the app
		if imagePython, err = python.System.Find(args.Python); err != nil {
			return nil, err
		}
	}
	res := &Result{Stack: s.stack, Name: s.name, Region: s.region, BundleDir: bundleDir}
	confirm := o.confirm
	if o.PreviewOnly { // a plan changes nothing, not even the state store
		confirm = func(string) (bool, error) {
			return false, fmt.Errorf("%w: the account has no OpenDash state store in %s yet; the first `open-dash "+
				"deploy` (without --preview) creates it", errNothingDeployed, s.region)
		}
	}
	store, err := ensureState(ctx, s.awsCfg, s.backend, s.secrets, o.Log, confirm)
	if err != nil {
		return nil, err
	}
	res.Backend = redactURL(store.Backend)
	var out Site
	err = inProject(projectDir(bundleDir), func(dir string) error {
		plugin, err := providePlugin(o.Plugin, dir)
		if err != nil && native {
			return err
		}
		w, err := openStack(ctx, s, cli, store, dir, program(s, bundleDir, imagePython), plugin)
		if err != nil {
			return err
		}
		if err := ensurePlugins(ctx, w, !native, o.Log); err != nil {
			return err
		}
		resync, err := w.resyncTargets(ctx)
		if err != nil {
			return err
		}
		if len(resync) > 0 {
			fmt.Fprintf(o.Log, "The last update of stack %s failed: the site's files are synced again (its sync is replaced)\n", s.stack)
		}
		fmt.Fprintf(o.Log, "Planning %s (stack %s, %s, state in %s)\n", s.name, s.stack, s.region, redactURL(store.Backend))
		plan, err := w.preview(ctx, o, resync)
		if err != nil {
			return err
		}
		res.Plan = plan
		fmt.Fprintf(o.Log, "Plan: %s\n", plan)
		if o.PreviewOnly {
			return nil
		}
		if plan.Changes() == 0 {
			fmt.Fprintln(o.Log, "0 changes: the site is up to date")
		} else {
			ok, err := o.ask(fmt.Sprintf("Deploy these changes to stack %s?", s.stack))
			if err != nil {
				return err
			}
			if !ok {
				return errors.New("nothing was changed (not confirmed)\n  hint: pass --yes to deploy without asking")
			}
			applied, err := w.up(ctx, o, resync)
			if err != nil {
				return err
			}
			res.Applied = &applied
		}
		out, err = w.outputs(ctx)
		return err
	})
	if err != nil || o.PreviewOnly {
		return res, err
	}
	res.Outputs = out
	fmt.Fprintf(o.Log, "\n%s is live at %s\n", s.name, out.URL)
	if o.NoVerify {
		res.VerifySkipped = "--no-verify"
		return res, nil
	}
	return res, runVerify(ctx, o, res, authOf(args))
}

func authOf(args *component.DashSiteArgs) authKind {
	switch {
	case args.Auth != nil && args.Auth.Oidc != nil:
		return authOIDC
	case args.Auth != nil && args.Auth.Basic != nil:
		return authBasic
	}
	return authNone
}

// bundle runs the bundler as the component would for args.Source, then points args at the bundle, so the
// component deploys exactly what was bundled (and bundling errors come out as `open-dash bundle`'s).
func bundle(ctx context.Context, o Options, args *component.DashSiteArgs, stackFile string, envFiles []string) (string, error) {
	if args.BundleDir != "" {
		if len(envFiles) > 0 {
			return "", fmt.Errorf("env file %s: it is read while bundling source, but [site] bundleDir %s is "+
				"bundled already\n  hint: bundle it with `open-dash bundle --env-file %s`, or deploy source instead "+
				"of bundleDir", envFiles[0], args.BundleDir, envFiles[0])
		}
		return args.BundleDir, nil
	}
	bo := component.BundleOptions(args)
	bo.EnvFiles = envFiles
	if stackFile != "" && filepath.Dir(stackFile) == filepath.Clean(args.Source) {
		bo.ExcludeDirs = append(bo.ExcludeDirs, filepath.Base(stackFile)) // ciphertext the app never reads
	}
	if args.DomainName != "" {
		bo.PublicURL = "https://" + args.DomainName
	}
	bo.Progress = prefixWriter{w: o.Log, prefix: "  "}
	fmt.Fprintf(o.Log, "Bundling %s\n", args.Source)
	r, err := bundler.Bundle(ctx, bo)
	if err != nil {
		return "", err
	}
	return r.OutDir, nil
}

// program is the inline Pulumi program: the DashSite of the bundle, with the file's arguments (its Pulumi
// config secrets read here, from the stack) and the outputs the deploy reads. imagePython is the Python
// that bundled the app, which the native image builder runs ("" with imageBuilder "docker").
func program(s *settings, bundleDir, imagePython string) pulumi.RunFunc {
	return func(ctx *pulumi.Context) error {
		args, err := s.siteArgs(programResolver{ctx: ctx, env: s.env})
		if err != nil {
			return err
		}
		args.Source, args.OutDir, args.SkipInstall, args.ExcludeDirs = "", "", false, nil
		args.BundleDir, args.Python = bundleDir, imagePython
		site, err := component.NewDashSite(ctx, s.name, args)
		if err != nil {
			return err
		}
		ctx.Export("url", site.Url)
		ctx.Export("distributionId", site.DistributionId)
		ctx.Export("bucketName", site.BucketName)
		ctx.Export("bucketUrl", pulumi.Sprintf("https://%s", site.Bucket.BucketRegionalDomainName()))
		ctx.Export("serverFunctionUrl", site.ServerFunctionUrl)
		ctx.Export("verifyCommand", site.VerifyCommand)
		return nil
	}
}

// preview is the plan, as `pulumi preview` counts it.
// replace are URNs to replace even without a change (resyncTargets).
func (w *stackWorkspace) preview(ctx context.Context, o Options, replace []string) (Plan, error) {
	p := newProgress(o.Log, o.Terminal)
	var r auto.PreviewResult
	err := p.follow(true, func(ch chan<- events.EngineEvent) (err error) {
		opts := []optpreview.Option{optpreview.EventStreams(ch), optpreview.Replace(replace)}
		if w.configFile != "" {
			opts = append(opts, optpreview.ConfigFile(w.configFile))
		}
		r, err = w.stack.Preview(ctx, opts...)
		return err
	})
	if err != nil {
		return Plan{}, operationError("planning", err, p, w.store)
	}
	changes := map[string]int{}
	for op, n := range r.ChangeSummary {
		changes[string(op)] = n
	}
	return planOf(changes), nil
}

// up runs the update with one line per resource.
func (w *stackWorkspace) up(ctx context.Context, o Options, replace []string) (Plan, error) {
	p := newProgress(o.Log, o.Terminal)
	start := time.Now()
	var r auto.UpResult
	err := p.follow(false, func(ch chan<- events.EngineEvent) (err error) {
		opts := []optup.Option{optup.EventStreams(ch), optup.Replace(replace)}
		if w.configFile != "" {
			opts = append(opts, optup.ConfigFile(w.configFile))
		}
		r, err = w.stack.Up(ctx, opts...)
		return err
	})
	if err != nil {
		return Plan{}, operationError("deploying", err, p, w.store)
	}
	var applied Plan
	if r.Summary.ResourceChanges != nil {
		applied = planOf(*r.Summary.ResourceChanges)
	}
	fmt.Fprintf(o.Log, "Deployed in %s: %d created, %d updated, %d replaced, %d deleted (%d unchanged)\n",
		time.Since(start).Round(time.Second), applied.Create, applied.Update, applied.Replace, applied.Delete, applied.Same)
	return applied, nil
}

// outputs are the stack's outputs the deploy reads.
func (w *stackWorkspace) outputs(ctx context.Context) (Site, error) {
	out, err := w.stack.Outputs(ctx)
	if err != nil {
		return Site{}, err
	}
	str := func(k string) string { s, _ := out[k].Value.(string); return s }
	return Site{URL: str("url"), DistributionID: str("distributionId"), BucketName: str("bucketName"),
		BucketURL: str("bucketUrl"), ServerFunctionURL: str("serverFunctionUrl")}, nil
}

// operationError is an engine failure with the errors it reported, the lock's holder when it is a lock.
func operationError(what string, err error, p *progress, store *StateStore) error {
	if e := stateError(err, store); e != err {
		return e
	}
	if auto.IsConcurrentUpdateError(err) {
		return stateError(errors.New("currently locked: "+err.Error()), store)
	}
	if len(p.diags) > 0 {
		return fmt.Errorf("%s failed: %s", what, p.diags[len(p.diags)-1])
	}
	return fmt.Errorf("%s failed: %w", what, err)
}

// inProject runs fn with the process in the project folder: the inline program reads the bundle and hands
// paths to the engine and the providers, which Pulumi runs in the project folder, so the program must see
// relative paths the way they do.
func inProject(dir string, fn func(dir string) error) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	back, err := os.Getwd()
	if err != nil {
		return err
	}
	if err := os.Chdir(dir); err != nil {
		return err
	}
	defer os.Chdir(back)
	return fn(dir)
}

func (o Options) confirm(question string) (bool, error) { return o.ask(question) }

// ask is yes with --yes, the answer of Confirm otherwise, and an error when nobody can answer.
func (o Options) ask(question string) (bool, error) {
	if o.Yes {
		return true, nil
	}
	if o.Confirm == nil {
		return false, fmt.Errorf("%s: needs an answer, and there is no terminal to ask on\n  hint: pass --yes", question)
	}
	return o.Confirm(question)
}
