package component

import (
	"regexp"
	"strings"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// verifyCommand is the `open-dash verify` command line for the deployed site: the bundle folder as the
// component read it (relative paths are relative to the Pulumi project's folder), the function URL and the
// bucket's own URL, so the command also proves both refuse the public.
func verifyCommand(url pulumi.StringOutput, bundleDir string, functionURL, bucketDomain pulumi.StringOutput) pulumi.StringOutput {
	return pulumi.Sprintf("open-dash verify %s --dir %s --function-url %s --bucket-url https://%s",
		url, shellQuote(bundleDir), functionURL, bucketDomain)
}

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+=,-]+$`)

// shellQuote makes s one word for a POSIX shell.
func shellQuote(s string) string {
	if shellSafe.MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
