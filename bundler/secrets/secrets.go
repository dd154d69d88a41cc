// Package secrets is how a deployed app gets its secrets without their values ever reaching the function's
// configuration, the Pulumi state or a log. The DashSite component names them in one environment variable
// (Env: variable name to ARN, never a value); opendash_secrets.py, shipped beside the server function's
// handler, reads each at Lambda INIT with the function's own role and puts it in os.environ before the app
// is imported. The variable's name is the one key for a secret everywhere: `secrets: {DATABASE_URL: {arn}}`
// on AWS, `DATABASE_URL=...` in the file `open-dash preview --env-file` reads.
package secrets

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
)

// PythonFile is the reader's name in the server function, beside the handler; Env is the variable it reads.
const (
	PythonFile = "opendash_secrets.py"
	Env        = "OPENDASH_SECRETS"
)

// Python is the reader's source (standard library, plus boto3 on Lambda).
//
//go:embed opendash_secrets.py
var Python []byte

// Ref names one secret: the ARN of a Secrets Manager secret or of an SSM parameter, and optionally the key
// of a JSON object value to take (an RDS secret's "password", say).
type Ref struct {
	Arn     string `json:"arn"`
	JsonKey string `json:"jsonKey,omitempty"`
}

// Encode is Env's value for refs by variable name: JSON, keys sorted, so the function's configuration only
// changes when the secrets it names do.
func Encode(refs map[string]Ref) string {
	b, err := json.Marshal(refs)
	if err != nil {
		panic(err) // strings only: cannot fail
	}
	return string(b)
}

// Services a secret ARN may name.
const (
	SecretsManager = "secretsmanager"
	SSM            = "ssm"
)

// Arn is a checked secret ARN, split into the parts IAM policies and VPC endpoints need.
type Arn struct {
	Partition, Service, Region, Account string
}

var (
	arnRE = regexp.MustCompile(`^arn:(aws[a-z-]*):([a-z0-9-]+):([a-z]{2}(?:-[a-z]+)+-[0-9]+):([0-9]{12}):(.*)$`)
	// A full secret ARN ends in "-" and the 6 random characters Secrets Manager adds to the name.
	secretRE    = regexp.MustCompile(`^secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$`)
	secretName  = regexp.MustCompile(`^secret:[A-Za-z0-9/_+=.@-]+$`)
	parameterRE = regexp.MustCompile(`^parameter/[A-Za-z0-9_./-]+$`)
	keyRE       = regexp.MustCompile(`^key/[A-Za-z0-9-]+$`)
)

// ParseArn checks that s is the full ARN of a Secrets Manager secret or the ARN of an SSM parameter.
func ParseArn(s string) (Arn, error) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil {
		return Arn{}, fmt.Errorf("%q is not an ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-abc123 or "+
			"arn:aws:ssm:REGION:ACCOUNT:parameter/NAME)", s)
	}
	a, resource := Arn{Partition: m[1], Service: m[2], Region: m[3], Account: m[4]}, m[5]
	switch {
	case a.Service == SecretsManager && secretRE.MatchString(resource):
		return a, nil
	case a.Service == SecretsManager && secretName.MatchString(resource):
		// IAM matches the full ARN: a grant on the partial one would allow nothing.
		return Arn{}, fmt.Errorf("%q is a partial secret ARN (no 6-character suffix after the name); give the "+
			"secret's full ARN, as the console shows it or as the secret resource's arn output", s)
	case a.Service == SSM && parameterRE.MatchString(resource):
		return a, nil
	case a.Service == SecretsManager || a.Service == SSM:
		return Arn{}, fmt.Errorf("%q names no %s", s, map[string]string{SecretsManager: "secret (secret:NAME-abc123)",
			SSM: "parameter (parameter/NAME)"}[a.Service])
	}
	return Arn{}, fmt.Errorf("%q is a %s ARN; a secret is a Secrets Manager secret's ARN or an SSM parameter's", s, a.Service)
}

// ParseKeyArn checks that s is a KMS key's ARN (not an alias: IAM checks kms:Decrypt against the key's ARN).
func ParseKeyArn(s string) (Arn, error) {
	m := arnRE.FindStringSubmatch(s)
	if m == nil || m[2] != "kms" || !keyRE.MatchString(m[5]) {
		hint := ""
		if m != nil && strings.HasPrefix(m[5], "alias/") {
			hint = " (an alias's ARN does not work: IAM checks kms:Decrypt against the key's own ARN)"
		}
		return Arn{}, fmt.Errorf("%q is not a KMS key ARN (arn:aws:kms:REGION:ACCOUNT:key/ID)%s", s, hint)
	}
	return Arn{Partition: m[1], Service: m[2], Region: m[3], Account: m[4]}, nil
}

// nameRE is Lambda's rule for environment variable names (a letter, then letters, digits and "_").
var nameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]+$`)

// lambdaReserved are the variables Lambda sets itself and refuses in a function's configuration
// (https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime):
// overwriting one at INIT would break the runtime or the AWS SDK (the credentials among them).
var lambdaReserved = map[string]bool{
	"_HANDLER": true, "_X_AMZN_TRACE_ID": true, "AWS_DEFAULT_REGION": true, "AWS_REGION": true,
	"AWS_EXECUTION_ENV": true, "AWS_LAMBDA_FUNCTION_NAME": true, "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": true,
	"AWS_LAMBDA_FUNCTION_VERSION": true, "AWS_LAMBDA_INITIALIZATION_TYPE": true, "AWS_LAMBDA_LOG_GROUP_NAME": true,
	"AWS_LAMBDA_LOG_STREAM_NAME": true, "AWS_ACCESS_KEY": true, "AWS_ACCESS_KEY_ID": true,
	"AWS_SECRET_ACCESS_KEY": true, "AWS_SESSION_TOKEN": true, "AWS_LAMBDA_RUNTIME_API": true,
	"LAMBDA_TASK_ROOT": true, "LAMBDA_RUNTIME_DIR": true,
}

// CheckName refuses a secret's variable name that is not a Lambda environment variable name, one Lambda
// reserves, or one OpenDash sets (OPENDASH_...).
func CheckName(name string) error {
	switch {
	case !nameRE.MatchString(name):
		return fmt.Errorf("%q is not an environment variable name Lambda accepts (a letter, then letters, digits "+
			"or _; at least 2 characters)", name)
	case lambdaReserved[name]:
		return fmt.Errorf("%s is set by Lambda itself; name the variable otherwise", name)
	case strings.HasPrefix(name, "OPENDASH_"):
		return fmt.Errorf("%s: names starting with OPENDASH_ are OpenDash's own; name the variable otherwise", name)
	}
	return nil
}
