package component

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opendash/opendash/bundler/secrets"
	p "github.com/pulumi/pulumi-go-provider"
	"github.com/pulumi/pulumi-go-provider/integration"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/property"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const (
	dbSecret    = "arn:aws:secretsmanager:" + region + ":" + account + ":secret:prod/db-AbC123"
	apiParam    = "arn:aws:ssm:" + region + ":" + account + ":parameter/app/api-key"
	sharedEU    = "arn:aws:secretsmanager:eu-west-1:" + account + ":secret:shared-XyZ789"
	kmsKey      = "arn:aws:kms:" + region + ":" + account + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"
	athenaArn   = "arn:aws:iam::aws:policy/AmazonAthenaFullAccess"
	reportsArn  = "arn:aws:iam::" + account + ":policy/reports"
	serverRole  = "site-server-role-r1" // the role's name, as the mocks answer it
	serverRoleI = "site-server-role-id" // its id
)

// dependsOn reports whether a child lists a dependency on the resource named name.
func (c child) dependsOn(name string) bool {
	for _, urn := range c.dependencies {
		if strings.HasSuffix(urn, "::"+name) {
			return true
		}
	}
	return false
}

// TestPolicyArnsAndStatements: each managed policy is attached to the role the server and jobs functions
// share, the statements become one inline policy as given, and both functions wait for them.
func TestPolicyArnsAndStatements(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: backgroundBundle(t),
		PolicyArns: []pulumi.StringInput{pulumi.String(athenaArn), pulumi.String(reportsArn).ToStringOutput()},
		PolicyStatements: pulumi.MapArray{
			pulumi.Map{"Sid": pulumi.String("ReadData"), "Effect": pulumi.String("Allow"),
				"Action":   pulumi.StringArray{pulumi.String("s3:GetObject"), pulumi.String("s3:ListBucket")},
				"Resource": pulumi.StringArray{pulumi.String("arn:aws:s3:::data"), pulumi.String("arn:aws:s3:::data/*").ToStringOutput()}},
			pulumi.Map{"Effect": pulumi.String("Allow"), "Action": pulumi.String("athena:StartQueryExecution"),
				"Resource":  pulumi.String("*"),
				"Condition": pulumi.Map{"StringEquals": pulumi.Map{"aws:RequestedRegion": pulumi.String(region)}}},
		}})
	if d.err != nil {
		t.Fatal(d.err)
	}
	sum := sha256.Sum256([]byte(athenaArn))
	byName := "site-server-policy-" + hex.EncodeToString(sum[:4])
	for name, arn := range map[string]string{byName: athenaArn, "site-server-policy-1": reportsArn} {
		a := d.one(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", name)
		if a.str("role") != serverRole || a.str("policyArn") != arn {
			t.Errorf("%s: %v", name, a.inputs)
		}
	}
	pol := d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-server-data-policy")
	want := `{"Statement":[{"Action":["s3:GetObject","s3:ListBucket"],"Effect":"Allow","Resource":["arn:aws:s3:::data",` +
		`"arn:aws:s3:::data/*"],"Sid":"ReadData"},{"Action":"athena:StartQueryExecution","Condition":{"StringEquals":` +
		`{"aws:RequestedRegion":"` + region + `"}},"Effect":"Allow","Resource":"*"}],"Version":"2012-10-17"}`
	if pol.str("role") != serverRoleI || pol.str("policy") != want {
		t.Errorf("data policy on %q:\n got %s\nwant %s", pol.str("role"), pol.str("policy"), want)
	}
	for _, fn := range []string{"site-server", "site-jobs"} {
		c := d.one(t, "aws:lambda/function:Function", fn)
		if c.inputs.Mappable()["role"] != "arn:aws:iam::"+account+":role/"+serverRole {
			t.Errorf("%s runs as %v", fn, c.inputs.Mappable()["role"])
		}
		for _, dep := range []string{byName, "site-server-policy-1", "site-server-data-policy"} {
			if !c.dependsOn(dep) {
				t.Errorf("%s does not wait for %s", fn, dep)
			}
		}
	}
}

