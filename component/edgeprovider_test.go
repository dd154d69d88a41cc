package component

import (
	"strings"
	"testing"

	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

func TestEdgeProviderCopiesEveryAWSSetting(t *testing.T) {
	config := map[string]string{
		"aws:region":                    "eu-west-1",
		"aws:profile":                   "deploy",
		"aws:accessKey":                 "AKIDEXAMPLE",
		"aws:secretKey":                 "s3cr3t",
		"aws:assumeRole":                `{"roleArn":"arn:aws:iam::123456789012:role/deployer","sessionName":"ci"}`,
		"aws:defaultTags":               `{"tags":{"team":"data"}}`,
		"aws:sharedCredentialsFiles":    `["/ci/credentials","/ci/more"]`,
		"aws:sharedConfigFiles":         "/ci/config", // one plain string for a list
		"aws:maxRetries":                "7",
		"aws:skipCredentialsValidation": "true",
		"aws:allowedAccountIds":         `["123456789012"]`,
		"aws:endpoints":                 `[{"sts":"https://sts.example.com"}]`,
		"aws:httpProxy":                 "http://proxy:3128",
		"other:setting":                 "not for aws",
	}
	d := deployWith(t, &mocks{}, &DashSiteArgs{BundleDir: testBundle}, withConfig(config, "aws:httpProxy"))
	if d.err != nil {
		t.Fatal(d.err)
	}
	p := d.one(t, "pulumi:providers:aws", "site-us-east-1")
	plain := func(k string) resource.PropertyValue {
		v := p.inputs[resource.PropertyKey(k)]
		if v.IsSecret() {
			return v.SecretValue().Element
		}
		return v
	}
	tests := []struct {
		key, want string
		secret    bool
	}{
		{"region", `"us-east-1"`, false},
		{"profile", `"deploy"`, false},
		{"accessKey", `"AKIDEXAMPLE"`, true},
		{"secretKey", `"s3cr3t"`, true},
		{"assumeRole.roleArn", `"arn:aws:iam::123456789012:role/deployer"`, false},
		{"assumeRole.sessionName", `"ci"`, false},
		{"defaultTags", `{"tags":{"team":"data"}}`, false},
		{"sharedCredentialsFiles", `["/ci/credentials","/ci/more"]`, false},
		{"sharedConfigFiles", `["/ci/config"]`, false},
		{"maxRetries", `7`, false},
		{"skipCredentialsValidation", `true`, false},
		{"allowedAccountIds", `["123456789012"]`, false},
		{"endpoints.0.sts", `"https://sts.example.com"`, false},
		{"httpProxy", `"http://proxy:3128"`, true}, // set with --secret
	}
	for _, tt := range tests {
		// "a.b" is field b of object a, "a.0.b" field b of list a's first element; unset fields of an object
		// may arrive as empty lists or maps, which the provider reads as unset.
		path := strings.Split(tt.key, ".")
		var got any = plain(path[0]).Mappable()
		for _, step := range path[1:] {
			switch v := got.(type) {
			case map[string]any:
				got = v[step]
			case []any:
				got = v[0]
			}
		}
		if jsonOf(got) != tt.want {
			t.Errorf("us-east-1 provider %s = %s, want %s", tt.key, jsonOf(got), tt.want)
		}
		if secret := p.inputs[resource.PropertyKey(path[0])].IsSecret(); secret != tt.secret {
			t.Errorf("us-east-1 provider %s secret = %v, want %v", tt.key, secret, tt.secret)
		}
	}
}

func TestEdgeProviderBadSettingNamesTheKey(t *testing.T) {
	d := deployWith(t, &mocks{}, &DashSiteArgs{BundleDir: testBundle}, withConfig(map[string]string{"aws:maxRetries": "many"}))
	if d.err == nil || !strings.Contains(d.err.Error(), "aws:maxRetries") || !strings.Contains(d.err.Error(), "pulumi config set") {
		t.Fatalf("error = %v, want one naming aws:maxRetries and the fix", d.err)
	}
}

func TestEdgeAccountCheck(t *testing.T) {
	explicit := func(ctx *pulumi.Context) ([]pulumi.ResourceOption, error) {
		p, err := aws.NewProvider(ctx, "other-account", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		return []pulumi.ResourceOption{pulumi.Provider(p)}, err
	}
	tests := []struct {
		name        string
		edgeAccount string
		siteOpts    func(*pulumi.Context) ([]pulumi.ResourceOption, error)
		domain      bool
		wantErr     bool
	}{
		{"same account", "", nil, true, false},
		{"different accounts", "210987654321", nil, true, true},
		{"explicit provider in another account", "210987654321", explicit, false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := &DashSiteArgs{BundleDir: testBundle}
			if tt.domain {
				args.DomainName, args.HostedZoneId = "dash.example.com", pulumi.String("Z1")
			}
			m := &mocks{edgeAccount: tt.edgeAccount}
			d := deployOpts(t, m, args, tt.siteOpts)
			var viaEdge, viaSite int
			for _, c := range m.calls {
				if c.Token != "aws:index/getCallerIdentity:getCallerIdentity" {
					continue
				}
				if strings.Contains(c.Provider, "::site-us-east-1::") {
					viaEdge++
				} else {
					viaSite++
					if tt.siteOpts != nil && !strings.Contains(c.Provider, "::other-account::") {
						t.Errorf("site account looked up through %q, want the component's explicit provider", c.Provider)
					}
				}
			}
			if viaEdge != 1 || viaSite != 1 {
				t.Errorf("caller identity looked up %d times through us-east-1 and %d through the site's provider, want 1 and 1", viaEdge, viaSite)
			}
			if !tt.wantErr {
				if d.err != nil {
					t.Fatal(d.err)
				}
				return
			}
			if d.err == nil || !strings.Contains(d.err.Error(), account) || !strings.Contains(d.err.Error(), tt.edgeAccount) {
				t.Fatalf("error = %v, want one naming accounts %s and %s", d.err, account, tt.edgeAccount)
			}
			for _, c := range d.children {
				if c.name == "site-edge-signer" || c.name == "site-certificate" {
					t.Errorf("%s created in the wrong account", c.name)
				}
			}
		})
	}
}
