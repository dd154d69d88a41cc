package component

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/manifest"
	"github.com/opendash/opendash/serverimage"
	"github.com/opendash/opendash/version"
	"github.com/pulumi/pulumi-aws/sdk/v6/go/aws"
	"github.com/pulumi/pulumi/sdk/v3/go/common/resource"
	"github.com/pulumi/pulumi/sdk/v3/go/pulumi"
)

const serverDir = testBundle + "/server-functions/default"

// TestNativeImage: by default the image is the plugin's ServerImage, pushed to a pulumi-aws ECR repository
// with a lifecycle policy; no awsx resource (and so no Docker) is involved, and every function runs the
// image by the digest the ServerImage answers.
func TestNativeImage(t *testing.T) {
	d := deploy(t, &DashSiteArgs{BundleDir: testBundle})
	if d.err != nil {
		t.Fatal(d.err)
	}
	for _, c := range d.children {
		if strings.HasPrefix(c.typ, "awsx:") {
			t.Errorf("native builder created %s %s", c.typ, c.name)
		}
	}
	repo := d.one(t, "aws:ecr/repository:Repository", "site-server-repo")
	if f := repo.inputs["forceDelete"]; !f.IsBool() || !f.BoolValue() {
		t.Errorf("repository forceDelete = %v, want true (destroy must not stall on images)", f)
	}
	if m := repo.str("imageTagMutability"); m != "MUTABLE" {
		t.Errorf("repository imageTagMutability = %q, want MUTABLE (the live tag moves)", m)
	}
	img := d.one(t, imagepush.Token, "site-server-image")
	want, err := serverimage.SourceDigest(serverDir)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range map[string]string{
		"sourceDigest":  want,
		"architecture":  ArchX86_64,
		"pythonVersion": "3.11",
		"repositoryUrl": account + ".dkr.ecr." + region + ".amazonaws.com/site-server-repo-r1",
		"dir":           serverDir,
		"baseImage":     "",
		"python":        "",
	} {
		if got := img.str(k); got != v {
			t.Errorf("ServerImage %s = %q, want %q", k, got, v)
		}
	}
	if !img.custom || img.parent != "urn:pulumi:stack::project::"+Token+"::site" {
		t.Errorf("ServerImage custom %v, parent %q: want a custom resource under the component", img.custom, img.parent)
	}
	if img.version != PluginVersion() || img.pluginDownloadURL != version.PluginDownloadURL {
		t.Errorf("ServerImage asks for plugin version %q from %q, want %q from %q", img.version, img.pluginDownloadURL,
			PluginVersion(), version.PluginDownloadURL)
	}
	for _, fn := range []string{"site-server"} {
		if got := d.one(t, "aws:lambda/function:Function", fn).str("imageUri"); got != testImageUri {
			t.Errorf("%s imageUri = %q, want the ServerImage's digest reference %q", fn, got, testImageUri)
		}
	}
	if d.outputs["imageUri"] != testImageUri {
		t.Errorf("imageUri output = %v, want %s", d.outputs["imageUri"], testImageUri)
	}
	warm := d.one(t, "aws:lambda/invocation:Invocation", "site-warm-up").inputs.Mappable()
	if got := warm["triggers"].(map[string]any)["imageUri"]; got != testImageUri {
		t.Errorf("warm-up trigger = %v, want the image digest reference (a new image re-runs the warm-up)", got)
	}
}

// TestNativeImageJobs: the background jobs function runs the same image by digest.
func TestNativeImageJobs(t *testing.T) {
	dir := copyBundle(t, func(m *manifest.Manifest) {
		m.App.BackgroundCallbacks = []manifest.BackgroundCallback{{Output: "result.children"}}
	})
	d := deploy(t, &DashSiteArgs{BundleDir: dir})
	if d.err != nil {
		t.Fatal(d.err)
	}
	want := account + ".dkr.ecr." + region + ".amazonaws.com/site-server-repo-r1@" + testImageDigest
	if got := d.one(t, "aws:lambda/function:Function", "site-jobs").str("imageUri"); got != want {
		t.Errorf("jobs imageUri = %q, want %q", got, want)
	}
}