// TestVpc: both functions run in the VPC with the VPC access policy on their role, created first; the warmer,
// the edge and the helper functions stay out of it.
func TestVpc(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: backgroundBundle(t), Vpc: &VpcArgs{
		SubnetIds:        pulumi.StringArray{pulumi.String("subnet-a"), pulumi.String("subnet-b")},
		SecurityGroupIds: pulumi.StringArray{pulumi.String("sg-app")}}})
	if d.err != nil {
		t.Fatal(d.err)
	}
	access := d.one(t, "aws:iam/rolePolicyAttachment:RolePolicyAttachment", "site-server-vpc-access")
	if access.str("role") != serverRole || access.str("policyArn") != VPCAccessPolicyArn {
		t.Errorf("VPC access: %v", access.inputs)
	}
	for _, c := range d.ofType("aws:lambda/function:Function") {
		got := jsonOf(c.inputs.Mappable()["vpcConfig"])
		inVpc := c.name == "site-server" || c.name == "site-jobs"
		switch {
		case inVpc && got != `{"securityGroupIds":["sg-app"],"subnetIds":["subnet-a","subnet-b"]}`:
			t.Errorf("%s vpcConfig = %s", c.name, got)
		case inVpc && !c.dependsOn("site-server-vpc-access"):
			t.Errorf("%s is created before its role may manage network interfaces", c.name)
		case !inVpc && got != "null":
			t.Errorf("%s is in the VPC: %s", c.name, got)
		}
	}
	if len(d.ofType("aws:lambda/function:Function")) < 4 {
		t.Errorf("expected the warmer and helper functions too: %d functions", len(d.ofType("aws:lambda/function:Function")))
	}
}

// readsValues counts the ways a program could read a secret's value: the component must use none.
var readsValues = []string{"aws:secretsmanager/getSecretVersion:getSecretVersion", "aws:ssm/getParameter:getParameter",
	"aws:secretsmanager/getSecretVersions:getSecretVersions", "aws:ssm/getParametersByPath:getParametersByPath"}

