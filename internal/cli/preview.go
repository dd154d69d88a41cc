package cli

import (
	"fmt"
	"io"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/preview"
)

func init() { extraCommands = append(extraCommands, newPreview) }

// previewOptions are the flags of `open-dash preview`.
type previewOptions struct {
	dir    string
	host   string
	port   int
	python string
	basic  []string // USER:PASSWORD, repeatable
	oidc   preview.OIDCOptions
}

func (o *previewOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".open-dash", "the bundle to serve (the folder holding open-dash.output.json)")
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&o.port, "port", 8080, "port to listen on (0 picks a free one)")
	f.StringArrayVar(&o.basic, "basic-auth", nil, "protect every path with basic auth for USER:PASSWORD (repeatable), running the same CloudFront Function code as the component's auth.basic")
	f.StringVar(&o.oidc.Issuer, "oidc-issuer", "", "sign viewers in with this OpenID Connect provider (with --oidc-client-id), running the component's auth.oidc function in Node.js; register http://HOST:PORT/_opendash/callback at the provider")
	f.StringVar(&o.oidc.ClientID, "oidc-client-id", "", "the public (PKCE) app client's id, with --oidc-issuer")
	f.StringSliceVar(&o.oidc.Scopes, "oidc-scopes", nil, "scopes to ask for, with --oidc-issuer (default openid,email)")
	f.StringSliceVar(&o.oidc.AllowedEmailDomains, "oidc-allowed-email-domains", nil, "admit only verified emails in these domains (or --oidc-allowed-groups)")
	f.StringSliceVar(&o.oidc.AllowedGroups, "oidc-allowed-groups", nil, "admit only members of these groups (or --oidc-allowed-email-domains)")
	f.StringVar(&o.python, "python", "", "Python that runs the server function, with the app's requirements installed (default: $VIRTUAL_ENV/bin/python, else python3)")
}

func newPreview(stdout, stderr io.Writer) *cobra.Command {
	o := &previewOptions{}
	cmd := &cobra.Command{
		Use:   "preview [--dir .open-dash] [--port 8080]",
		Short: "Serve a bundle locally exactly as CloudFront routes it: static files from assets/, the rest through index.py",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.port < 0 || o.port > 65535 {
				return usageError{fmt.Errorf("--port %d is not a TCP port", o.port)}
			}
			var users []preview.Credential
			for _, b := range o.basic {
				c, err := preview.ParseCredential(b)
				if err != nil {
					return usageError{fmt.Errorf("--basic-auth: %w", err)}
				}
				users = append(users, c)
			}
			var oidc *preview.OIDCOptions
			switch {
			case (o.oidc.Issuer == "") != (o.oidc.ClientID == ""):
				return usageError{fmt.Errorf("--oidc-issuer and --oidc-client-id go together; set both")}
			case o.oidc.Issuer != "" && len(users) > 0:
				return usageError{fmt.Errorf("--basic-auth and --oidc-issuer: choose one, as a site's auth has one kind")}
			case o.oidc.Issuer != "":
				oidc = &o.oidc
			}
			s, err := preview.Start(cmd.Context(), preview.Options{
				Dir:    o.dir,
				Addr:   net.JoinHostPort(o.host, strconv.Itoa(o.port)),
				Python: o.python,
				Log:    stderr,

				BasicAuth: users,
				OIDC:      oidc,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Previewing %s at %s (Ctrl-C stops)\n", o.dir, s.URL())
			return s.Wait()
		},
	}
	o.addFlags(cmd)
	return cmd
}
