package preview

import (
	"strings"
	"testing"
)

// TestCheckEnv: Options.Env holds what the component's environment and secrets could give the function.
func TestCheckEnv(t *testing.T) {
	tests := []struct {
		env  []string
		want string // "" for accepted
	}{
		{[]string{"DATABASE_URL=postgres://x", "GREETING=", "AWS_PROFILE=dev", "Mixed_Case1=x"}, ""},
		{[]string{"AWS_SESSION_TOKEN=x"}, "AWS_SESSION_TOKEN is set by Lambda itself"},
		{[]string{"LAMBDA_TASK_ROOT=/x"}, "LAMBDA_TASK_ROOT is set by Lambda itself"},
		{[]string{"OPENDASH_JOBS_DIR=/x"}, "names starting with OPENDASH_ are OpenDash's own"},
		{[]string{"PYTHONDONTWRITEBYTECODE=0"}, "set by the preview itself"},
		{[]string{"_X=1"}, "not an environment variable name Lambda accepts"},
		{[]string{"s3cr3t"}, `an environment entry has no "="`},
	}
	for _, tt := range tests {
		err := checkEnv(tt.env)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%q: %v", tt.env, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%q: %v, want %q", tt.env, err, tt.want)
		case err != nil && strings.Contains(err.Error(), "s3cr3t"):
			t.Errorf("%q: the error shows the entry: %v", tt.env, err)
		}
	}
}
