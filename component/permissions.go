package component

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/iam"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws/lambda"
	"github.com/pulumi/pulumi-go-provider/infer"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// What the app itself may do on AWS (policyArns, policyStatements) and where its functions run (vpc). Both
// apply to the one role the server and jobs functions share, and the VPC to both functions.

// VPCAccessPolicyArn lets a Lambda function create and delete the network interfaces it needs in a VPC
// (plus the basic execution role's logs).
const VPCAccessPolicyArn = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

// VpcArgs put the server and jobs functions in a VPC, to reach what is private there (a database, say).
type VpcArgs struct {
	SubnetIds        pulumi.StringArrayInput `pulumi:"subnetIds"`
	SecurityGroupIds pulumi.StringArrayInput `pulumi:"securityGroupIds"`
}

func (a *VpcArgs) Annotate(an infer.Annotator) {
	an.SetToken("index", "Vpc")
	an.Describe(&a.SubnetIds, "Subnets the functions run in, 1 to 16 (private subnets of the VPC; two or more "+
		"Availability Zones keep the site up when one fails).")
	an.Describe(&a.SecurityGroupIds, "Security groups of the functions, 1 to 5: the database's security group "+
		"must admit them, and VPC endpoints' must admit HTTPS (443) from them.")
}

// annotateData documents the arguments of this file and secrets.go.
func annotateData(a *DashSiteArgs, an infer.Annotator) {
	an.Describe(&a.PolicyArns, "Managed IAM policies attached to the role of the server function (and of the "+
		"jobs function, which shares it), e.g. arn:aws:iam::aws:policy/AmazonAthenaFullAccess or your own "+
		"policy's ARN. Prefer policyStatements for least privilege.")
	an.Describe(&a.PolicyStatements, "IAM policy statements, as in an IAM policy document (Effect, Action or "+
		"NotAction, Resource or NotResource, optional Condition and Sid; no Principal), in one inline policy of "+
		"the role of the server function (and of the jobs function, which shares it): what the app may do on "+
		"AWS, such as s3:GetObject on a data bucket.")
	an.Describe(&a.Vpc, "Run the server and jobs functions in a VPC (with AWSLambdaVPCAccessExecutionRole on "+
		"their role), to reach a database in private subnets. A function in a VPC reaches the internet and AWS "+
		"APIs only through a NAT gateway or VPC endpoints: `pulumi preview` warns about each endpoint the site "+
		"needs (Secrets Manager or SSM for secrets, S3 and Lambda for background callbacks). The edge and the "+
		"warmer reach the functions through Lambda's own APIs and are unaffected.")
	an.Describe(&a.Secrets, "Environment variables read from Secrets Manager secrets or SSM parameters when "+
		"each function instance starts, before the app is imported, so `os.environ[\"NAME\"]` works unchanged: "+
		"name to {arn, jsonKey, kmsKeyArn}. Only ARNs reach the function's configuration and the Pulumi state, "+
		"never a value; the role is granted secretsmanager:GetSecretValue or ssm:GetParameter on exactly these "+
		"ARNs. Locally, `open-dash preview --env-file` gives the same names.")
}

// policyArnRE: a managed policy, AWS's or an account's.
var policyArnRE = regexp.MustCompile(`^arn:aws[a-z-]*:iam::(aws|[0-9]{12}):policy/[\w+=,.@/-]+$`)

// checkData refuses, before anything is created, the data access arguments whose known parts are wrong.
func checkData(name string, args *DashSiteArgs) error {
	for i, in := range args.PolicyArns {
		if arn, ok := in.(pulumi.String); in == nil || ok && !policyArnRE.MatchString(string(arn)) {
			return fmt.Errorf("DashSite %q: policyArns[%d] %q is not a managed policy's ARN "+
				"(arn:aws:iam::aws:policy/NAME or arn:aws:iam::ACCOUNT:policy/NAME)", name, i, arn)
		}
	}
	if statements, ok := args.PolicyStatements.(pulumi.MapArray); ok {
		for i, in := range statements {
			if m, ok := in.(pulumi.Map); ok {
				if err := checkStatementKeys(m); err != nil {
					return fmt.Errorf("DashSite %q: policyStatements[%d]: %w", name, i, err)
				}
			}
		}
	}
	if err := checkVpc(name, args.Vpc); err != nil {
		return err
	}
	return checkSecrets(name, args)
}

