package deployerpolicy

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite docs/deployer-policy-*.json")

// TestDocsPolicy keeps docs/deployer-policy-N.json, the policies for a DashSite named "site" (the README's)
// in any account, equal to what the table makes (`make policy` rewrites them).
func TestDocsPolicy(t *testing.T) {
	p, err := For(Site{Name: "site"})
	if err != nil {
		t.Fatal(err)
	}
	parts := p.Split(ManagedPolicyLimit)
	if *update {
		old, _ := filepath.Glob("../docs/deployer-policy-*.json")
		for _, f := range old {
			os.Remove(f)
		}
		for i, part := range parts {
			if err := os.WriteFile(DocsFile(i+1), part.JSON(), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	files, _ := filepath.Glob("../docs/deployer-policy-*.json")
	if len(files) != len(parts) {
		t.Fatalf("docs has %d deployer policies, the table makes %d: run `make policy`", len(files), len(parts))
	}
	for i, part := range parts {
		want, err := os.ReadFile(DocsFile(i + 1))
		if err != nil {
			t.Fatal(err)
		}
		if string(part.JSON()) != string(want) {
			t.Errorf("%s is not what deployerpolicy makes: run `make policy`", filepath.Base(DocsFile(i+1)))
		}
	}
}

// DocsFile is the path of the n-th policy of docs/.
func DocsFile(n int) string { return fmt.Sprintf("../docs/deployer-policy-%d.json", n) }

// TestSplitFitsManagedPolicies: each part fits a customer managed policy (white space not counted), and
// together they are the whole policy, even for a long site name.
func TestSplitFitsManagedPolicies(t *testing.T) {
	p, err := For(Site{Name: strings.Repeat("a", MaxNameLength), Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	parts := p.Split(ManagedPolicyLimit)
	var n int
	for i, part := range parts {
		size := len(regexp.MustCompile(`\s`).ReplaceAll(part.JSON(), nil))
		if size > ManagedPolicyLimit || size != part.Size() {
			t.Errorf("part %d has %d characters without white space (Size %d); a managed policy holds %d",
				i+1, size, part.Size(), ManagedPolicyLimit)
		}
		n += len(part.Statement)
	}
	if n != len(p.Statement) || len(parts) > 3 {
		t.Errorf("%d parts hold %d statements of %d", len(parts), n, len(p.Statement))
	}
}

// TestCheck: a resource type or function missing from the table, or with an empty lifecycle list and no
// reason, is reported; a complete table entry is not.
func TestCheck(t *testing.T) {
	errs := Check([]string{"aws:s3/bucketV2:BucketV2", "aws:sqs/queue:Queue"}, []string{"aws:kms/getKey:getKey"})
	if len(errs) != 2 || !strings.Contains(errs[0].Error(), "aws:sqs/queue:Queue") ||
		!strings.Contains(errs[1].Error(), "aws:kms/getKey:getKey") {
		t.Errorf("Check = %v", errs)
	}
	Resources["test:index:NoTag"] = Access{On: anyResource, Create: []string{"x:A"}, Read: []string{"x:B"},
		Update: []string{"x:C"}, Delete: []string{"x:D"}}
	defer delete(Resources, "test:index:NoTag")
	if errs := Check([]string{"test:index:NoTag"}, nil); len(errs) != 1 || !strings.Contains(errs[0].Error(), "no tag actions") {
		t.Errorf("Check of an entry without tag actions or a reason = %v", errs)
	}
	for tok, a := range Resources {
		if tok != "test:index:NoTag" && a.Incomplete() != "" {
			t.Errorf("%s: no %s actions and no reason", tok, a.Incomplete())
		}
	}
}

// TestScopedByName: the site's own resources are named by its prefix, in its account; another site's are not.
func TestScopedByName(t *testing.T) {
	p, err := For(Site{Name: "sales", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		action, arn string
		want        bool
	}{
		{"s3:CreateBucket", "arn:aws:s3:::sales-assets-1a2b3c4", true},
		{"s3:CreateBucket", "arn:aws:s3:::salesforce-data", false},
		{"s3:PutObject", "arn:aws:s3:::sales-deploy-9f8e7d6/static.zip", true},
		{"lambda:CreateFunction", "arn:aws:lambda:eu-west-1:123456789012:function:sales-server-abc1234", true},
		{"lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:123456789012:function:sales-sync-abc1234", true},
		{"lambda:InvokeFunction", "arn:aws:lambda:eu-west-1:123456789012:function:payroll", false},
		{"lambda:EnableReplication*", "arn:aws:lambda:us-east-1:123456789012:function:sales-edge-signer-1:3", true},
		{"lambda:CreateFunction", "arn:aws:lambda:eu-west-1:999999999999:function:sales-server-abc1234", false},
		{"iam:PassRole", "arn:aws:iam::123456789012:role/sales-server-7c6d5e4", true},
		{"iam:PassRole", "arn:aws:iam::123456789012:role/Admin", false},
		{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/sales-server-abc1234", true},
		{"logs:CreateLogGroup", "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/us-east-1.sales-edge-signer-1", true},
		{"ecr:PutImage", "arn:aws:ecr:eu-west-1:123456789012:repository/sales-server-repo-1a2b3c4", true},
		{"ecr:PutImage", "arn:aws:ecr:eu-west-1:123456789012:repository/other", false},
		{"sts:GetCallerIdentity", "*", true},
		{"iam:CreateRole", "arn:aws:iam::123456789012:role/sales-warmer-1", true},
		{"iam:CreateUser", "arn:aws:iam::123456789012:user/sales-x", false},
	} {
		if got := p.Allows(tt.action, tt.arn); got != tt.want {
			t.Errorf("Allows(%s, %s) = %t, want %t", tt.action, tt.arn, got, tt.want)
		}
	}
	for _, bad := range []Site{{Name: ""}, {Name: "a b"}, {Name: "site*"}, {Name: "Sales"}, {Name: "site", Account: "12"},
		{Name: strings.Repeat("a", MaxNameLength+1)}} {
		if _, err := For(bad); err == nil {
			t.Errorf("For(%+v) accepted", bad)
		}
	}
}

// sdkCall is a call of the AWS SDK for Go through the deploy's clients: a.s3.HeadBucket(ctx, ...).
var sdkCall = regexp.MustCompile(`\.(s3|kms|sts)\.([A-Z]\w+)\(ctx`)

// TestStateCallsCoverTheDeploy: every AWS call package deploy makes itself is in StateCalls, with actions
// the policy allows; a new call fails here until it is.
func TestStateCallsCoverTheDeploy(t *testing.T) {
	files, err := filepath.Glob("../deploy/*.go")
	if err != nil || len(files) == 0 {
		t.Fatalf("no deploy/*.go (%v)", err)
	}
	p, err := For(Site{Name: "site", Account: "123456789012"})
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range sdkCall.FindAllStringSubmatch(string(src), -1) {
			calls++
			grants, ok := StateCalls[m[1]+"."+m[2]]
			if !ok {
				t.Errorf("%s calls %s.%s, which deployerpolicy.StateCalls (deployerpolicy/state.go) lacks: add the IAM "+
					"actions it needs", filepath.Base(f), m[1], m[2])
			}
			for _, g := range grants {
				for _, a := range g.Actions {
					if !p.Allows(a, strings.ReplaceAll(strings.ReplaceAll(g.On.arns[0], "{account}", "123456789012"), "*", "x")) {
						t.Errorf("%s.%s: the policy does not allow %s on %s", m[1], m[2], a, g.On.arns[0])
					}
				}
			}
		}
	}
	if calls < 5 {
		t.Errorf("found %d AWS calls in deploy/*.go: the pattern no longer matches how the deploy calls AWS", calls)
	}
}
