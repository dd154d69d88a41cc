package siteconfig

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi/internals"

	"github.com/opendash/opendash/component"
)

// fakeResolver serves environment variables from a map and Pulumi secrets as marked outputs.
type fakeResolver map[string]string

func (r fakeResolver) Env(name string) (string, bool) { v, ok := r[name]; return v, ok }
func (r fakeResolver) Secret(name string) (pulumi.StringOutput, error) {
	if name == "missing" {
		return pulumi.StringOutput{}, errors.New("the stack has no config secret missing")
	}
	return pulumi.ToSecret(pulumi.String("config:" + name)).(pulumi.StringOutput), nil
}

// await is an output's value and whether it is secret.
func await(t *testing.T, in pulumi.Input) (any, bool) {
	t.Helper()
	r, err := internals.UnsafeAwaitOutput(context.Background(), pulumi.ToOutput(in))
	if err != nil || !r.Known {
		t.Fatalf("output: known %v, %v", r.Known, err)
	}
	return r.Value, r.Secret
}

func load(t *testing.T, text string) (*File, error) {
	t.Helper()
	t.Chdir(t.TempDir()) // errors then name the file as a user in that folder sees it
	if err := os.WriteFile(FileName, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return Load(FileName)
}

func TestValidFile(t *testing.T) {
	f, err := load(t, `
[deploy]
name = "board"
stack = "prod"
region = "eu-west-1"
envFile = "bundle.env"

[site]
app = "index:app"
memorySize = 2048
timeout = 20
architecture = "arm64"
excludeDirs = ["data", "notebooks"]
originAuth = "oac"
warmer = false
environment = { MODE = "prod", TOKEN = { env = "API_TOKEN" } }

[site.auth.basic]
realm = "Board"
users = { alice = { env = "ALICE_PASSWORD" }, bob = { secret = "bobPassword" } }
`)
	if err != nil {
		t.Fatal(err)
	}
	if f.Deploy != (Deploy{Name: "board", Stack: "prod", Region: "eu-west-1", EnvFile: "bundle.env"}) {
		t.Errorf("deploy = %+v", f.Deploy)
	}
	args, err := f.SiteArgs(fakeResolver{"ALICE_PASSWORD": "a-long-password", "API_TOKEN": "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if args.Source != f.Dir || args.App != "index:app" || args.Architecture != "arm64" || args.OriginAuth != "oac" {
		t.Errorf("plain arguments: %+v", args)
	}
	if !reflect.DeepEqual(args.ExcludeDirs, []string{"data", "notebooks"}) || args.Warmer == nil || *args.Warmer {
		t.Errorf("excludeDirs %v, warmer %v", args.ExcludeDirs, args.Warmer)
	}
	if args.MemorySize != pulumi.Int(2048) || args.Timeout != pulumi.Int(20) {
		t.Errorf("memorySize %v, timeout %v", args.MemorySize, args.Timeout)
	}
	env, secret := await(t, args.Environment)
	if !reflect.DeepEqual(env, map[string]string{"MODE": "prod", "TOKEN": "tok"}) || secret {
		t.Errorf("environment = %v (secret %v)", env, secret)
	}
	if args.Auth == nil || args.Auth.Basic == nil || args.Auth.Basic.Realm != "Board" {
		t.Fatalf("auth = %+v", args.Auth)
	}
	if got := f.EnvNames(); !reflect.DeepEqual(got, []string{"ALICE_PASSWORD", "API_TOKEN"}) {
		t.Errorf("EnvNames = %v", got)
	}
	users, secret := await(t, args.Auth.Basic.Users)
	if !reflect.DeepEqual(users, map[string]string{"alice": "a-long-password", "bob": "config:bobPassword"}) || !secret {
		t.Errorf("users = %v (secret %v), want both passwords, secret", users, secret)
	}
}

func TestDefaultsAndPaths(t *testing.T) {
	f, err := load(t, "[site]\noutDir = \"../out\"\n")
	if err != nil {
		t.Fatal(err)
	}
	args, err := f.SiteArgs(fakeResolver{})
	if err != nil {
		t.Fatal(err)
	}
	if args.Source != f.Dir || args.OutDir != filepath.Join(filepath.Dir(f.Dir), "out") {
		t.Errorf("source %q, outDir %q: want the file's folder and out beside it", args.Source, args.OutDir)
	}
	f, err = load(t, "[site]\nbundleDir = \".open-dash\"\n")
	if err != nil {
		t.Fatal(err)
	}
	if args, _ = f.SiteArgs(fakeResolver{}); args.Source != "" || args.BundleDir != filepath.Join(f.Dir, ".open-dash") {
		t.Errorf("with bundleDir: source %q, bundleDir %q", args.Source, args.BundleDir)
	}
}

// TestErrors: every mistake names the key and its line, and says what to write instead.
func TestErrors(t *testing.T) {
	cases := []struct {
		name, text string
		env        fakeResolver // nil: errors expected at Load
		want       []string
	}{
		{"unknown table", "[sites]\nmemorySize = 1\n", nil,
			[]string{"sites (open-dash.toml, line 1): unknown table", `did you mean "site"?`}},
		{"unknown key", "[site]\nmemorysize = 1024\n", nil,
			[]string{"site.memorysize (open-dash.toml, line 2): unknown key", `did you mean "memorySize"?`, "architecture"}},
		{"unknown nested key", "[site.auth.basic]\nuser = {}\n", nil,
			[]string{"site.auth.basic.user (open-dash.toml, line 2): unknown key", `"users"`}},
		{"unknown deploy key", "[deploy]\nregoin = \"x\"\n", nil,
			[]string{"deploy.regoin (open-dash.toml, line 2)", `did you mean "region"?`}},
		{"string for a number", "[site]\n\nmemorySize = \"2048\"\n", nil,
			[]string{"site.memorySize (open-dash.toml, line 3) is a string; want an integer"}},
		{"float for an integer", "[site]\ntimeout = 2.5\n", nil,
			[]string{"site.timeout (open-dash.toml, line 2) is a float; want an integer"}},
		{"number for a string", "[site]\narchitecture = 64\n", nil,
			[]string{"site.architecture (open-dash.toml, line 2) is an integer; want a string"}},
		{"string for an array", "[site]\nexcludeDirs = \"data\"\n", nil,
			[]string{"site.excludeDirs (open-dash.toml, line 2) is a string; want an array"}},
		{"wrong array item", "[site]\nexcludeDirs = [\"data\", 3]\n", nil,
			[]string{"site.excludeDirs[1] (open-dash.toml, line 2) is an integer; want a string"}},
		{"string for a boolean", "[site]\nwarmer = \"no\"\n", nil,
			[]string{"site.warmer (open-dash.toml, line 2) is a string; want true or false"}},
		{"site not a table", "site = 3\n", nil,
			[]string{"site (open-dash.toml, line 1) is an integer; want a table"}},
		{"literal password", "[site.auth.basic]\nrealm = \"x\"\nusers = { alice = \"hunter2\" }\n", nil,
			[]string{"site.auth.basic.users.alice (open-dash.toml, line 3) is a secret written into the file",
				`{ env = "ALICE" }`, `{ secret = "alice" }`}},
		{"literal client secret", "[site.auth.oidc]\nissuer = \"https://x\"\nclientId = \"c\"\nclientSecret = \"s3cr3t\"\n", nil,
			[]string{"site.auth.oidc.clientSecret (open-dash.toml, line 4) is a secret written into the file", `{ env = "CLIENT_SECRET" }`}},
		{"table that is no reference", "[site]\npriceClass = { value = \"PriceClass_All\" }\n", nil,
			[]string{"site.priceClass (open-dash.toml, line 2) is a table; want a value, or a reference"}},
		{"reference for a number", "[site]\nmemorySize = { env = \"MEM\" }\n", nil,
			[]string{"site.memorySize (open-dash.toml, line 2): a reference holds a string"}},
		{"secret for a plain argument", "[site]\ndomainName = { secret = \"domain\" }\n", nil,
			[]string{"site.domainName (open-dash.toml, line 2): this argument is needed while the deploy plans"}},
		{"bad variable name", "[site]\nenvironment = { A = { env = \"NOT-A-NAME\" } }\n", nil,
			[]string{"site.environment.A (open-dash.toml, line 2): \"NOT-A-NAME\" is not an environment variable name"}},
		{"TOML syntax", "[site]\nmemorySize = \n", nil, []string{"open-dash.toml: toml: line 2"}},
		{"unset variable", "[site.auth.basic]\nusers = { alice = { env = \"ALICE_PASSWORD\" } }\n", fakeResolver{},
			[]string{"site.auth.basic.users.alice (open-dash.toml, line 2) names the environment variable " +
				"ALICE_PASSWORD, which is not set", "export ALICE_PASSWORD="}},
		{"missing config secret", "[site.auth.basic]\nusers = { alice = { secret = \"missing\" } }\n", fakeResolver{},
			[]string{"site.auth.basic.users.alice (open-dash.toml, line 2): the stack has no config secret missing"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			f, err := load(t, c.text)
			if c.env != nil {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				_, err = f.SiteArgs(c.env)
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range c.want {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q\nlacks %q", err, want)
				}
			}
		})
	}
}

// TestEveryArgumentHasAPlace: each tagged DashSite argument (nested ones too) can be written in the file, so
// an argument someone adds to the component with a type the mapping cannot build fails here, not for a user.
func TestEveryArgumentHasAPlace(t *testing.T) {
	var walk func(t *testing.T, path string, typ reflect.Type)
	walk = func(t *testing.T, path string, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() == reflect.Struct {
			for i := 0; i < typ.NumField(); i++ {
				if name := pulumiName(typ.Field(i)); name != "" {
					walk(t, path+"."+name, typ.Field(i).Type)
				}
			}
			return
		}
		if typ.Kind() == reflect.Interface {
			generic := reflect.TypeOf(pulumi.String("")).Implements(typ) && reflect.TypeOf(pulumi.Map{}).Implements(typ)
			for _, c := range scalarInputs {
				if generic || reflect.TypeOf(c).Implements(typ) {
					return
				}
			}
			t.Errorf("%s: %s cannot be written in %s: add its concrete type to scalarInputs", path, typ, FileName)
			return
		}
		if !isScalar(typ) {
			t.Errorf("%s: %s cannot be written in %s", path, typ, FileName)
		}
	}
	walk(t, "site", reflect.TypeOf(component.DashSiteArgs{}))
}

func TestFind(t *testing.T) {
	dir := t.TempDir()
	if Find(dir) != "" {
		t.Error("found a file in an empty folder")
	}
	os.WriteFile(filepath.Join(dir, FileName), nil, 0o644)
	if Find(dir) != filepath.Join(dir, FileName) {
		t.Error("did not find open-dash.toml")
	}
	if _, err := Load(filepath.Join(dir, "nope.toml")); err == nil || !strings.Contains(err.Error(), "no such file") {
		t.Errorf("missing file: %v", err)
	}
}

// TestDocumentedFilesLoad: every open-dash.toml shown in the README and docs/deploy.md loads and builds
// DashSite arguments, so the documentation shows files that work.
func TestDocumentedFilesLoad(t *testing.T) {
	env := fakeResolver{"ALICE_PASSWORD": "a-long-password", "API_TOKEN": "t"}
	var pages []string
	for _, p := range []string{"../README.md", "../docs/deploy.md"} {
		abs, _ := filepath.Abs(p) // load changes the working folder
		pages = append(pages, abs)
	}
	for _, page := range pages {
		data, err := os.ReadFile(page)
		if err != nil {
			t.Fatal(err)
		}
		blocks := strings.Split(string(data), "```toml\n")
		if len(blocks) < 2 {
			t.Errorf("%s shows no open-dash.toml", page)
		}
		for i, b := range blocks[1:] {
			text, _, _ := strings.Cut(b, "```")
			f, err := load(t, text)
			if err != nil {
				t.Errorf("%s, TOML block %d: %v", page, i+1, err)
				continue
			}
			if _, err := f.SiteArgs(env); err != nil {
				t.Errorf("%s, TOML block %d: %v", page, i+1, err)
			}
		}
	}
}
