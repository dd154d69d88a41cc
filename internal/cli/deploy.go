package cli

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/deploy"
	"github.com/opendash/opendash/siteconfig"
)

func init() { extraCommands = append(extraCommands, newDeploy, newDestroy, newStatus) }

// stackOptions are the flags shared by deploy, destroy and status: which app, which stack, where.
type stackOptions struct {
	deploy.Options
	json bool
}

func (o *stackOptions) addFlags(cmd *cobra.Command) {
	cmd.Annotations = map[string]string{jsonErrorsAnnotation: "true"}
	f := cmd.Flags()
	f.StringVar(&o.Source, "source", ".", "the app folder (holding app.py and, if you keep one, "+siteconfig.FileName+")")
	f.StringVar(&o.Config, "config", "", "the configuration file (default: "+siteconfig.FileName+" in --source, when there is one)")
	f.StringVar(&o.Name, "name", "", "the site's name, which its AWS resource names start with (default: [deploy] name, else the app folder's name)")
	f.StringVar(&o.Stack, "stack", "", "the stack: one deployment of the app, e.g. dev or prod (default: [deploy] stack, else "+deploy.DefaultStack+")")
	f.StringVar(&o.Region, "region", "", "AWS region (default: [deploy] region, else AWS_REGION or the profile's)")
	f.StringVar(&o.Profile, "profile", "", "AWS profile of ~/.aws/config (default: [deploy] profile, else AWS_PROFILE)")
	f.StringVar(&o.Backend, "backend", "", "Pulumi state backend URL instead of the state bucket in your account (s3://..., file://..., https://api.pulumi.com)")
	f.StringVar(&o.SecretsProvider, "secrets-provider", "", "Pulumi secrets provider URL instead of the state KMS key (awskms://..., passphrase, ...)")
	f.BoolVarP(&o.Yes, "yes", "y", false, "do not ask before changing anything")
	f.BoolVar(&o.json, "json", false, "print a machine-readable result on stdout")
}

// Executable is the open-dash executable that runs, when it also serves the opendash Pulumi plugin (set by
// cmd/open-dash): deploy, destroy and status hand it to the engine as that plugin. "" (tests running the CLI
// in-process) makes them look for an installed plugin.
var Executable string