// TestLifecyclePolicy: the repository's policy keeps the live image whatever its age and the newest
// KeepImages of OpenDash's tags, and expires nothing else (no untagged or "any" rule).
func TestLifecyclePolicy(t *testing.T) {
	d := deployed(t)
	lp := d.one(t, "aws:ecr/lifecyclePolicy:LifecyclePolicy", "site-server-repo-lifecycle")
	if lp.str("repository") != "site-server-repo-r1" {
		t.Errorf("lifecycle policy on %q, want the server repository", lp.str("repository"))
	}
	var doc struct {
		Rules []struct {
			RulePriority int `json:"rulePriority"`
			Selection    struct {
				TagStatus     string   `json:"tagStatus"`
				TagPrefixList []string `json:"tagPrefixList"`
				CountType     string   `json:"countType"`
				CountNumber   int      `json:"countNumber"`
			} `json:"selection"`
			Action struct {
				Type string `json:"type"`
			} `json:"action"`
		} `json:"rules"`
	}
	if err := json.Unmarshal([]byte(lp.str("policy")), &doc); err != nil {
		t.Fatalf("policy %q: %v", lp.str("policy"), err)
	}
	if len(doc.Rules) != 2 {
		t.Fatalf("rules = %+v, want 2", doc.Rules)
	}
	live, kept := doc.Rules[0], doc.Rules[1]
	// The live rule comes first: an image matching a higher priority rule is never expired by a lower one.
	if live.RulePriority >= kept.RulePriority || live.Selection.TagStatus != "tagged" ||
		!reflect.DeepEqual(live.Selection.TagPrefixList, []string{imagepush.LiveTag}) ||
		live.Selection.CountType != "imageCountMoreThan" || live.Selection.CountNumber < 1 {
		t.Errorf("live rule = %+v", live)
	}
	if kept.Selection.TagStatus != "tagged" || !reflect.DeepEqual(kept.Selection.TagPrefixList, []string{imagepush.TagPrefix}) ||
		kept.Selection.CountType != "imageCountMoreThan" || kept.Selection.CountNumber != KeepImages || kept.Action.Type != "expire" {
		t.Errorf("kept rule = %+v", kept)
	}
	if !strings.HasPrefix(imagepush.Tag(testImageDigest), imagepush.TagPrefix) || strings.HasPrefix(imagepush.LiveTag, imagepush.TagPrefix) {
		t.Errorf("tags %q and %q: the image's own tag must match the kept rule, the live tag must not", imagepush.Tag(testImageDigest), imagepush.LiveTag)
	}
}

