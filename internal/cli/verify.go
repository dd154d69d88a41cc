package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opendash/opendash/verify"
)

func init() { extraCommands = append(extraCommands, newVerify) }

// VerifyBasicAuthEnv holds USER:PASSWORD for `open-dash verify` when --basic-auth is not given.
const VerifyBasicAuthEnv = "OPENDASH_VERIFY_BASIC_AUTH"

// verifyOptions are the flags of `open-dash verify`.
type verifyOptions struct {
	dir         string
	source      string
	functionURL string
	bucketURL   string
	concurrency int
	json        bool
	basicAuth   string
	oidc        bool
}

func (o *verifyOptions) addFlags(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&o.dir, "dir", ".open-dash", "the bundle that was deployed (the folder holding open-dash.output.json)")
	f.StringVar(&o.source, "source", "", "check against the bundle of this app folder, found where open-dash bundle --source put it")
	f.StringVar(&o.functionURL, "function-url", "", "the server function's URL: unsigned requests must be refused (pulumi stack output serverFunctionUrl)")
	f.StringVar(&o.bucketURL, "bucket-url", "", "the bucket's S3 URL, https://<bucket>.s3.<region>.amazonaws.com: it must refuse anonymous reads")
	f.StringVar(&o.basicAuth, "basic-auth", "", "USER:PASSWORD of a site behind auth.basic, sent to the site only (also $OPENDASH_VERIFY_BASIC_AUTH, to keep it out of shell history)")
	f.BoolVar(&o.oidc, "oidc", false, "the site signs visitors in with OpenID Connect (auth.oidc): check what needs no sign-in (every path asks for it, the sign-in endpoints answer, the rest is closed) and note what is skipped")
	f.IntVar(&o.concurrency, "concurrency", verify.DefaultConcurrency, "requests in flight at once")
	f.BoolVar(&o.json, "json", false, "print every check and its result as JSON on stdout")
}

func newVerify(stdout, stderr io.Writer) *cobra.Command {
	o := &verifyOptions{}
	cmd := &cobra.Command{
		Use:   "verify URL [--dir .open-dash] [--function-url URL] [--bucket-url URL] [--basic-auth USER:PASSWORD | --oidc]",
		Short: "Check that a deployed site serves its bundle: files, routes, a callback, and nothing left open",
		Long: `verify requests every file of the bundle from the deployed site as a browser would and compares status,
Content-Type, Cache-Control and content with the manifest; checks that the server answers its routes and
static paths refuse POST; makes one real Dash callback round trip; and, when given their URLs, that the
function URL refuses unsigned requests, the bucket refuses anonymous reads and http redirects to https.
Behind OIDC sign-in (--oidc), every path must ask a visitor without a session to sign in and the sign-in's
own endpoints must answer; what needs a session is skipped, and the summary says what.
Exit code 0 when every check passes, 1 otherwise, 2 for a wrong command line.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageError{fmt.Errorf("verify takes the site's URL (pulumi stack output url), got %d arguments", len(args))}
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			if o.concurrency < 1 {
				return usageError{fmt.Errorf("--concurrency %d: give at least 1", o.concurrency)}
			}
			opts := verify.Options{
				URL: args[0], FunctionURL: o.functionURL, BucketURL: o.bucketURL, Concurrency: o.concurrency,
				BasicAuth: o.basicAuth, OIDC: o.oidc,
			}
			if o.oidc && o.basicAuth != "" {
				return usageError{fmt.Errorf("--basic-auth and --oidc: a site signs in one way; choose the one it uses")}
			}
			if opts.BasicAuth == "" && !o.oidc {
				opts.BasicAuth = os.Getenv(VerifyBasicAuthEnv)
			}
			if opts.BasicAuth != "" && !strings.Contains(opts.BasicAuth, ":") {
				return usageError{fmt.Errorf("--basic-auth: want USER:PASSWORD")}
			}
			dir, err := pickBundle(cmd, o.dir, o.source)
			if err != nil {
				return err
			}
			opts.Dir = dir
			if !o.json {
				opts.Log = stderr
				if isTerminal(stderr) {
					opts.Progress = stderr
				}
			}
			rep, err := verify.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if o.json {
				enc := json.NewEncoder(stdout)
				enc.SetIndent("", "  ")
				if err := enc.Encode(rep); err != nil {
					return err
				}
			} else {
				rep.WriteSummary(stderr)
			}
			if failed := len(rep.Failures()); failed > 0 {
				return fmt.Errorf("verify: %d of %d checks failed", failed, len(rep.Checks)) // exit code 1
			}
			return nil
		},
	}
	o.addFlags(cmd)
	return cmd
}

// isTerminal reports whether w is a character device (a terminal), where a progress line may be rewritten.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}
