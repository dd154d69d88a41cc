package cli

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/preview"
)

func init() { extraCommands = append(extraCommands, newPreview) }

// PortEnv sets the default --port (scripts and tests that must not collide on 8080 set it to 0).
const PortEnv = "OPENDASH_PREVIEW_PORT"

// previewOptions are the flags of `open-dash preview`.
type previewOptions struct {
	dir    string
	source string
	host   string
	port   int
	python string
	// originAuth answers like the deployed component's originAuth (edge or oac).
	originAuth string
	basic      []string // USER:PASSWORD, repeatable
	oidc       preview.OIDCOptions
	// Lambda's realities: how many instances, CloudFront's origin timeout, the jobs function's timeout.
	instances           int
	timeout, jobTimeout time.Duration
	envFiles            []string // dotenv files: what environment and secrets give the deployed function
}

func (o *previewOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", preview.DefaultDir, "the bundle to serve (the folder holding open-dash.output.json)")
	f.StringVar(&o.source, "source", "", "serve the bundle of this app folder, found where open-dash bundle --source put it")
	f.StringVar(&o.host, "host", "127.0.0.1", "address to listen on")
	f.IntVar(&o.port, "port", defaultPort(), "port to listen on (0 picks a free one; $"+PortEnv+" sets the default)")
	f.StringVar(&o.originAuth, "origin-auth", preview.OriginAuthEdge, "answer like the deployed originAuth: edge (Lambda@Edge signer, bodies up to 1 MB) or oac (CloudFront origin access control: bodies up to 6 MB, refused with 403 without a matching x-amz-content-sha256)")
	f.StringArrayVar(&o.basic, "basic-auth", nil, "protect every path with basic auth for USER:PASSWORD (repeatable), running the same CloudFront Function code as the component's auth.basic")
	f.StringVar(&o.oidc.Issuer, "oidc-issuer", "", "sign viewers in with this OpenID Connect provider (with --oidc-client-id), running the component's auth.oidc function in Node.js; register http://HOST:PORT/_opendash/callback at the provider")
	f.StringVar(&o.oidc.ClientID, "oidc-client-id", "", "the public (PKCE) app client's id, with --oidc-issuer")
	f.StringSliceVar(&o.oidc.Scopes, "oidc-scopes", nil, "scopes to ask for, with --oidc-issuer (default openid,email)")
	f.StringSliceVar(&o.oidc.AllowedEmails, "oidc-allowed-emails", nil, "admit these verified emails (with --oidc-issuer, at least one of the --oidc-allowed-* lists or --oidc-allow-any-user)")
	f.StringSliceVar(&o.oidc.AllowedEmailDomains, "oidc-allowed-email-domains", nil, "admit verified emails in these domains")
	f.StringSliceVar(&o.oidc.AllowedGroups, "oidc-allowed-groups", nil, "admit members of these groups")
	f.BoolVar(&o.oidc.AllowAnyUser, "oidc-allow-any-user", false, "admit everyone the provider signs in (the component's allowAnyUser)")
	f.StringVar(&o.python, "python", "", "Python that runs the server function, with the app's requirements installed (default: $VIRTUAL_ENV/bin/python, else python3)")
	f.IntVar(&o.instances, "instances", 1, "Lambda instances to play: requests are spread over this many workers, each with its own temporary folder")
	f.DurationVar(&o.timeout, "timeout", preview.DefaultTimeout, "CloudFront's origin timeout: a server request running longer answers 504")
	f.DurationVar(&o.jobTimeout, "job-timeout", preview.DefaultJobTimeout, "the longest a background callback job may run (the component's backgroundTimeout)")
	f.StringArrayVar(&o.envFiles, "env-file", nil, "give the server function the variables of this dotenv file (NAME=value lines), as the component's environment and secrets do on AWS under the same names (repeatable; a later file wins)")
}