// TestSecrets: the functions get only the ARNs (OPENDASH_SECRETS), the role exactly the reads of those ARNs
// (kms:Decrypt only through the service that holds the secret), and no value is read or stored anywhere.
func TestSecrets(t *testing.T) {
	m := &mocks{}
	d := deployWith(t, m, &DashSiteArgs{BundleDir: backgroundBundle(t),
		Environment: pulumi.StringMap{"MODE": pulumi.String("prod")},
		Secrets: map[string]SecretArgs{
			"DATABASE_URL": {Arn: pulumi.String(dbSecret), JsonKey: "url"},
			"DB_PASSWORD":  {Arn: pulumi.String(dbSecret), JsonKey: "password", KmsKeyArn: pulumi.String(kmsKey)},
			"API_KEY":      {Arn: pulumi.String(apiParam).ToStringOutput(), KmsKeyArn: pulumi.String(kmsKey).ToStringOutput()},
		}})
	if d.err != nil {
		t.Fatal(d.err)
	}
	refs := `{"API_KEY":{"arn":"` + apiParam + `"},"DATABASE_URL":{"arn":"` + dbSecret + `","jsonKey":"url"},` +
		`"DB_PASSWORD":{"arn":"` + dbSecret + `","jsonKey":"password"}}`
	for _, fn := range []string{"site-server", "site-jobs"} {
		c := d.one(t, "aws:lambda/function:Function", fn)
		env, _ := c.inputs.Mappable()["environment"].(map[string]any)["variables"].(map[string]any)
		if env[secrets.Env] != refs || env["MODE"] != "prod" {
			t.Errorf("%s environment: %v\nwant %s=%s", fn, env, secrets.Env, refs)
		}
		if !c.dependsOn("site-server-secrets-policy") {
			t.Errorf("%s may start before it may read its secrets", fn)
		}
	}
	pol := d.one(t, "aws:iam/rolePolicy:RolePolicy", "site-server-secrets-policy")
	want := `{"Version":"2012-10-17","Statement":[` +
		`{"Sid":"ReadSecret1","Effect":"Allow","Action":"secretsmanager:GetSecretValue","Resource":"` + dbSecret + `"},` +
		`{"Sid":"ReadParameter1","Effect":"Allow","Action":"ssm:GetParameter","Resource":"` + apiParam + `"},` +
		`{"Sid":"DecryptSecrets1","Effect":"Allow","Action":"kms:Decrypt","Resource":"` + kmsKey + `",` +
		`"Condition":{"StringEquals":{"kms:ViaService":"secretsmanager.` + region + `.amazonaws.com"}}},` +
		`{"Sid":"DecryptSecrets2","Effect":"Allow","Action":"kms:Decrypt","Resource":"` + kmsKey + `",` +
		`"Condition":{"StringEquals":{"kms:ViaService":"ssm.` + region + `.amazonaws.com"}}}]}`
	if pol.str("role") != serverRoleI || pol.str("policy") != want {
		t.Errorf("secrets policy on %q:\n got %s\nwant %s", pol.str("role"), pol.str("policy"), want)
	}
	// Nothing broader anywhere: every grant of these services names exactly these resources.
	for _, c := range d.ofType("aws:iam/rolePolicy:RolePolicy") {
		for _, st := range parsePolicy(t, c.str("policy")).Statement {
			action := jsonOf(st.Action)
			if strings.Contains(action, "secretsmanager:") || strings.Contains(action, "ssm:") || strings.Contains(action, "kms:") {
				if c.name != "site-server-secrets-policy" || strings.Contains(action, "*") || !contains([]string{dbSecret, apiParam, kmsKey}, st.Resource) {
					t.Errorf("%s grants %s on %s", c.name, action, st.Resource)
				}
			}
		}
	}
	for _, call := range m.calls {
		if contains(readsValues, call.Token) {
			t.Errorf("the program read a secret value: %s", call.Token)
		}
	}
	for _, c := range d.children {
		if strings.HasPrefix(c.typ, "aws:secretsmanager/") || strings.HasPrefix(c.typ, "aws:ssm/") {
			t.Errorf("%s %s would hold a secret value in the state: %v", c.typ, c.name, c.inputs)
		}
	}
}

// TestNoDataAccessByDefault: without the arguments, or with them empty (as examples/yaml passes them when its
// data access is off), nothing of this is created and the functions are as before.
func TestNoDataAccessByDefault(t *testing.T) {
	for _, args := range []*DashSiteArgs{{BundleDir: backgroundBundle(t)}, {BundleDir: backgroundBundle(t),
		PolicyArns: []pulumi.StringInput{}, PolicyStatements: pulumi.MapArray{}, Secrets: map[string]SecretArgs{}}} {
		noDataAccess(t, deploy(t, args))
	}
}

func noDataAccess(t *testing.T, d *deployment) {
	t.Helper()
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, c := range d.children {
		if strings.HasPrefix(c.name, "site-server-policy") || c.name == "site-server-vpc-access" ||
			c.name == "site-server-data-policy" || c.name == "site-server-secrets-policy" {
			t.Errorf("unexpected %s", c.name)
		}
	}
	env := jsonOf(d.one(t, "aws:lambda/function:Function", "site-server").inputs.Mappable()["environment"])
	if strings.Contains(env, secrets.Env) {
		t.Errorf("server environment %s", env)
	}
}

