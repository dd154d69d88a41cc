package secrets

import (
	"strings"
	"testing"
)

func TestParseArn(t *testing.T) {
	tests := []struct {
		arn  string
		want Arn
		err  string
	}{
		{arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/db-AbC123",
			want: Arn{"aws", SecretsManager, "eu-west-1", "123456789012"}},
		{arn: "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a.b@c+d=e_f-Zz9Zz9",
			want: Arn{"aws-us-gov", SecretsManager, "us-gov-west-1", "123456789012"}},
		{arn: "arn:aws:ssm:us-east-1:123456789012:parameter/app/db-url", want: Arn{"aws", SSM, "us-east-1", "123456789012"}},
		{arn: "arn:aws-cn:ssm:cn-north-1:123456789012:parameter/token", want: Arn{"aws-cn", SSM, "cn-north-1", "123456789012"}},
		{arn: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:db", err: "is a partial secret ARN"},
		{arn: "arn:aws:secretsmanager:eu-west-1:123456789012:db-AbC123", err: "names no secret"},
		{arn: "arn:aws:ssm:eu-west-1:123456789012:document/x", err: "names no parameter"},
		{arn: "arn:aws:s3:::bucket/key", err: "is not an ARN"},
		{arn: "arn:aws:kms:eu-west-1:123456789012:key/1234", err: "is a kms ARN"},
		{arn: "prod/db", err: "is not an ARN"},
		{arn: "arn:aws:secretsmanager:eu-west-1:1234:secret:db-AbC123", err: "is not an ARN"},
	}
	for _, tt := range tests {
		got, err := ParseArn(tt.arn)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("%s: %+v, %v; want %+v", tt.arn, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)):
			t.Errorf("%s: %v, want an error with %q", tt.arn, err, tt.err)
		}
	}
}

func TestParseKeyArn(t *testing.T) {
	if a, err := ParseKeyArn("arn:aws:kms:eu-west-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"); err != nil || a.Region != "eu-west-1" {
		t.Errorf("key ARN: %+v, %v", a, err)
	}
	for arn, want := range map[string]string{
		"arn:aws:kms:eu-west-1:123456789012:alias/app":                   "an alias's ARN does not work",
		"arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbC123": "is not a KMS key ARN",
		"1234abcd-12ab-34cd-56ef-1234567890ab":                           "is not a KMS key ARN",
	} {
		if _, err := ParseKeyArn(arn); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arn, err, want)
		}
	}
}

func TestCheckName(t *testing.T) {
	for name, want := range map[string]string{
		"DATABASE_URL": "", "db_password": "", "A1": "",
		"A":                 "not an environment variable name",
		"1A":                "not an environment variable name",
		"_X":                "not an environment variable name",
		"MY-VAR":            "not an environment variable name",
		"AWS_REGION":        "set by Lambda itself",
		"AWS_ACCESS_KEY_ID": "set by Lambda itself",
		"LAMBDA_TASK_ROOT":  "set by Lambda itself",
		"OPENDASH_SECRETS":  "OpenDash's own",
	} {
		err := CheckName(name)
		if (want == "") != (err == nil) || err != nil && !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", name, err, want)
		}
	}
}

func TestEncode(t *testing.T) {
	got := Encode(map[string]Ref{"B_KEY": {Arn: "arn:b", JsonKey: "k"}, "A_URL": {Arn: "arn:a"}})
	if want := `{"A_URL":{"arn":"arn:a"},"B_KEY":{"arn":"arn:b","jsonKey":"k"}}`; got != want {
		t.Errorf("Encode = %s, want %s", got, want)
	}
}
