package deploy

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opendash/opendash/verify"
)

// VerifyBasicAuthEnv holds USER:PASSWORD for verifying a site behind auth.basic (as for `open-dash verify`).
const VerifyBasicAuthEnv = "OPENDASH_VERIFY_BASIC_AUTH"

// VerifySummary is the verify report in short, for --json.
type VerifySummary struct {
	OK       bool                    `json:"ok"`
	Counts   map[string]verify.Count `json:"counts"`
	Failures []verify.Check          `json:"failures,omitempty"`
	// SignedOut: the site signs in with OIDC, and only the checks that need no session ran.
	SignedOut bool `json:"signedOut,omitempty"`
	// Skipped are the checks not made, each "kind: why".
	Skipped []string `json:"skipped,omitempty"`
}

// VerifyError is a deploy whose site failed verify: the deploy itself went through.
type VerifyError struct{ Failed, Total int }

func (e *VerifyError) Error() string {
	return fmt.Sprintf("the site is deployed, but verify failed %d of %d checks (listed above)", e.Failed, e.Total)
}

// runVerify checks the live site against the bundle that was deployed, as `open-dash verify` does.
func runVerify(ctx context.Context, o Options, res *Result, auth authKind) error {
	basic, _ := o.env(VerifyBasicAuthEnv)
	if auth == authBasic && basic == "" {
		res.VerifySkipped = "the site is behind auth.basic: set " + VerifyBasicAuthEnv + "=USER:PASSWORD to verify it"
		fmt.Fprintf(o.Log, "verify skipped: %s\n", res.VerifySkipped)
		return nil
	}
	opts := verify.Options{URL: res.Outputs.URL, Dir: res.BundleDir, FunctionURL: res.Outputs.ServerFunctionURL,
		BucketURL: res.Outputs.BucketURL, Log: o.Log}
	if auth == authOIDC {
		// verify cannot sign in at the provider: it checks what a visitor without a session meets.
		opts.OIDC = true
		fmt.Fprintf(o.Log, "Verifying %s against %s, signed out (the site signs in with OpenID Connect): the "+
			"checks that need a session are skipped\n", res.Outputs.URL, res.BundleDir)
	} else {
		opts.BasicAuth = basic
		fmt.Fprintf(o.Log, "Verifying %s against %s\n", res.Outputs.URL, res.BundleDir)
	}
	if o.Terminal {
		opts.Progress = o.Log
	}
	rep, err := verify.Run(ctx, opts)
	if err != nil {
		return fmt.Errorf("the site is deployed, but verify could not run: %w", err)
	}
	rep.WriteSummary(o.Log)
	res.Verify = &VerifySummary{OK: rep.OK, Counts: rep.Counts, Failures: rep.Failures(), SignedOut: opts.OIDC}
	for _, c := range rep.Checks {
		if c.Skipped != "" {
			res.Verify.Skipped = append(res.Verify.Skipped, c.Kind+": "+c.Skipped)
		}
	}
	if !rep.OK {
		return &VerifyError{Failed: len(rep.Failures()), Total: len(rep.Checks)}
	}
	return nil
}

func (o Options) env(name string) (string, bool) {
	if o.Env != nil {
		return o.Env(name)
	}
	return os.LookupEnv(name)
}

// authKind is the sign-in in front of the site, which decides what verify can check.
type authKind int

const (
	authNone authKind = iota
	authBasic
	authOIDC
)

// prefixWriter indents each line written through it (the bundler's progress under "Bundling").
type prefixWriter struct {
	w      io.Writer
	prefix string
}

func (p prefixWriter) Write(b []byte) (int, error) {
	lines := strings.SplitAfter(string(b), "\n")
	for _, l := range lines {
		if l == "" {
			continue
		}
		if _, err := io.WriteString(p.w, p.prefix+l); err != nil {
			return 0, err
		}
	}
	return len(b), nil
}