func TestDataAccessErrors(t *testing.T) {
	st := func(kv ...any) pulumi.MapArray {
		m := pulumi.Map{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(pulumi.Input)
		}
		return pulumi.MapArray{m}
	}
	allow, get, data := pulumi.String("Allow"), pulumi.String("s3:GetObject"), pulumi.String("arn:aws:s3:::data/*")
	tests := []struct {
		name string
		args DashSiteArgs
		want string
	}{
		{"statement without Effect", DashSiteArgs{PolicyStatements: st("Action", get, "Resource", data)},
			"policyStatements[0]: no Effect; a statement has Effect, Action (or NotAction), Resource"},
		{"statement without Resource", DashSiteArgs{PolicyStatements: st("Effect", allow, "Action", get)},
			"give exactly one of Resource and NotResource"},
		{"statement without Action", DashSiteArgs{PolicyStatements: st("Effect", allow, "Resource", data)},
			"give exactly one of Action and NotAction"},
		{"Action and NotAction", DashSiteArgs{PolicyStatements: st("Effect", allow, "Action", get, "NotAction", get, "Resource", data)},
			"give exactly one of Action and NotAction"},
		{"a principal", DashSiteArgs{PolicyStatements: st("Effect", allow, "Action", get, "Resource", data, "Principal", pulumi.String("*"))},
			"Principal: a statement of the role's own policy names no principal"},
		{"lower-case keys", DashSiteArgs{PolicyStatements: st("effect", allow, "actions", get, "resources", data)},
			`"actions": IAM's statement keys are capitalised as in a policy document: use Action`},
		{"unknown key", DashSiteArgs{PolicyStatements: st("Effect", allow, "Action", get, "Resource", data, "Note", pulumi.String("x"))},
			`"Note" is not a statement key`},
		{"effect value", DashSiteArgs{PolicyStatements: st("Effect", pulumi.String("allow"), "Action", get, "Resource", data)},
			`policyStatements[0]: Effect is allow; use "Allow" or "Deny"`},
		{"action without service", DashSiteArgs{PolicyStatements: st("Effect", allow, "Action", pulumi.String("GetObject"), "Resource", data)},
			`Action "GetObject" is not an action (service:Action`},
		{"resource not an ARN", DashSiteArgs{PolicyStatements: st("Effect", allow, "Action", get, "Resource", pulumi.String("data/*"))},
			`Resource "data/*" is not an ARN or "*"`},
		{"no statements from an output", DashSiteArgs{PolicyStatements: pulumi.MapArray{}.ToMapArrayOutput()},
			"policyStatements resolved to an empty list"},
		{"a statement from an output", DashSiteArgs{PolicyStatements: pulumi.MapArray{
			pulumi.Map{"Effect": allow, "Action": get}.ToMapOutput()}}, "policyStatements[0]: give exactly one of Resource and NotResource"},
		{"a policy name, not its ARN", DashSiteArgs{PolicyArns: []pulumi.StringInput{pulumi.String("AmazonS3ReadOnlyAccess")}},
			`policyArns[0] "AmazonS3ReadOnlyAccess" is not a managed policy's ARN`},
		{"an output that is no policy ARN", DashSiteArgs{PolicyArns: []pulumi.StringInput{pulumi.String(dbSecret).ToStringOutput()}},
			`policyArns[0] "` + dbSecret + `" is not a managed policy's ARN`},
		{"vpc without security groups", DashSiteArgs{Vpc: &VpcArgs{SubnetIds: pulumi.StringArray{pulumi.String("subnet-a")}}},
			"vpc.securityGroupIds is not set"},
		{"vpc without subnets", DashSiteArgs{Vpc: &VpcArgs{SubnetIds: pulumi.StringArray{}, SecurityGroupIds: pulumi.StringArray{pulumi.String("sg")}}},
			"vpc.subnetIds has 0 items; Lambda takes 1 to 16"},
		{"a secret's name Lambda sets", DashSiteArgs{Secrets: map[string]SecretArgs{"AWS_REGION": {Arn: pulumi.String(dbSecret)}}},
			"secrets: AWS_REGION is set by Lambda itself"},
		{"a secret's name with a dash", DashSiteArgs{Secrets: map[string]SecretArgs{"db-url": {Arn: pulumi.String(dbSecret)}}},
			`secrets: "db-url" is not an environment variable name`},
		{"a name in both", DashSiteArgs{Environment: pulumi.StringMap{"DATABASE_URL": pulumi.String("x")},
			Secrets: map[string]SecretArgs{"DATABASE_URL": {Arn: pulumi.String(dbSecret)}}}, "DATABASE_URL is in both environment and secrets"},
		{"a secret without arn", DashSiteArgs{Secrets: map[string]SecretArgs{"DATABASE_URL": {JsonKey: "url"}}},
			"secrets.DATABASE_URL has no arn"},
		{"a partial secret ARN", DashSiteArgs{Secrets: map[string]SecretArgs{"DATABASE_URL": {
			Arn: pulumi.String("arn:aws:secretsmanager:" + region + ":" + account + ":secret:prod/db")}}}, "is a partial secret ARN"},
		{"a bucket ARN from an output", DashSiteArgs{Secrets: map[string]SecretArgs{"DATABASE_URL": {
			Arn: pulumi.String("arn:aws:s3:us-west-2:" + account + ":bucket").ToStringOutput()}}}, "secrets.DATABASE_URL.arn"},
		{"a key alias", DashSiteArgs{Secrets: map[string]SecretArgs{"DATABASE_URL": {Arn: pulumi.String(dbSecret),
			KmsKeyArn: pulumi.String("arn:aws:kms:" + region + ":" + account + ":alias/app")}}}, "an alias's ARN does not work"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			args.BundleDir = testBundle
			d := deploy(t, &args)
			if d.err == nil || !strings.Contains(d.err.Error(), tt.want) || !strings.Contains(d.err.Error(), `DashSite "site"`) {
				t.Errorf("error %v, want %q", d.err, tt.want)
			}
		})
	}
}