func checkVpc(name string, vpc *VpcArgs) error {
	if vpc == nil {
		return nil
	}
	for _, list := range []struct {
		arg  string
		in   pulumi.StringArrayInput
		most int
	}{{"vpc.subnetIds", vpc.SubnetIds, 16}, {"vpc.securityGroupIds", vpc.SecurityGroupIds, 5}} {
		if list.in == nil {
			return fmt.Errorf("DashSite %q: %s is not set; a function in a VPC needs both subnets and security groups", name, list.arg)
		}
		if ids, ok := list.in.(pulumi.StringArray); ok && (len(ids) == 0 || len(ids) > list.most) {
			return fmt.Errorf("DashSite %q: %s has %d items; Lambda takes 1 to %d", name, list.arg, len(ids), list.most)
		}
	}
	return nil
}

// Statement keys of an identity policy; a role's policy names no Principal (the role is the principal).
var (
	statementKeys   = map[string]bool{"Sid": true, "Effect": true, "Action": true, "NotAction": true, "Resource": true, "NotResource": true, "Condition": true}
	statementAlias  = map[string]string{"effect": "Effect", "action": "Action", "actions": "Action", "resource": "Resource", "resources": "Resource", "condition": "Condition", "conditions": "Condition", "sid": "Sid", "notaction": "NotAction", "notresource": "NotResource"}
	actionRE        = regexp.MustCompile(`^(\*|[a-z0-9-]+:[A-Za-z0-9*?]+)$`)
	sidRE           = regexp.MustCompile(`^[A-Za-z0-9]*$`)
	statementFields = "Effect, Action (or NotAction), Resource (or NotResource), and optionally Condition and Sid"
)

// checkStatementKeys checks which keys a statement has (their values may still be unknown).
func checkStatementKeys[V any](m map[string]V) error {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch {
		case k == "Principal" || k == "NotPrincipal":
			return fmt.Errorf("%s: a statement of the role's own policy names no principal (the role is the principal); drop it", k)
		case !statementKeys[k] && statementAlias[strings.ToLower(k)] != "":
			return fmt.Errorf("%q: IAM's statement keys are capitalised as in a policy document: use %s", k, statementAlias[strings.ToLower(k)])
		case !statementKeys[k]:
			return fmt.Errorf("%q is not a statement key; a statement has %s", k, statementFields)
		}
	}
	has := func(k string) bool { _, ok := m[k]; return ok }
	switch {
	case !has("Effect"):
		return fmt.Errorf("no Effect; a statement has %s", statementFields)
	case has("Action") == has("NotAction"):
		return fmt.Errorf("give exactly one of Action and NotAction")
	case has("Resource") == has("NotResource"):
		return fmt.Errorf("give exactly one of Resource and NotResource (\"*\" for every resource)")
	}
	return nil
}

// checkStatement checks a resolved statement's values.
func checkStatement(st map[string]any) error {
	if err := checkStatementKeys(st); err != nil {
		return err
	}
	if e := st["Effect"]; e != "Allow" && e != "Deny" {
		return fmt.Errorf("Effect is %v; use \"Allow\" or \"Deny\"", e)
	}
	for key, valid := range map[string]func(string) bool{
		"Action": actionRE.MatchString, "NotAction": actionRE.MatchString,
		"Resource":    func(s string) bool { return s == "*" || strings.HasPrefix(s, "arn:") },
		"NotResource": func(s string) bool { return s == "*" || strings.HasPrefix(s, "arn:") },
	} {
		v, ok := st[key]
		if !ok {
			continue
		}
		list, ok := strings1(v)
		if !ok || len(list) == 0 {
			return fmt.Errorf("%s must be a string or a non-empty list of strings", key)
		}
		for _, s := range list {
			if !valid(s) {
				return fmt.Errorf("%s %q is not %s", key, s, map[bool]string{true: "an action (service:Action, * wildcards allowed)",
					false: "an ARN or \"*\""}[strings.HasSuffix(key, "Action")])
			}
		}
	}
	if c, ok := st["Condition"]; ok {
		if reflect.ValueOf(c).Kind() != reflect.Map {
			return fmt.Errorf("Condition must be an object (operator to key to value)")
		}
	}
	if sid, ok := st["Sid"]; ok {
		if s, isString := sid.(string); !isString || !sidRE.MatchString(s) {
			return fmt.Errorf("Sid %v may hold only letters and digits", sid)
		}
	}
	return nil
}

