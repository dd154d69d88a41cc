package cli

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/deployerpolicy"
)

func init() { extraCommands = append(extraCommands, newIAMPolicy) }

// iamPolicyOptions are the flags of `open-dash iam-policy`.
type iamPolicyOptions struct {
	name, account string
	part          int
}

func (o *iamPolicyOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.name, "name", "site", "the DashSite's name (the resource's name in your Pulumi program)")
	f.StringVar(&o.account, "account", "", "the AWS account id to pin the ARNs to (default: any, *)")
	f.IntVar(&o.part, "part", 1, "which part to print: a managed policy holds 6,144 characters, so the policy comes in parts")
}

func newIAMPolicy(stdout, stderr io.Writer) *cobra.Command {
	o := &iamPolicyOptions{}
	cmd := &cobra.Command{
		Use:   "iam-policy [--name site] [--account ID] [--part N]",
		Short: "Print the least-privilege IAM policy of whoever deploys a DashSite, scoped to its name",
		Long: `iam-policy prints the IAM policy the identity that runs pulumi up, refresh and destroy of a DashSite needs,
with the site's own resources (buckets, functions, roles, log groups, ...) limited to names starting with
its name. It comes in parts that each fit a customer managed policy: create one from each and attach them
all. See docs/deployer-policy.md.`,
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			p, err := deployerpolicy.For(deployerpolicy.Site{Name: o.name, Account: o.account})
			if err != nil {
				return usageError{err}
			}
			parts := p.Split(deployerpolicy.ManagedPolicyLimit)
			if o.part < 1 || o.part > len(parts) {
				return usageError{fmt.Errorf("--part %d: the policy has parts 1 to %d", o.part, len(parts))}
			}
			if _, err := stdout.Write(parts[o.part-1].JSON()); err != nil {
				return err
			}
			if len(parts) > 1 {
				fmt.Fprintf(stderr, "part %d of %d of the policy for DashSite %q: print the others with --part\n",
					o.part, len(parts), o.name)
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}
