package cli

import (
	"context"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"
	"github.com/spf13/cobra"

	"github.com/opendash/opendash/siteconfig"
)

// A reference the preview cannot resolve stands in as a marked value; it is an error only where the preview
// needs it (a password), so that a deploy-only setting elsewhere in the file does not stop the preview.
const unresolved = "\x00unresolved:"

// previewResolver reads environment variables; Pulumi config secrets exist only in a deploy.
type previewResolver struct{}

func (previewResolver) Env(name string) (string, bool) {
	if v, ok := os.LookupEnv(name); ok {
		return v, true
	}
	return unresolved + "the environment variable " + name + " is not set", true
}

func (previewResolver) Secret(name string) (pulumi.StringOutput, error) {
	return pulumi.String(unresolved + "the Pulumi config secret " + name + " exists only in a deploy").ToStringOutput(), nil
}

// applySiteConfig takes, from the open-dash.toml of the --source folder, what the deployed site would do
// and no flag says otherwise: originAuth, auth (basic users, OIDC) and backgroundTimeout.
func (o *previewOptions) applySiteConfig(cmd *cobra.Command, log io.Writer) error {
	if o.source == "" {
		return nil
	}
	path := siteconfig.Find(o.source)
	if path == "" {
		return nil
	}
	file, err := siteconfig.Load(path)
	if err != nil {
		return err
	}
	args, err := file.SiteArgs(previewResolver{})
	if err != nil {
		return err
	}
	flags := cmd.Flags()
	var took []string
	if args.OriginAuth != "" && !flags.Changed("origin-auth") {
		o.originAuth = args.OriginAuth
		took = append(took, "originAuth "+args.OriginAuth)
	}
	authFlags := flags.Changed("basic-auth") || flags.Changed("oidc-issuer") || flags.Changed("oidc-client-id")
	if args.Auth != nil && args.Auth.Basic != nil && !authFlags {
		users, err := plainValue(args.Auth.Basic.Users)
		if err != nil {
			return err
		}
		names := make([]string, 0)
		for name := range users.(map[string]string) {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			password := users.(map[string]string)[name]
			if why, ok := strings.CutPrefix(password, unresolved); ok {
				return fmt.Errorf("%s: auth.basic.users.%s: %s; set the variable, or pass --basic-auth USER:PASSWORD "+
					"for the preview", path, name, why)
			}
			o.basic = append(o.basic, name+":"+password)
		}
		took = append(took, "auth.basic (users "+strings.Join(names, ", ")+")")
	}
	if args.Auth != nil && args.Auth.Oidc != nil && !authFlags {
		a := args.Auth.Oidc
		for _, in := range []struct {
			key string
			dst *string
			v   pulumi.StringInput
		}{{"issuer", &o.oidc.Issuer, a.Issuer}, {"clientId", &o.oidc.ClientID, a.ClientId}} {
			if in.v == nil {
				return fmt.Errorf("%s: auth.oidc.%s is not set", path, in.key)
			}
			v, err := plainValue(in.v)
			if err != nil {
				return err
			}
			s, _ := v.(string)
			if why, ok := strings.CutPrefix(s, unresolved); ok {
				return fmt.Errorf("%s: auth.oidc.%s: %s", path, in.key, why)
			}
			*in.dst = s
		}
		o.oidc.Scopes, o.oidc.AllowedEmails, o.oidc.AllowedEmailDomains = a.Scopes, a.AllowedEmails, a.AllowedEmailDomains
		o.oidc.AllowedGroups, o.oidc.AllowAnyUser = a.AllowedGroups, a.AllowAnyUser
		took = append(took, "auth.oidc")
	}
	if args.BackgroundTimeout != nil && !flags.Changed("job-timeout") {
		v, err := plainValue(args.BackgroundTimeout)
		if err != nil {
			return err
		}
		o.jobTimeout = time.Duration(v.(int)) * time.Second
		took = append(took, fmt.Sprintf("backgroundTimeout %ds", v.(int)))
	}
	if len(took) > 0 {
		fmt.Fprintf(log, "preview: from %s: %s\n", path, strings.Join(took, ", "))
	}
	return nil
}

// plainValue is the value of an input the file gave (a value or an environment variable: known at once).
func plainValue(in pulumi.Input) (any, error) {
	r, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(in))
	if err != nil {
		return nil, err
	}
	return r.Value, nil
}
