package ghactions

import (
	"strings"
	"testing"
)

func TestWorkflow(t *testing.T) {
	out, err := Workflow(Options{Source: "apps/board", Region: "eu-west-1", SecretEnv: []string{"ALICE_PASSWORD", "API_TOKEN"},
		DeployRole: "arn:aws:iam::123456789012:role/opendash-deploy", OpenDashVersion: "1.2.3"})
	if err != nil {
		t.Fatal(err)
	}
	text := string(out)
	for _, want := range []string{
		"open-dash deploy --source \"apps/board\" --stack \"prod\" --region \"$AWS_REGION\" --yes",
		"--preview",
		"role-to-assume: arn:aws:iam::123456789012:role/opendash-deploy",
		"role-to-assume: ${{ vars.OPENDASH_PREVIEW_ROLE_ARN }}",
		"aws-region: eu-west-1",
		"github.event.pull_request.head.repo.full_name == github.repository",
		"id-token: write",
		"ALICE_PASSWORD: ${{ secrets.ALICE_PASSWORD }}",
		"cmd/open-dash@v1.2.3",
		"pip install -r \"apps/board/requirements.txt\"",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the workflow lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "OPENDASH_ENV_FILE") {
		t.Error("an env file step without an env file")
	}
	if strings.Contains(text, "aws-access-key-id") || strings.Contains(text, "AWS_SECRET_ACCESS_KEY") {
		t.Error("the workflow uses long-lived keys")
	}
}

func TestWorkflowRefuses(t *testing.T) {
	for _, o := range []Options{
		{Source: "a b"}, {Stack: "prod;rm"}, {Region: "europe"}, {DeployRole: "arn:aws:iam::1:user/x"},
		{SecretEnv: []string{"GITHUB_TOKEN"}}, {SecretEnv: []string{"A-B"}}, {EnvFile: "a b.env"}, {EnvFile: "../x.env"},
	} {
		if _, err := Workflow(o); err == nil {
			t.Errorf("%+v: no error", o)
		}
	}
	out, _ := Workflow(Options{OpenDashVersion: "0.1.0-dev"})
	if !strings.Contains(string(out), "cmd/open-dash@latest") {
		t.Error("a development version should install @latest")
	}
}