// strings1 reads a string or a list of strings.
func strings1(v any) ([]string, bool) {
	switch v := v.(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, len(v))
		for i, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out[i] = s
		}
		return out, true
	case []string:
		return v, true
	}
	return nil, false
}

// statementsPolicy renders policyStatements as a policy document once every value is known.
func statementsPolicy(name string, in pulumi.MapArrayInput) pulumi.StringOutput {
	return in.ToMapArrayOutput().ApplyT(func(statements []map[string]any) (string, error) {
		if len(statements) == 0 { // an empty list given as such creates no policy; IAM refuses one without statements
			return "", fmt.Errorf("DashSite %q: policyStatements resolved to an empty list; give the list itself "+
				"(its statements may hold outputs), or leave it out", name)
		}
		for i, st := range statements {
			if err := checkStatement(st); err != nil {
				return "", fmt.Errorf("DashSite %q: policyStatements[%d]: %w", name, i, err)
			}
		}
		doc, err := json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": statements})
		return string(doc), err
	}).(pulumi.StringOutput)
}

// newDataAccess gives the functions' role what the data access arguments ask for, and returns the resources
// the functions must wait for: Lambda refuses a VPC function whose role cannot manage network interfaces,
// and the app reads its secrets as soon as an instance starts.
func newDataAccess(ctx *pulumi.Context, name string, role *iam.Role, s *settings, opts []pulumi.ResourceOption) ([]pulumi.Resource, error) {
	var made []pulumi.Resource
	attach := func(resource string, arn pulumi.StringInput) error {
		r, err := iam.NewRolePolicyAttachment(ctx, resource, with(s.transform.ServerPolicyAttachment,
			&iam.RolePolicyAttachmentArgs{Role: role.Name, PolicyArn: arn}), opts...)
		made = append(made, r)
		return err
	}
	for i, arn := range s.PolicyArns {
		if err := attach(policyAttachmentName(name, i, arn), policyArnChecked(name, i, arn)); err != nil {
			return nil, err
		}
	}
	if s.Vpc != nil {
		if err := attach(name+"-server-vpc-access", pulumi.String(VPCAccessPolicyArn)); err != nil {
			return nil, err
		}
	}
	inline := func(resource string, doc pulumi.StringInput) error {
		r, err := iam.NewRolePolicy(ctx, resource, with(s.transform.ServerRolePolicy,
			&iam.RolePolicyArgs{Role: role.ID(), Policy: doc}), opts...)
		made = append(made, r)
		return err
	}
	if list, plain := s.PolicyStatements.(pulumi.MapArray); s.PolicyStatements != nil && (!plain || len(list) > 0) {
		if err := inline(name+"-server-data-policy", statementsPolicy(name, s.PolicyStatements)); err != nil {
			return nil, err
		}
	}
	if len(s.Secrets) > 0 {
		s.secretsEnv = secretsEnv(name, s)
		if err := inline(name+"-server-secrets-policy", secretsPolicyDoc(name, s)); err != nil {
			return nil, err
		}
	}
	return made, nil
}

// policyAttachmentName names an attachment after its ARN when the ARN is known while the program runs, so
// reordering policyArns changes nothing (attachments named by position would be replaced, and a replaced
// attachment's delete detaches the policy the new one just attached); an output ARN is named by position.
func policyAttachmentName(name string, i int, arn pulumi.StringInput) string {
	if s, ok := arn.(pulumi.String); ok {
		sum := sha256.Sum256([]byte(s))
		return fmt.Sprintf("%s-server-policy-%s", name, hex.EncodeToString(sum[:4]))
	}
	return fmt.Sprintf("%s-server-policy-%d", name, i)
}

// policyArnChecked is arn, failing when an output ARN resolves to something else than a managed policy.
func policyArnChecked(name string, i int, arn pulumi.StringInput) pulumi.StringOutput {
	return arn.ToStringOutput().ApplyT(func(v string) (string, error) {
		if !policyArnRE.MatchString(v) {
			return "", fmt.Errorf("DashSite %q: policyArns[%d] %q is not a managed policy's ARN", name, i, v)
		}
		return v, nil
	}).(pulumi.StringOutput)
}

// vpcConfig is the functions' VpcConfig, nil without vpc.
func vpcConfig(s *settings) *lambda.FunctionVpcConfigArgs {
	if s.Vpc == nil {
		return nil
	}
	return &lambda.FunctionVpcConfigArgs{SubnetIds: s.Vpc.SubnetIds, SecurityGroupIds: s.Vpc.SecurityGroupIds}
}
