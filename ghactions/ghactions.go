// Package ghactions writes the GitHub Actions workflow of `open-dash init github-actions`: on a push to the
// default branch it deploys the app with `open-dash deploy --yes` (failing the job when verify fails); a pull
// request from the repository itself gets the plan only (`open-dash deploy --preview`) under a read-only
// role, and one from a fork gets nothing (its code would run with the repository's AWS role). AWS access is
// a role assumed through GitHub's OIDC provider: no long-lived keys. The standard library only, so the
// actionlint check (tools/workflowlint) keeps its dependencies out of OpenDash's.
package ghactions

import (
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"text/template"
)

// Options shape the workflow.
type Options struct {
	// Source is the app folder relative to the repository root ("." for the root).
	Source string
	// Stack is the stack pushes deploy (default "prod").
	Stack string
	// Branch is the default branch (default "main").
	Branch string
	// Region is the AWS region; "" reads the repository variable AWS_REGION.
	Region string
	// DeployRole and PreviewRole are IAM role ARNs; "" reads the repository variables OPENDASH_DEPLOY_ROLE_ARN
	// and OPENDASH_PREVIEW_ROLE_ARN.
	DeployRole, PreviewRole string
	// Python is the Python version the app runs on (default "3.12").
	Python string
	// PulumiVersion is the Pulumi CLI installed (default the one OpenDash needs).
	PulumiVersion string
	// OpenDashVersion is the version `go install` takes ("latest" when not a release).
	OpenDashVersion string
	// SecretEnv are the environment variables the configuration file references ({ env = "NAME" }): each is
	// passed from the repository secret of the same name.
	SecretEnv []string
	// EnvFile is [deploy] envFile of the configuration, relative to the repository root: the file is not in
	// the repository (it holds secrets), so each job writes it from the repository secret EnvFileSecret.
	EnvFile string
}

// EnvFileSecret is the repository secret holding the env file's contents (open-dash deploy --env-file).
const EnvFileSecret = "OPENDASH_ENV_FILE"

// FileName is where the workflow goes, relative to the repository root.
const FileName = ".github/workflows/open-dash.yml"

var (
	versionTag = regexp.MustCompile(`^v?\d+\.\d+\.\d+$`)
	envName    = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	roleARN    = regexp.MustCompile(`^arn:aws[a-z-]*:iam::\d{12}:role/[\w+=,.@/-]+$`)
	region     = regexp.MustCompile(`^[a-z]{2}(-[a-z]+)+-\d$`)
	// safe are values written into the YAML unquoted-safe: paths, stack and branch names.
	safe = regexp.MustCompile(`^[A-Za-z0-9_./-]+$`)
)

// Workflow renders the workflow file.
func Workflow(o Options) ([]byte, error) {
	def := func(v *string, d string) {
		if *v == "" {
			*v = d
		}
	}
	def(&o.Source, ".")
	def(&o.Stack, "prod")
	def(&o.Branch, "main")
	def(&o.Python, "3.12")
	def(&o.PulumiVersion, "3.274.1")
	if !versionTag.MatchString(o.OpenDashVersion) {
		o.OpenDashVersion = "latest"
	} else if !strings.HasPrefix(o.OpenDashVersion, "v") {
		o.OpenDashVersion = "v" + o.OpenDashVersion
	}
	for what, v := range map[string]string{"source folder": o.Source, "stack": o.Stack, "branch": o.Branch,
		"Python version": o.Python, "Pulumi version": o.PulumiVersion, "env file": o.EnvFile} {
		if v != "" && !safe.MatchString(v) || strings.Contains(v, "..") {
			return nil, fmt.Errorf("%s %q: use letters, digits, '.', '_', '-' and '/'", what, v)
		}
	}
	for _, r := range []string{o.DeployRole, o.PreviewRole} {
		if r != "" && !roleARN.MatchString(r) {
			return nil, fmt.Errorf("%q is not an IAM role ARN (arn:aws:iam::<account>:role/<name>)", r)
		}
	}
	if o.Region != "" && !region.MatchString(o.Region) {
		return nil, fmt.Errorf("%q is not an AWS region (e.g. eu-west-1)", o.Region)
	}
	env := append([]string(nil), o.SecretEnv...)
	sort.Strings(env)
	for _, e := range env {
		if !envName.MatchString(e) || strings.HasPrefix(e, "GITHUB_") {
			return nil, fmt.Errorf("%q cannot be passed from a GitHub secret (secret names are letters, digits "+
				"and _, not starting with GITHUB_)", e)
		}
	}
	var b bytes.Buffer
	err := workflow.Execute(&b, workflowData{o, env, orVar(o.Region, "AWS_REGION"),
		orVar(o.DeployRole, "OPENDASH_DEPLOY_ROLE_ARN"), orVar(o.PreviewRole, "OPENDASH_PREVIEW_ROLE_ARN"), EnvFileSecret})
	return b.Bytes(), err
}

