package component

import (
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// verifyCommand is the `open-dash verify` command line for the deployed site: the bundle folder relative to
// the Pulumi project's folder (siteBundle.path: an absolute one would tie the output to the machine that
// deployed, and change when the checkout moves or CI deploys), the function URL and the bucket's own URL, so
// the command also proves both refuse the public. Behind OIDC sign-in (oidc), which verify cannot do, it
// runs the checks that need no sign-in (--oidc).
func verifyCommand(url pulumi.StringOutput, bundleDir string, functionURL, bucketDomain pulumi.StringOutput, oidc bool) pulumi.StringOutput {
	flag := ""
	if oidc {
		flag = " --oidc"
	}
	return pulumi.Sprintf("open-dash verify %s --dir %s --function-url %s --bucket-url https://%s%s",
		url, shellQuote(bundleDir), functionURL, bucketDomain, flag)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote makes s one word for a POSIX shell.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
