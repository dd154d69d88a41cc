package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/opendash/opendash/deployerpolicy"
)

// TestIAMPolicy: the parts printed are the policy for the name given, whole, each a policy document.
func TestIAMPolicy(t *testing.T) {
	want, err := deployerpolicy.For(deployerpolicy.Site{Name: "sales", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	var statements int
	for part := 1; ; part++ {
		code, stdout, stderr := run("iam-policy", "--name", "sales", "--account", "123456789012", "--part", string(rune('0'+part)))
		if code == 2 && strings.Contains(stderr, "the policy has parts 1 to") {
			break
		}
		var p deployerpolicy.Policy
		if code != 0 || json.Unmarshal([]byte(stdout), &p) != nil || p.Version != "2012-10-17" {
			t.Fatalf("part %d: exit %d, stderr %q, stdout:\n%.300s", part, code, stderr, stdout)
		}
		for _, st := range p.Statement {
			for _, r := range st.Resource {
				if strings.Contains(r, "site-") || (strings.Contains(r, ":function:") && !strings.Contains(r, "sales-")) {
					t.Errorf("part %d names %s", part, r)
				}
			}
		}
		statements += len(p.Statement)
	}
	if statements != len(want.Statement) {
		t.Errorf("the parts hold %d statements, the policy %d", statements, len(want.Statement))
	}
	if code, _, stderr := run("iam-policy", "--name", "Sales!"); code != 2 || !strings.Contains(stderr, "a-z, 0-9") {
		t.Errorf("a bad name: exit %d, %q", code, stderr)
	}
}
