// Package workflowlint checks the GitHub Actions workflow `open-dash init github-actions` writes with
// actionlint. It is a module of its own so that actionlint's dependencies stay out of OpenDash's.
package workflowlint

import (
	"bytes"
	"io"
	"testing"

	"github.com/rhysd/actionlint"

	"github.com/opendash/opendash/ghactions"
)

// TestWorkflowPassesActionlint lints the workflow for the shapes users ask for: defaults (roles and region
// from repository variables), explicit roles and region, an app in a sub-folder with secrets.
func TestWorkflowPassesActionlint(t *testing.T) {
	cases := map[string]ghactions.Options{
		"defaults": {},
		"explicit": {Source: "apps/board", Stack: "production", Branch: "trunk", Region: "eu-west-1",
			DeployRole:  "arn:aws:iam::123456789012:role/opendash-deploy",
			PreviewRole: "arn:aws:iam::123456789012:role/opendash-preview",
			Python:      "3.11", OpenDashVersion: "v1.2.3", SecretEnv: []string{"ALICE_PASSWORD", "OIDC_CLIENT_SECRET"},
			EnvFile: "apps/board/bundle.env"},
	}
	for name, o := range cases {
		t.Run(name, func(t *testing.T) {
			out, err := ghactions.Workflow(o)
			if err != nil {
				t.Fatal(err)
			}
			linter, err := actionlint.NewLinter(io.Discard, &actionlint.LinterOptions{})
			if err != nil {
				t.Fatal(err)
			}
			errs, err := linter.Lint(ghactions.FileName, out, nil)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range errs {
				t.Errorf("actionlint: %s", e.Error())
			}
			if t.Failed() {
				t.Logf("the workflow:\n%s", out)
			}
			// The check can fail: a misspelt context in the same file is reported.
			broken := bytes.Replace(out, []byte("github.repository"), []byte("github.repositoryy"), 1)
			if errs, _ := linter.Lint(ghactions.FileName, broken, nil); len(errs) == 0 {
				t.Error("actionlint found nothing wrong with github.repositoryy")
			}
		})
	}
}
