package component

import (
	"reflect"
	"strings"
	"testing"

	"github.com/opendash/opendash/deployerpolicy"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

// everyFeature are DashSites that, between them, turn on every argument that adds resources or calls: the
// deploying identity's policy (package deployerpolicy) must cover every resource type and function they use.
func everyFeature(t *testing.T) map[string]*DashSiteArgs {
	on := true
	basic := basicAuthArgs("Board")
	basic.OriginAuth = OriginAuthOAC
	basic.WafRateLimit = pulumi.Int(500)
	basic.ImageBuilder = ImageBuilderDocker // awsx's repository and Docker's push; the other site pushes natively
	oidc := oidcArgs()
	oidc.Auth.Oidc.ClientSecret = pulumi.ToSecret(pulumi.String("s3cret-client")).(pulumi.StringOutput)
	oidc.BundleDir = backgroundBundle(t)
	oidc.DomainName, oidc.HostedZoneId = "dash.example.com", pulumi.String("Z123")
	oidc.EdgeLogRetentionDays, oidc.EdgeLogRegions = pulumi.Int(7), []string{"us-east-1", "eu-west-1"}
	oidc.DeleteEdgeFunction = true
	oidc.Warmer, oidc.WarmerConcurrency = &on, pulumi.Int(2)
	oidc.ReservedConcurrency, oidc.ProvisionedConcurrency = pulumi.Int(5), 2
	oidc.BackgroundTimeout = pulumi.Int(300)
	oidc.BaseImage = "public.ecr.aws/lambda/python:3.12"
	oidc.BackgroundConcurrency, oidc.BackgroundReservedConcurrency = pulumi.Int(20), pulumi.Int(25)
	oidc.Vpc = &VpcArgs{SubnetIds: pulumi.StringArray{pulumi.String("subnet-a")},
		SecurityGroupIds: pulumi.StringArray{pulumi.String("sg-app")}}
	oidc.Secrets = map[string]SecretArgs{"DATABASE_URL": {Arn: pulumi.String(dbSecret), JsonKey: "url",
		KmsKeyArn: pulumi.String(kmsKey)}}
	oidc.PolicyArns = []pulumi.StringInput{pulumi.String(athenaArn)}
	oidc.PolicyStatements = pulumi.MapArray{pulumi.Map{"Effect": pulumi.String("Allow"),
		"Action": pulumi.String("s3:GetObject"), "Resource": pulumi.String("arn:aws:s3:::data/*")}}
	return map[string]*DashSiteArgs{
		"basic auth, oac, waf, docker image": basic,
		"oidc with a client secret, edge signer, custom domain, edge logs, warmer, provisioned concurrency, " +
			"background callbacks, native image, vpc, secrets, policies": oidc,
	}
}

// argsWithoutResources are the arguments that change settings of resources every site has, but add no
// resource type or call of their own. An argument in neither this list nor everyFeature fails the test,
// so that a new argument's resources reach the deploying identity's policy.
var argsWithoutResources = []string{
	"Source", "App", "BundleDir", "OutDir", "Python", "SkipInstall", "ExcludeDirs", "Architecture",
	"MemorySize", "Timeout", "Environment", "LogRetentionDays", "PriceClass", "ResponseHeadersPolicyId",
	"Transform",
}

// argumentActions are what an argument needs of the deploying identity beyond its resource types' actions
// (it changes a setting of a resource every site has, and AWS checks more of the caller for it).
var argumentActions = map[string][]string{
	"Vpc": {"ec2:DescribeSecurityGroups", "ec2:DescribeSubnets", "ec2:DescribeVpcs"},
}

// TestDeployerPolicyCoversTheComponent: every resource type and function the component uses, with every
// feature on, is in the deploying identity's policy with its create, read, update, delete and tag actions
// (docs/deployer-policy-*.json, kept equal to the table by deployerpolicy's own test).
func TestDeployerPolicyCoversTheComponent(t *testing.T) {
	types, invokes := map[string]bool{}, map[string]bool{}
	set := map[string]bool{}
	for name, args := range everyFeature(t) {
		m := &mocks{}
		d := deployWith(t, m, args)
		if d.err != nil {
			t.Fatalf("%s: %v", name, d.err)
		}
		for _, c := range d.children {
			types[c.typ] = true
			// Resources are scoped by the DashSite's name: every child's name must start with it.
			if c.typ != Token && !strings.HasPrefix(c.name, "site-") {
				t.Errorf("%s %s: its name does not start with the DashSite's (site-): the policy cannot scope it", c.typ, c.name)
			}
		}
		for _, call := range m.calls {
			invokes[call.Token] = true
		}
		v := reflect.ValueOf(args).Elem()
		for i := 0; i < v.NumField(); i++ {
			if !v.Field(i).IsZero() {
				set[v.Type().Field(i).Name] = true
			}
		}
	}
	delete(types, Token) // the component itself is not an AWS resource
	for _, err := range deployerpolicy.Check(keys(types), keys(invokes)) {
		t.Error(err)
	}
	for _, f := range reflect.VisibleFields(reflect.TypeOf(DashSiteArgs{})) {
		if !set[f.Name] && !contains(argsWithoutResources, f.Name) {
			t.Errorf("argument %s is on in no site of everyFeature: turn it on there (its resources must reach the "+
				"deploying identity's policy) or list it in argsWithoutResources", f.Name)
		}
	}
	policy, err := deployerpolicy.For(deployerpolicy.Site{Name: "site"})
	if err != nil {
		t.Fatal(err)
	}
	for arg, actions := range argumentActions {
		for _, a := range actions {
			if !policy.Allows(a, "*") {
				t.Errorf("argument %s needs %s, which the policy does not allow", arg, a)
			}
		}
	}
	// The policy is made for any name the component accepts.
	if deployerpolicy.MaxNameLength != MaxNameLength {
		t.Errorf("deployerpolicy.MaxNameLength = %d, component's is %d", deployerpolicy.MaxNameLength, MaxNameLength)
	}
	for _, name := range []string{strings.Repeat("a", MaxNameLength), "sales-2", "9lives"} {
		if _, err := deployerpolicy.For(deployerpolicy.Site{Name: name}); err != nil || checkName(name) != nil {
			t.Errorf("name %q: policy %v, component %v", name, err, checkName(name))
		}
	}
	for _, name := range argsWithoutResources {
		if _, ok := reflect.TypeOf(DashSiteArgs{}).FieldByName(name); !ok {
			t.Errorf("argsWithoutResources names %s, which DashSiteArgs does not have", name)
		}
	}
}