// TestVpcEndpointWarnings: with vpc, one warning per endpoint the site needs, at preview; none without vpc.
func TestVpcEndpointWarnings(t *testing.T) {
	var mu sync.Mutex
	var got []string
	old := warn
	warn = func(_ *pulumi.Context, _ pulumi.Resource, msg string) {
		// A loaded machine delays what runs after the region's lookup: the program's run must wait for the
		// warnings all the same (once, 0 warnings arrived before RunErr returned).
		time.Sleep(50 * time.Millisecond)
		mu.Lock()
		got = append(got, msg)
		mu.Unlock()
	}
	t.Cleanup(func() { warn = old })
	vpc := &VpcArgs{SubnetIds: pulumi.StringArray{pulumi.String("subnet-a")}, SecurityGroupIds: pulumi.StringArray{pulumi.String("sg")}}
	all := map[string]SecretArgs{"DATABASE_URL": {Arn: pulumi.String(dbSecret), KmsKeyArn: pulumi.String(kmsKey)},
		"PASSWORD": {Arn: pulumi.String(dbSecret)}, "API_KEY": {Arn: pulumi.String(apiParam)}, "SHARED": {Arn: pulumi.String(sharedEU)}}
	reads := pulumi.MapArray{pulumi.Map{"Effect": pulumi.String("Allow"),
		"Action": pulumi.StringArray{pulumi.String("s3:GetObject"), pulumi.String("athena:GetQueryResults")}, "Resource": pulumi.String("*")}}
	tests := []struct {
		name string
		args DashSiteArgs
		want []string
	}{
		{"no vpc", DashSiteArgs{BundleDir: backgroundBundle(t), Secrets: all}, nil},
		{"vpc alone", DashSiteArgs{BundleDir: testBundle, Vpc: vpc}, nil},
		{"vpc, secrets, background callbacks, the app's calls", DashSiteArgs{BundleDir: backgroundBundle(t), Vpc: vpc,
			Secrets: all, PolicyStatements: reads}, []string{
			"the secrets in Secrets Manager are read at start-up: they need the interface VPC endpoint com.amazonaws." + region + ".secretsmanager (private DNS on",
			"the secrets in SSM Parameter Store are read at start-up: they need the interface VPC endpoint com.amazonaws." + region + ".ssm",
			"the secrets in Secrets Manager are read from Secrets Manager in eu-west-1 at start-up: a function in " + region + " reaches another region's API only through a NAT gateway",
			"background callbacks keep their jobs in S3: the functions need the gateway VPC endpoint com.amazonaws." + region + ".s3 (free",
			"background callbacks start each job with Lambda's Invoke: the server function needs the interface VPC endpoint com.amazonaws." + region + ".lambda",
			"the app's own calls to athena, s3 (policyStatements) need their VPC endpoints",
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got = nil
			if d := deploy(t, &tt.args); d.err != nil {
				t.Fatal(d.err)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(got) != len(tt.want) {
				t.Fatalf("%d warnings, want %d:\n%s", len(got), len(tt.want), strings.Join(got, "\n"))
			}
			for _, w := range tt.want {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, w) && strings.HasPrefix(g, `DashSite "site" runs its functions in a VPC: `)
				}
				if !found {
					t.Errorf("no warning says %q:\n%s", w, strings.Join(got, "\n"))
				}
			}
			for _, g := range got {
				if strings.Contains(g, ".kms") {
					t.Errorf("KMS needs no endpoint (the services decrypt): %s", g)
				}
			}
		})
	}
}