// TestRegistryCredentials: the ECR token comes from the stack's own provider (the one the component was
// given), reaches the ServerImage as secrets, and appears in no other resource.
func TestRegistryCredentials(t *testing.T) {
	explicit := func(ctx *pulumi.Context) ([]pulumi.ResourceOption, error) {
		p, err := aws.NewProvider(ctx, "deployer", &aws.ProviderArgs{Region: pulumi.String("eu-west-1")})
		return []pulumi.ResourceOption{pulumi.Provider(p)}, err
	}
	m := &mocks{}
	d := deployOpts(t, m, &DashSiteArgs{BundleDir: testBundle}, explicit)
	if d.err != nil {
		t.Fatal(d.err)
	}
	var tokens int
	for _, c := range m.calls {
		if c.Token == "aws:ecr/getAuthorizationToken:getAuthorizationToken" {
			tokens++
			if !strings.Contains(c.Provider, "::deployer::") {
				t.Errorf("ECR token asked through %q, want the component's provider", c.Provider)
			}
			if _, ok := c.Args["registryId"]; ok {
				t.Errorf("ECR token for registry %v, want the provider's own (the repository's)", c.Args["registryId"])
			}
		}
	}
	if tokens != 1 {
		t.Errorf("%d ECR token lookups, want 1", tokens)
	}
	if repo := d.one(t, "aws:ecr/repository:Repository", "site-server-repo"); !strings.Contains(repo.provider, "::deployer::") {
		t.Errorf("repository provider = %q, want the component's", repo.provider)
	}
	img := d.one(t, imagepush.Token, "site-server-image")
	for k, want := range map[string]string{"registryUsername": "AWS", "registryPassword": ecrPassword} {
		v := img.inputs[resource.PropertyKey(k)]
		if !v.IsSecret() || unsecret(v).StringValue() != want {
			t.Errorf("ServerImage %s = %v, want %q as a secret", k, v, want)
		}
	}
	for _, c := range d.children {
		if c.typ == imagepush.Token {
			continue
		}
		if all, _ := json.Marshal(unsecret(resource.NewObjectProperty(c.inputs)).Mappable()); strings.Contains(string(all), ecrPassword) {
			t.Errorf("%s %s: the ECR password in its inputs", c.typ, c.name)
		}
	}
}

// TestDockerImage: imageBuilder docker is awsx's repository and image, as before the native builder.
func TestDockerImage(t *testing.T) {
	m := &mocks{}
	d := deployWith(t, m, &DashSiteArgs{BundleDir: testBundle, ImageBuilder: ImageBuilderDocker})
	if d.err != nil {
		t.Fatal(d.err)
	}
	image := d.one(t, "awsx:ecr:Image", "site-server-image")
	if image.str("platform") != "linux/amd64" || image.str("context") != serverDir ||
		image.str("dockerfile") != serverDir+"/Dockerfile" ||
		image.str("repositoryUrl") != account+".dkr.ecr."+region+".amazonaws.com/site-server-repo" {
		t.Errorf("image inputs = %v", image.inputs)
	}
	want := account + ".dkr.ecr." + region + ".amazonaws.com/repo@sha256:0123"
	if got := d.one(t, "aws:lambda/function:Function", "site-server").str("imageUri"); got != want {
		t.Errorf("server imageUri = %q, want awsx's %q", got, want)
	}
	for _, typ := range []string{imagepush.Token, "aws:ecr/repository:Repository", "aws:ecr/lifecyclePolicy:LifecyclePolicy"} {
		if n := len(d.ofType(typ)); n != 0 {
			t.Errorf("docker builder created %d %s", n, typ)
		}
	}
	for _, c := range m.calls {
		if c.Token == "aws:ecr/getAuthorizationToken:getAuthorizationToken" {
			t.Error("docker builder asked for an ECR token (awsx logs in itself)")
		}
	}
	arm := copyBundle(t, func(m *manifest.Manifest) { m.Origins.Server.Architecture = ArchARM64 })
	d = deploy(t, &DashSiteArgs{BundleDir: arm, ImageBuilder: ImageBuilderDocker})
	if d.err != nil {
		t.Fatal(d.err)
	}
	if p := d.one(t, "awsx:ecr:Image", "site-server-image").str("platform"); p != "linux/arm64" {
		t.Errorf("arm64 platform = %q, want linux/arm64", p)
	}
}