// checkPortEnv refuses a $OPENDASH_PREVIEW_PORT that is not a port (defaultPort would ignore it silently).
func checkPortEnv() error {
	v, set := os.LookupEnv(PortEnv)
	if !set || v == "" {
		return nil
	}
	if p, err := strconv.Atoi(v); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("$%s=%q is not a port (0 to 65535; 0 picks a free one)", PortEnv, v)
	}
	return nil
}

func defaultPort() int {
	if p, err := strconv.Atoi(os.Getenv(PortEnv)); err == nil && p >= 0 && p <= 65535 {
		return p
	}
	return 8080
}

// bundleDir picks the bundle: --dir, else the bundle of --source, else ./.open-dash (with a message naming
// the bundles nearby when it is missing).
func (o *previewOptions) bundleDir(cmd *cobra.Command) (string, error) {
	return pickBundle(cmd, o.dir, o.source)
}

// pickBundle is how preview and verify find a bundle: --dir, else the bundle of --source, else ./.open-dash
// (with a message naming the bundles nearby when it is missing).
func pickBundle(cmd *cobra.Command, dir, source string) (string, error) {
	dirSet := cmd.Flags().Changed("dir")
	switch {
	case dirSet && source != "":
		return "", usageError{errors.New("pass --dir or --source, not both")}
	case source != "":
		dir, note, err := preview.FindSource(source)
		if note != "" {
			fmt.Fprintf(cmd.ErrOrStderr(), "open-dash: %s\n", note)
		}
		return dir, err
	case dirSet:
		return dir, nil
	}
	if _, err := os.Stat(filepath.Join(dir, manifest.FileName)); err == nil {
		return dir, nil
	}
	cwd, err := os.Getwd()
	if err != nil {
		return "", err
	}
	return "", preview.Missing(cwd)
}

func newPreview(stdout, stderr io.Writer) *cobra.Command {
	o := &previewOptions{}
	cmd := &cobra.Command{
		Use:   "preview [--source APP_FOLDER | --dir .open-dash] [--port 8080]",
		Short: "Serve a bundle locally exactly as CloudFront routes it: static files from assets/, the rest through the server function",
		Example: `  open-dash preview --source ./my-app
  open-dash preview --dir ./my-app-bundle --port 0`,
		Args: noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.port < 0 || o.port > 65535 {
				return usageError{fmt.Errorf("--port %d is not a TCP port", o.port)}
			}
			if !cmd.Flags().Changed("port") {
				if err := checkPortEnv(); err != nil {
					return usageError{err}
				}
			}
			if err := o.applySiteConfig(cmd, stderr); err != nil {
				return err
			}
			if o.originAuth != preview.OriginAuthEdge && o.originAuth != preview.OriginAuthOAC {
				return usageError{fmt.Errorf("--origin-auth %q: use edge or oac, as the component's originAuth", o.originAuth)}
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
				if err := o.oidc.Check(); err != nil {
					return usageError{err}
				}
				oidc = &o.oidc
			}
			if o.instances < 1 || o.instances > 64 {
				return usageError{fmt.Errorf("--instances %d: play 1 to 64 Lambda instances", o.instances)}
			}
			env, err := readEnvFiles(o.envFiles, stderr)
			if err != nil {
				return err
			}
			dir, err := o.bundleDir(cmd)
			if err != nil {
				return err
			}
			s, err := preview.Start(cmd.Context(), preview.Options{
				Dir:        dir,
				Addr:       net.JoinHostPort(o.host, strconv.Itoa(o.port)),
				Python:     o.python,
				Log:        stderr,
				OriginAuth: o.originAuth,
				BasicAuth:  users,
				OIDC:       oidc,
				Instances:  o.instances,
				Timeout:    o.timeout,
				JobTimeout: o.jobTimeout,
				Env:        env,
			})
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "Previewing %s at %s (origin auth %s; Ctrl-C stops)\n", dir, s.URL(), o.originAuth)
			return s.Wait()
		},
	}
	o.addFlags(cmd)
	return cmd
}