// TestInferConstructDataAccess: the arguments as other languages send them through the plugin (plain JSON
// objects and lists, some values unknown at preview) decode and deploy as from Go.
func TestInferConstructDataAccess(t *testing.T) {
	str := func(s string) property.Value { return property.New(s) }
	list := func(v ...property.Value) property.Value { return property.New(v) }
	obj := func(kv ...any) property.Value {
		m := map[string]property.Value{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i].(string)] = kv[i+1].(property.Value)
		}
		return property.New(m)
	}
	unknown := property.New(property.Computed)
	for _, preview := range []bool{false, true} {
		dataArn := str("arn:aws:s3:::data/*")
		if preview {
			dataArn = unknown // a bucket created in the same update
		}
		var mu sync.Mutex
		inputs := map[string]property.Map{}
		monitor := &integration.MockResourceMonitor{NewResourceF: func(args integration.MockResourceArgs) (string, property.Map, error) {
			mu.Lock()
			inputs[args.Name] = args.Inputs
			mu.Unlock()
			return args.Name + "-id", args.Inputs, nil
		}}
		_, err := testServer(t, monitor).Construct(p.ConstructRequest{
			Urn:    resource.URN("urn:pulumi:stack::project::" + Token + "::site"),
			DryRun: preview,
			Inputs: property.NewMap(map[string]property.Value{
				"bundleDir":        str(testBundle),
				"policyArns":       list(str(athenaArn)),
				"policyStatements": list(obj("Effect", str("Allow"), "Action", list(str("s3:GetObject")), "Resource", dataArn)),
				"secrets":          obj("DATABASE_URL", obj("arn", str(dbSecret), "jsonKey", str("url"))),
				"vpc":              obj("subnetIds", list(str("subnet-a")), "securityGroupIds", list(str("sg-app"))),
			}),
		})
		if err != nil {
			t.Fatalf("preview %v: construct: %v", preview, err)
		}
		mu.Lock()
		server := inputs["site-server"].AsMap()
		if got := server["vpcConfig"].AsMap().Get("subnetIds"); !got.IsArray() || got.AsArray().Get(0).AsString() != "subnet-a" {
			t.Errorf("preview %v: vpcConfig subnets %v", preview, got)
		}
		env := server["environment"].AsMap().Get("variables").AsMap().Get(secrets.Env)
		if want := `{"DATABASE_URL":{"arn":"` + dbSecret + `","jsonKey":"url"}}`; !env.IsString() || env.AsString() != want {
			t.Errorf("preview %v: %s = %v", preview, secrets.Env, env)
		}
		doc := inputs["site-server-data-policy"].Get("policy")
		want := `{"Statement":[{"Action":["s3:GetObject"],"Effect":"Allow","Resource":"arn:aws:s3:::data/*"}],"Version":"2012-10-17"}`
		if preview && !doc.IsComputed() || !preview && (!doc.IsString() || doc.AsString() != want) {
			t.Errorf("preview %v: data policy %v", preview, doc)
		}
		if _, ok := inputs["site-server-vpc-access"]; !ok {
			t.Errorf("preview %v: no VPC access attachment among %v", preview, keys(inputs))
		}
		mu.Unlock()
	}
}