// prepare fills what every stack command needs: the writers, the question asker and the opendash plugin.
func (o *stackOptions) prepare(stdin io.Reader, stderr io.Writer) {
	o.Log = stderr
	o.Plugin = Executable
	o.Terminal = isTerminal(stderr)
	if o.Yes {
		return
	}
	if f, ok := stdin.(*os.File); ok && isTerminal(f) {
		reader := bufio.NewReader(stdin)
		o.Confirm = func(question string) (bool, error) {
			fmt.Fprintf(stderr, "%s [y/N] ", question)
			line, err := reader.ReadString('\n')
			if err != nil && line == "" {
				return false, err
			}
			answer := strings.ToLower(strings.TrimSpace(line))
			return answer == "y" || answer == "yes", nil
		}
	}
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func newDeploy(stdout, stderr io.Writer) *cobra.Command {
	o := &stackOptions{}
	cmd := &cobra.Command{
		Use:   "deploy [--source DIR] [--app MOD[:ATTR]] [--stack NAME] [--region R] [--profile P] [--yes]",
		Short: "Bundle the app and deploy it to your AWS account, then verify the live site",
		Long: `deploy bundles the app, shows the plan (resources to create, update, replace and delete), asks before
changing anything (unless --yes), deploys it with Pulumi's engine (the Pulumi CLI must be installed; no Pulumi
account or program is needed), prints the URL and runs 'open-dash verify' against it.

The DashSite arguments come from ` + siteconfig.FileName + ` beside the app ([site] table, under their schema names) and
[deploy] there sets name, stack, region, profile, backend and secretsProvider; flags override the file. Secrets
are references: { env = "VARIABLE" } or { secret = "name" } (a Pulumi config secret of the stack).

Pulumi's state goes to an S3 bucket and its secrets to a KMS key in your account (opendash-state-<account>-
<region>), created on the first deploy after asking; --backend and --secrets-provider use others.
Exit code 0 when deployed and verified, 1 otherwise, 2 for a wrong command line.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.prepare(cmd.InOrStdin(), stderr)
			res, err := deploy.Deploy(cmd.Context(), o.Options)
			if err != nil {
				return err // with --json, Run prints the error object
			}
			if o.json {
				return writeJSON(stdout, struct {
					OK bool `json:"ok"`
					*deploy.Result
				}{true, res})
			}
			return nil
		},
	}
	o.addFlags(cmd)
	f := cmd.Flags()
	f.StringVar(&o.App, "app", "", "entry point MODULE[:ATTRIBUTE], as for open-dash bundle (default: [site] app, else module app)")
	f.StringVar(&o.Python, "python", "", "Python that runs the app while bundling (default: [site] python, else $VIRTUAL_ENV/bin/python, else python3)")
	f.BoolVar(&o.SkipInstall, "skip-install", false, "do not pip install the app's requirements.txt first")
	f.StringArrayVar(&o.EnvFiles, "env-file", nil, envFileUsage+" (default: [deploy] envFile)")
	f.BoolVar(&o.PreviewOnly, "preview", false, "show the plan and stop: change nothing (for pull requests)")
	f.BoolVar(&o.NoVerify, "no-verify", false, "do not run open-dash verify against the deployed site")
	return cmd
}

func newDestroy(stdout, stderr io.Writer) *cobra.Command {
	o := &stackOptions{}
	cmd := &cobra.Command{
		Use:   "destroy [--source DIR] [--stack NAME] [--yes]",
		Short: "Delete every AWS resource of a deployed stack (the state bucket and key stay)",
		Long: `destroy deletes what 'open-dash deploy' created for the app's stack, after asking (unless --yes). The state
bucket and KMS key stay (they hold every stack's state in the account); so do Lambda@Edge functions unless
deleteEdgeFunction is set, since AWS deletes their replicas hours after the distribution.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.prepare(cmd.InOrStdin(), stderr)
			done, err := deploy.Destroy(cmd.Context(), o.Options)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(stdout, struct {
					OK      bool        `json:"ok"`
					Deleted deploy.Plan `json:"deleted"`
				}{true, *done})
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}

func newStatus(stdout, stderr io.Writer) *cobra.Command {
	o := &stackOptions{}
	var drift bool
	cmd := &cobra.Command{
		Use:   "status [--source DIR] [--stack NAME] [--drift]",
		Short: "Show a deployed stack: URL, last update, resource count, and drift with --drift",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.prepare(cmd.InOrStdin(), stderr)
			o.Yes = true // status changes nothing
			st, err := deploy.GetStatus(cmd.Context(), o.Options, drift)
			if err != nil {
				return err
			}
			if o.json {
				return writeJSON(stdout, st)
			}
			writeStatus(stdout, st)
			return nil
		},
	}
	o.addFlags(cmd)
	// status changes nothing, so it asks nothing: --yes stays accepted (scripts pass it to every stack
	// command) but is not offered.
	_ = cmd.Flags().MarkHidden("yes")
	cmd.Flags().BoolVar(&drift, "drift", false, "also compare every resource with AWS (a refresh preview; takes a while)")
	return cmd
}

func writeStatus(w io.Writer, st *deploy.Status) {
	fmt.Fprintf(w, "%s, stack %s, %s (state in %s)\n", st.Name, st.Stack, st.Region, st.Backend)
	if !st.Deployed {
		fmt.Fprintln(w, "  not deployed: no resources (open-dash deploy deploys it)")
		if st.LastUpdate != "" {
			fmt.Fprintf(w, "  last update: %s (%s)\n", st.LastUpdate, st.LastResult)
		}
		return
	}
	fmt.Fprintf(w, "  url:         %s\n", st.URL)
	fmt.Fprintf(w, "  last update: %s (%s)\n", st.LastUpdate, st.LastResult)
	fmt.Fprintf(w, "  resources:   %d\n", st.Resources)
	if st.Drift != nil {
		if st.Drift.Changes() == 0 {
			fmt.Fprintln(w, "  drift:       none (every resource matches AWS)")
		} else {
			fmt.Fprintf(w, "  drift:       %d resources changed outside OpenDash (%d updated, %d deleted); the next "+
				"deploy puts them back\n", st.Drift.Changes(), st.Drift.Update, st.Drift.Delete)
		}
	}
}