func TestImageBuilderArguments(t *testing.T) {
	tests := []struct {
		name    string
		args    DashSiteArgs
		wantErr []string // substrings of the error; nil for success
	}{
		{"native explicitly", DashSiteArgs{ImageBuilder: ImageBuilderNative}, nil},
		{"base image", DashSiteArgs{BaseImage: "mirror.example.com/lambda/python@sha256:" + strings.Repeat("a", 64)}, nil},
		{"unknown builder", DashSiteArgs{ImageBuilder: "podman"}, []string{`"podman"`, "native", "docker"}},
		{"bad base image", DashSiteArgs{BaseImage: "Mirror/Python 3.11"}, []string{"baseImage", `"Mirror/Python 3.11"`, "@sha256:"}},
		{"base image with docker", DashSiteArgs{ImageBuilder: ImageBuilderDocker, BaseImage: "mirror/python:3.11"},
			[]string{"baseImage", "Dockerfile", "native"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := tt.args
			args.BundleDir = testBundle
			d := deploy(t, &args)
			if tt.wantErr == nil {
				if d.err != nil {
					t.Fatal(d.err)
				}
				if got := d.one(t, imagepush.Token, "site-server-image").str("baseImage"); got != args.BaseImage {
					t.Errorf("ServerImage baseImage = %q, want %q", got, args.BaseImage)
				}
				return
			}
			if d.err == nil {
				t.Fatal("no error")
			}
			for _, s := range tt.wantErr {
				if !strings.Contains(d.err.Error(), s) {
					t.Errorf("error %q lacks %q", d.err, s)
				}
			}
			if len(d.children) > 0 {
				t.Errorf("%d resources registered before the argument error", len(d.children))
			}
		})
	}
}

// TestSourceDigest: equal folders have equal digests wherever they are and whatever their files' times;
// any change to a file's bytes, name or executable bit is a new digest.
func TestSourceDigest(t *testing.T) {
	digest := func(dir string) string {
		t.Helper()
		d, err := serverimage.SourceDigest(filepath.Join(dir, "server-functions", "default"))
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	a, b := copyBundle(t, nil), copyBundle(t, nil)
	base := digest(a)
	later := time.Now().Add(48 * time.Hour)
	if err := os.Chtimes(filepath.Join(b, "server-functions", "default", "app.py"), later, later); err != nil {
		t.Fatal(err)
	}
	if got := digest(b); got != base {
		t.Errorf("a copy with other file times digests to %s, want %s", got, base)
	}
	edits := map[string]func(dir string) error{
		"edited file": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "app.py"), []byte("app = 2\n"), 0o644)
		},
		"new file": func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "extra.txt"), nil, 0o644)
		},
		"renamed file": func(dir string) error {
			return os.Rename(filepath.Join(dir, "index.py"), filepath.Join(dir, "index2.py"))
		},
		"executable": func(dir string) error { return os.Chmod(filepath.Join(dir, "app.py"), 0o755) },
	}
	for name, edit := range edits {
		t.Run(name, func(t *testing.T) {
			c := copyBundle(t, nil)
			if err := edit(filepath.Join(c, "server-functions", "default")); err != nil {
				t.Fatal(err)
			}
			if digest(c) == base {
				t.Errorf("%s: digest unchanged", name)
			}
		})
	}
}

// plainMocks are what a user's own RunWithMocks test often is: every output echoes the inputs, calls
// answer nothing, and no type is known.
type plainMocks struct{}

func (plainMocks) NewResource(args pulumi.MockResourceArgs) (string, resource.PropertyMap, error) {
	return args.Name + "-id", args.Inputs, nil
}

func (plainMocks) Call(args pulumi.MockCallArgs) (resource.PropertyMap, error) { return args.Args, nil }

// TestUsersOwnMocks: a program deploying a DashSite passes under mocks that know nothing of ECR or the
// ServerImage (nothing is built or pushed there: only the engine runs a provider's Create).
func TestUsersOwnMocks(t *testing.T) {
	err := pulumi.RunErr(func(ctx *pulumi.Context) error {
		_, err := NewDashSite(ctx, "site", &DashSiteArgs{BundleDir: copyBundle(t, nil)})
		return err
	}, pulumi.WithMocks("project", "stack", plainMocks{}))
	if err != nil {
		t.Fatal(err)
	}
}

func TestPluginVersion(t *testing.T) {
	if v := PluginVersion(); v == "" || strings.HasPrefix(v, "v") {
		t.Errorf("PluginVersion() = %q, want a semantic version without v", v)
	}
}