// workflowData is what the template reads: the options with defaults, the secrets to pass, and each
// setting as the workflow writes it (a value, or the repository variable that holds it).
type workflowData struct {
	Options
	Env                                         []string
	RegionExpr, DeployRoleExpr, PreviewRoleExpr string
	EnvFileSecret                               string
}

// jobData is a job's setup: the workflow's data and the role the job assumes.
type jobData struct {
	workflowData
	Role string
}

// orVar is the value, or the expression that reads the repository variable of that name.
func orVar(value, variable string) string {
	if value != "" {
		return value
	}
	return "${{ vars." + variable + " }}"
}

// workflow is the file; both jobs share the steps of "setup" but for the role they assume.
var workflow = template.Must(template.New("workflow").Delims("[[", "]]").Funcs(template.FuncMap{
	"job": func(d workflowData, role string) jobData { return jobData{d, role} },
}).Parse(`[[define "setup"]]      - uses: actions/checkout@v6
      - uses: actions/setup-python@v6
        with:
          python-version: "[[.Python]]"
      - uses: actions/setup-go@v6
        with:
          go-version: stable
          cache: false
      - name: Install OpenDash
        run: go install github.com/opendash/opendash/cmd/open-dash@[[.OpenDashVersion]] && echo "$(go env GOPATH)/bin" >> "$GITHUB_PATH"
      - name: Install Pulumi
        uses: pulumi/actions@v6
        with:
          pulumi-version: "[[.PulumiVersion]]"
      - uses: aws-actions/configure-aws-credentials@v6
        with:
          role-to-assume: [[.Role]]
          aws-region: [[.RegionExpr]]
      - name: Install the app's requirements
        run: |
          python -m venv "$RUNNER_TEMP/venv"
          "$RUNNER_TEMP/venv/bin/python" -m pip install -r "[[.Source]]/requirements.txt"
          echo "VIRTUAL_ENV=$RUNNER_TEMP/venv" >> "$GITHUB_ENV"
          echo "$RUNNER_TEMP/venv/bin" >> "$GITHUB_PATH"
[[- if .EnvFile]]
      - name: Write the env file the app reads while it is bundled
        run: |
          if [ -z "$[[.EnvFileSecret]]" ]; then
            echo "::error::the repository secret [[.EnvFileSecret]] is empty or not set: gh secret set [[.EnvFileSecret]] < [[.EnvFile]]"
            exit 1
          fi
          mkdir -p "$(dirname "[[.EnvFile]]")"
          printf '%s\n' "$[[.EnvFileSecret]]" > "[[.EnvFile]]"
        env:
          [[.EnvFileSecret]]: ${{ secrets.[[.EnvFileSecret]] }}
[[- end]]
[[end]]# Written by open-dash init github-actions. Deploys [[.Source]] with open-dash on every push to [[.Branch]];
# pull requests from this repository get the plan only (open-dash deploy --preview), with a read-only role.
# Pull requests from forks run nothing: their code would run with this repository's AWS role.
# AWS access: roles assumed through GitHub's OIDC provider, no long-lived keys (OpenDash's docs/deploy.md,
# "Deploy on every push", shows the roles' trust policies and permissions).
name: open-dash

on:
  push:
    branches:
      - "[[.Branch]]"
  pull_request:
  workflow_dispatch:

# One deploy of the stack at a time (Pulumi's lock would refuse the second anyway).
concurrency:
  group: open-dash-${{ github.event_name == 'pull_request' && github.ref || '[[.Stack]]' }}
  cancel-in-progress: false

permissions:
  contents: read
  id-token: write # to ask GitHub's OIDC provider for a token AWS trusts

jobs:
  deploy:
    if: github.event_name != 'pull_request'
    runs-on: ubuntu-latest
    timeout-minutes: 60
    steps:
[[template "setup" job . .DeployRoleExpr]]      - name: Deploy and verify
        run: open-dash deploy --source "[[.Source]]" --stack "[[.Stack]]" --region "$AWS_REGION" --yes[[if .Env]]
        env:[[range .Env]]
          [[.]]: ${{ secrets.[[.]] }}[[end]][[end]]

  plan:
    # Only pull requests from this repository: a fork's code never runs with the repository's role.
    if: github.event_name == 'pull_request' && github.event.pull_request.head.repo.full_name == github.repository
    runs-on: ubuntu-latest
    timeout-minutes: 30
    steps:
[[template "setup" job . .PreviewRoleExpr]]      - name: Plan (changes nothing)
        run: open-dash deploy --source "[[.Source]]" --stack "[[.Stack]]" --region "$AWS_REGION" --preview[[if .Env]]
        env:[[range .Env]]
          [[.]]: ${{ secrets.[[.]] }}[[end]][[end]]
`))
