package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/bundler"
	"github.com/opendash/opendash/deploy"
	"github.com/opendash/opendash/ghactions"
	"github.com/opendash/opendash/siteconfig"
)

func init() { extraCommands = append(extraCommands, newInit) }

func newInit(stdout, stderr io.Writer) *cobra.Command {
	return commandGroup("init github-actions", "Write a GitHub Actions workflow that deploys the app on every push",
		newInitGitHubActions(stdout, stderr))
}

type initGHOptions struct {
	source, config string
	force          bool
	ghactions.Options
}

func newInitGitHubActions(stdout, stderr io.Writer) *cobra.Command {
	o := &initGHOptions{}
	cmd := &cobra.Command{
		Use:   "github-actions [--source DIR] [--stack prod] [--region R] [--role-arn ARN] [--preview-role-arn ARN]",
		Short: "Write .github/workflows/open-dash.yml: deploy on push, plan on pull requests",
		Long: `github-actions writes .github/workflows/open-dash.yml at the root of the app's git repository. On a push to
the default branch it installs OpenDash, Pulumi and the app's requirements, assumes an AWS role through GitHub's
OIDC provider (no long-lived keys) and runs 'open-dash deploy --yes', which fails the job when verify fails.
Pull requests from the repository itself get 'open-dash deploy --preview' (the plan only) with a read-only
role; pull requests from forks run nothing. Environment variables that ` + siteconfig.FileName + ` references
({ env = "NAME" }) are passed from the repository secrets of the same names. Roles and region not given here
are read from the repository variables OPENDASH_DEPLOY_ROLE_ARN, OPENDASH_PREVIEW_ROLE_ARN and AWS_REGION.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return initGitHubActions(o, stdout)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.source, "source", ".", "the app folder (holding app.py)")
	f.StringVar(&o.config, "config", "", "the configuration file (default: "+siteconfig.FileName+" in --source, when there is one)")
	f.StringVar(&o.Stack, "stack", "", "the stack pushes deploy (default: [deploy] stack, else prod)")
	f.StringVar(&o.Branch, "branch", "main", "the branch whose pushes deploy")
	f.StringVar(&o.Region, "region", "", "AWS region (default: [deploy] region, else the repository variable AWS_REGION)")
	f.StringVar(&o.DeployRole, "role-arn", "", "IAM role pushes deploy with (default: the repository variable OPENDASH_DEPLOY_ROLE_ARN)")
	f.StringVar(&o.PreviewRole, "preview-role-arn", "", "read-only IAM role pull requests plan with (default: the repository variable OPENDASH_PREVIEW_ROLE_ARN)")
	f.StringVar(&o.Python, "python", "3.12", "Python version the app runs on")
	f.BoolVar(&o.force, "force", false, "replace an existing workflow file")
	return cmd
}

func initGitHubActions(o *initGHOptions, stdout io.Writer) error {
	src, err := filepath.Abs(o.source)
	if err != nil {
		return err
	}
	root, err := gitRoot(src)
	if err != nil {
		return err
	}
	if o.Source, err = filepath.Rel(root, src); err != nil {
		return err
	}
	o.Source = filepath.ToSlash(o.Source)
	path := o.config
	if path == "" {
		path = siteconfig.Find(src)
	}
	if path != "" {
		file, err := siteconfig.Load(path)
		if err != nil {
			return err
		}
		o.SecretEnv = file.EnvNames()
		if e := file.Deploy.EnvFile; e != "" {
			abs := e
			if !filepath.IsAbs(abs) {
				abs = filepath.Join(file.Dir, e)
			}
			rel, err := filepath.Rel(root, abs)
			if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
				return fmt.Errorf("%s: [deploy] envFile %s is outside the repository %s, where the workflow "+
					"cannot write it; name a path inside it (and keep the file out of git)", path, e, root)
			}
			o.EnvFile = filepath.ToSlash(rel)
		}
		if o.Stack == "" {
			o.Stack = file.Deploy.Stack
		}
		if o.Region == "" {
			o.Region = file.Deploy.Region
		}
	}
	o.PulumiVersion = deploy.MinPulumi.String()
	o.OpenDashVersion = bundler.Version
	out, err := ghactions.Workflow(o.Options)
	if err != nil {
		return usageError{err}
	}
	dst := filepath.Join(root, filepath.FromSlash(ghactions.FileName))
	if _, err := os.Stat(dst); err == nil && !o.force {
		return fmt.Errorf("%s exists; pass --force to replace it", dst)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	tmp := dst + ".tmp"
	if err := os.WriteFile(tmp, out, 0o644); err != nil {
		return err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return err
	}
	fmt.Fprintf(stdout, "wrote %s\nnext:\n", dst)
	step := 1
	say := func(format string, a ...any) {
		fmt.Fprintf(stdout, "  %d. "+format+"\n", append([]any{step}, a...)...)
		step++
	}
	say("create the deploy role and the read-only preview role, trusted by GitHub's OIDC provider for this " +
		"repository (OpenDash's docs/deploy.md: \"Deploy on every push: GitHub Actions\")")
	if o.DeployRole == "" || o.PreviewRole == "" || o.Region == "" {
		var vars []string
		if o.DeployRole == "" {
			vars = append(vars, "gh variable set OPENDASH_DEPLOY_ROLE_ARN --body arn:aws:iam::<account>:role/<deploy role>")
		}
		if o.PreviewRole == "" {
			vars = append(vars, "gh variable set OPENDASH_PREVIEW_ROLE_ARN --body arn:aws:iam::<account>:role/<preview role>")
		}
		if o.Region == "" {
			vars = append(vars, "gh variable set AWS_REGION --body <region>")
		}
		say("set the repository variables: %s", strings.Join(vars, "; "))
	}
	if len(o.SecretEnv) > 0 {
		var sets []string
		for _, e := range o.SecretEnv {
			sets = append(sets, "gh secret set "+e)
		}
		say("set the secrets %s references: %s", siteconfig.FileName, strings.Join(sets, "; "))
	}
	if o.EnvFile != "" {
		say("keep %s out of git (.gitignore) and store it as the repository secret the workflow writes it from: "+
			"gh secret set %s < %s", o.EnvFile, ghactions.EnvFileSecret, o.EnvFile)
	}
	say("commit and push: the first deploy creates the state bucket and key in the account (after the role allows it)")
	return nil
}

// gitRoot is the folder holding .git at or above dir.
func gitRoot(dir string) (string, error) {
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(filepath.Join(d, ".git")); err == nil {
			return d, nil
		}
		if filepath.Dir(d) == d {
			return "", errors.New(dir + " is not in a git repository: a GitHub Actions workflow lives in one " +
				"(git init, or pass --source with the app folder of a clone)")
		}
	}
}
