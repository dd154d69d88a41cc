package deploy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/opendash/opendash/component/imagepush"
	"github.com/opendash/opendash/deploy"
	"github.com/opendash/opendash/internal/standin"
)

// harness is everything the end-to-end test runs open-dash in: moto as AWS (the state bucket and key),
// the stand-in aws and awsx plugins in a PULUMI_HOME of its own, and the stand-in Dash on the Python path.
type harness struct {
	bin, app, log string
	env           []string
	moto          string // http://127.0.0.1:PORT
}

func newHarness(t *testing.T) *harness {
	t.Helper()
	if testing.Short() {
		t.Skip("-short: the deploy test builds plugins and runs the Pulumi engine")
	}
	if _, err := deploy.FindPulumi(); err != nil {
		t.Skipf("the deploy end-to-end test runs the real Pulumi engine: %v", err)
	}
	if err := exec.Command("python3", "-c", "import moto.server, flask").Run(); err != nil {
		t.Skipf("the deploy test needs python3 with moto (as the AWS API) and Flask (for the stand-in Dash): %v", err)
	}
	h := &harness{}
	tmp := t.TempDir()
	home := filepath.Join(tmp, "pulumi-home")
	bins := buildOnce(t)
	h.bin = bins.openDash
	for name, bin := range map[string]string{"resource-aws-v6.83.4/pulumi-resource-aws": bins.aws,
		"resource-awsx-v2.22.0/pulumi-resource-awsx": bins.awsx} {
		dst := filepath.Join(home, "plugins", name)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(bin, dst); err != nil {
			t.Fatal(err)
		}
	}
	h.moto = startMoto(t)
	h.app = filepath.Join(tmp, "site", "single-page")
	if err := os.CopyFS(h.app, os.DirFS("../examples/single-page")); err != nil {
		t.Fatal(err)
	}
	fake, _ := filepath.Abs("../bundler/testdata/fakedash")
	h.log = filepath.Join(tmp, "standin.log")
	h.env = append(os.Environ(),
		"PULUMI_HOME="+home, "PULUMI_SKIP_UPDATE_CHECK=true", "PULUMI_IGNORE_AMBIENT_PLUGINS=true",
		"AWS_ENDPOINT_URL="+h.moto, "AWS_ACCESS_KEY_ID=testing", "AWS_SECRET_ACCESS_KEY=testing",
		"AWS_REGION=eu-west-1", "AWS_PROFILE=", "AWS_CONFIG_FILE="+filepath.Join(tmp, "none"),
		"AWS_SHARED_CREDENTIALS_FILE="+filepath.Join(tmp, "none"),
		"PYTHONPATH="+fake, "VIRTUAL_ENV=", "OPENDASH_CACHE_DIR="+filepath.Join(tmp, "cache"),
		"STANDIN_LOG="+h.log)
	return h
}

// binaries are built once for every test of the package (they take a while to link).
type binaries struct{ openDash, aws, awsx string }

var (
	built     binaries
	buildErr  error
	buildDone sync.Once
)

func buildOnce(t *testing.T) binaries {
	t.Helper()
	buildDone.Do(func() {
		dir, err := os.MkdirTemp("", "open-dash-deploy-test-")
		if err != nil {
			buildErr = err
			return
		}
		built = binaries{filepath.Join(dir, "open-dash"), filepath.Join(dir, "pulumi-resource-aws"), filepath.Join(dir, "pulumi-resource-awsx")}
		for bin, pkg := range map[string]string{built.openDash: "../cmd/open-dash",
			built.aws: "../internal/standin/cmd/pulumi-resource-aws", built.awsx: "../internal/standin/cmd/pulumi-resource-awsx"} {
			if out, err := exec.Command("go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
				buildErr = fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
				return
			}
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func TestMain(m *testing.M) {
	code := m.Run()
	if built.openDash != "" {
		os.RemoveAll(filepath.Dir(built.openDash))
	}
	os.Exit(code)
}

// startMoto runs moto's server on a free port until the test ends.
func startMoto(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	cmd := exec.Command("python3", "-m", "moto.server", "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	for start := time.Now(); time.Since(start) < 30*time.Second; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return "http://" + addr
		}
	}
	t.Fatalf("moto did not start:\n%s", out.String())
	return ""
}

// run runs open-dash and returns its exit code, stdout and stderr.
func (h *harness) run(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.bin, args...)
	cmd.Env = h.env
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if exit, ok := err.(*exec.ExitError); ok {
		code = exit.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, stdout.String(), stderr.String()
}

type deployJSON struct {
	OK bool `json:"ok"`
	deploy.Result
}

func (h *harness) deploy(t *testing.T, what string) deployJSON {
	t.Helper()
	code, stdout, stderr := h.run(t, "deploy", "--source", h.app, "--yes", "--skip-install", "--no-verify", "--json")
	if code != 0 {
		t.Fatalf("%s: exit %d\n%s\n%s", what, code, stderr, stdout)
	}
	var res deployJSON
	if err := json.Unmarshal([]byte(stdout), &res); err != nil || !res.OK {
		t.Fatalf("%s: %v: %s", what, err, stdout)
	}
	t.Logf("%s:\n%s", what, stderr)
	return res
}

// TestDeployEndToEnd: `open-dash deploy --yes` on examples/single-page through the real Pulumi engine, with
// the stand-in plugins, the state in moto and the server image built natively (the default) and pushed by
// open-dash itself as the opendash plugin to a registry on loopback standing in for ECR: the first deploy
// creates the state bucket and key, every resource and the image; a second reports 0 changes and pushes
// nothing; an asset edit pushes one small layer and moves the functions to the new image; destroy leaves no
// resource and no image.
func TestDeployEndToEnd(t *testing.T) {
	h := newHarness(t)
	e := h.nativeImage(t, "")

	first := h.deploy(t, "first deploy")
	if first.Plan.Create < 20 || first.Applied == nil || first.Applied.Create != first.Plan.Create {
		t.Errorf("first deploy: plan %+v, applied %+v", first.Plan, first.Applied)
	}
	if !strings.HasPrefix(first.Outputs.URL, "https://") || first.Outputs.BucketName == "" {
		t.Errorf("outputs %+v", first.Outputs)
	}
	h.checkStateStore(t)
	img := h.image(t)
	if !strings.HasPrefix(img.repository, e.registry.Addr+"/") || img.uri != img.repository+"@"+img.digest || img.bytesPushed == 0 {
		t.Errorf("first image: %+v; want one pushed to the registry standing in for ECR (%s)", img, e.registry.Addr)
	}
	if tags := e.tags(t, img.repository); !slices.Contains(tags, imagepush.LiveTag) || !slices.Contains(tags, imagepush.Tag(img.digest)) {
		t.Errorf("the repository's tags are %v; want %s and %s", tags, imagepush.LiveTag, imagepush.Tag(img.digest))
	}
	held := e.blobs(t)

	again := h.deploy(t, "deploy with nothing changed")
	if again.Plan.Changes() != 0 || again.Applied != nil {
		t.Errorf("no-change deploy: plan %+v, applied %+v; want 0 changes", again.Plan, again.Applied)
	}
	if now := e.blobs(t); !maps.Equal(now, held) {
		t.Errorf("the no-change deploy pushed to the registry: %d blobs, was %d", len(now), len(held))
	}

	h.editStyle(t)
	edited := h.deploy(t, "deploy after an asset edit")
	// Updates, and the sync's invocation replaced (the component replaces it on every change, so that a
	// failed run runs again); nothing created or deleted.
	if edited.Plan.Update == 0 || edited.Plan.Replace > 1 || edited.Plan.Create+edited.Plan.Delete != 0 {
		t.Errorf("asset edit: plan %+v; want updates (and the sync replaced) only", edited.Plan)
	}
	h.checkAssetEditImage(t, e, img, held)

	if code, out, errOut := h.run(t, "status", "--source", h.app, "--drift", "--json"); code != 0 {
		t.Errorf("status --drift: exit %d\n%s", code, errOut)
	} else {
		var st deploy.Status
		err := json.Unmarshal([]byte(out), &st)
		if err != nil || !st.Deployed || st.Resources == 0 || st.URL != edited.Outputs.URL || st.LastResult != "succeeded" ||
			st.Drift == nil || st.Drift.Changes() != 0 {
			t.Errorf("status --drift: %+v (drift %+v), %v", st, st.Drift, err)
		}
	}

	code, stdout, stderr := h.run(t, "destroy", "--source", h.app, "--yes", "--json")
	if code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, stderr)
	}
	t.Logf("destroy:\n%s", stderr)
	code, stdout, stderr = h.run(t, "status", "--source", h.app, "--json")
	var st deploy.Status
	if code != 0 || json.Unmarshal([]byte(stdout), &st) != nil {
		t.Fatalf("status: exit %d\n%s\n%s", code, stderr, stdout)
	}
	if st.Deployed || st.Resources != 0 {
		t.Errorf("after destroy: %+v; want no resources", st)
	}
	if tags := e.tags(t, img.repository); len(tags) != 0 {
		t.Errorf("after destroy the repository still holds %v", tags)
	}
	log, _ := os.ReadFile(h.log)
	if creates, deletes := strings.Count(string(log), "create "), strings.Count(string(log), "delete "); deletes < creates-5 {
		// The edge signer is kept on delete (RetainOnDelete): Pulumi forgets it without asking the provider.
		t.Errorf("the providers created %d resources and deleted %d:\n%s", creates, deletes, log)
	}
}

// editStyle appends a rule to the app's assets/style.css; revert puts the file back as it was.
func (h *harness) editStyle(t *testing.T) (revert func()) {
	t.Helper()
	css := filepath.Join(h.app, "assets", "style.css")
	old, err := os.ReadFile(css)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(css, append(old, []byte("\nbody { margin: 1px; }\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	return func() {
		if err := os.WriteFile(css, old, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkStateStore: the first deploy made the state bucket private, versioned and encrypted, and the key.
func (h *harness) checkStateStore(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	cfg, err := awsconfig.LoadDefaultConfig(ctx, awsconfig.WithRegion("eu-west-1"), awsconfig.WithBaseEndpoint(h.moto),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	bucket := stateBucket
	c := h.s3(t)
	v, err := c.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: &bucket})
	if err != nil || v.Status != "Enabled" {
		t.Errorf("state bucket versioning: %v %v", v, err)
	}
	pab, err := c.GetPublicAccessBlock(ctx, &s3.GetPublicAccessBlockInput{Bucket: &bucket})
	if err != nil || !aws.ToBool(pab.PublicAccessBlockConfiguration.BlockPublicAcls) ||
		!aws.ToBool(pab.PublicAccessBlockConfiguration.RestrictPublicBuckets) {
		t.Errorf("state bucket public access block: %v", err)
	}
	if _, err := c.GetBucketEncryption(ctx, &s3.GetBucketEncryptionInput{Bucket: &bucket}); err != nil {
		t.Errorf("state bucket encryption: %v", err)
	}
	alias := "alias/opendash-state-123456789012-eu-west-1"
	if _, err := kms.NewFromConfig(cfg).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: &alias}); err != nil {
		t.Errorf("state key: %v", err)
	}
}

// TestDeploySecretsAndLock: open-dash.toml with basic-auth passwords by reference (a Pulumi config secret
// stored with `open-dash secret set`, an environment variable) deploys without either password reaching
// the state in clear; a deploy while another holds the stack's lock is refused, naming the holder.
func TestDeploySecretsAndLock(t *testing.T) {
	h := newHarness(t)
	config := `[deploy]
name = "board"
stack = "staging"

[site]
environment = { MODE = { env = "BOARD_MODE" } }
imageBuilder = "docker"   # awsx's Repository and Image (the stand-in awsx digests the build context)

[site.auth.basic]
realm = "Board"
users = { alice = { secret = "alicePassword" }, bob = { env = "BOB_PASSWORD" } }
`
	if err := os.WriteFile(filepath.Join(h.app, "open-dash.toml"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	const alice, bob = "alice-correct-horse-battery", "bob-staple-staple-staple"
	h.env = append(h.env, "BOB_PASSWORD="+bob, "BOARD_MODE=staging")

	code, _, stderr := h.run(t, "deploy", "--source", h.app, "--yes", "--skip-install", "--no-verify")
	if code != 1 || !strings.Contains(stderr, "has no Pulumi config secret") || !strings.Contains(stderr, "open-dash secret set alicePassword") {
		t.Fatalf("deploy before the secret is set: exit %d\n%s", code, stderr)
	}

	cmd := exec.Command(h.bin, "secret", "set", "alicePassword", "--source", h.app, "--yes")
	cmd.Env, cmd.Stdin = h.env, strings.NewReader(alice+"\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("secret set: %v\n%s", err, out)
	}
	stackFile, err := os.ReadFile(filepath.Join(h.app, "Pulumi.staging.yaml"))
	if err != nil || !strings.Contains(string(stackFile), "secure:") || strings.Contains(string(stackFile), alice) {
		t.Fatalf("Pulumi.staging.yaml (%v):\n%s", err, stackFile)
	}

	res := h.deploy(t, "deploy with secrets")
	if res.Stack != "staging" || res.Name != "board" || res.Plan.Create == 0 {
		t.Errorf("deploy: %+v", res)
	}
	state := h.stateObjects(t)
	for _, password := range []string{alice, bob} {
		if strings.Contains(state, password) {
			t.Errorf("a password is in the state in clear")
		}
	}
	if !strings.Contains(state, "KeyvaluestoreKeysExclusive") {
		t.Error("the state has no basic-auth key value store: was auth.basic deployed?")
	}
	if !strings.Contains(state, "awsx:ecr:Image") || strings.Contains(state, imagepush.Token) {
		t.Error("imageBuilder docker: want awsx's ecr.Image in the state, and no ServerImage")
	}

	// Another deploy holds the lock (as Pulumi's DIY backend writes it) while this one has a change to make.
	lock := ".pulumi/locks/organization/opendash-board/staging/0123abcd.json"
	h.putObject(t, lock, `{"pid":4242,"username":"alice","hostname":"laptop","timestamp":"2026-12-06T10:00:00Z"}`)
	h.env = append(h.env, "BOARD_MODE=production")
	code, _, stderr = h.run(t, "deploy", "--source", h.app, "--yes", "--skip-install", "--no-verify")
	if code != 1 || !strings.Contains(stderr, "another deploy of this stack is running") ||
		!strings.Contains(stderr, "alice@laptop (pid 4242)") || !strings.Contains(stderr, "aws s3 rm s3://opendash-state-") {
		t.Errorf("deploy while locked: exit %d\n%s", code, stderr)
	}
	h.deleteObject(t, lock)
	if code, _, stderr := h.run(t, "destroy", "--source", h.app, "--yes"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, stderr)
	}
}

func (h *harness) s3(t *testing.T) *s3.Client {
	t.Helper()
	cfg, err := awsconfig.LoadDefaultConfig(context.Background(), awsconfig.WithRegion("eu-west-1"),
		awsconfig.WithBaseEndpoint(h.moto),
		awsconfig.WithCredentialsProvider(credentials.NewStaticCredentialsProvider("testing", "testing", "")))
	if err != nil {
		t.Fatal(err)
	}
	return s3.NewFromConfig(cfg, func(o *s3.Options) { o.UsePathStyle, o.DisableLogOutputChecksumValidationSkipped = true, true })
}

const stateBucket = "opendash-state-123456789012-eu-west-1" // moto's account, the harness's region

// stateObjects is every object of the state bucket, concatenated.
func (h *harness) stateObjects(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	c := h.s3(t)
	list, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(stateBucket)})
	if err != nil {
		t.Fatal(err)
	}
	var all strings.Builder
	for _, o := range list.Contents {
		obj, err := c.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(stateBucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		all.Write(b)
	}
	return all.String()
}

func (h *harness) putObject(t *testing.T, key, body string) {
	t.Helper()
	_, err := h.s3(t).PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(stateBucket),
		Key: aws.String(key), Body: strings.NewReader(body)})
	if err != nil {
		t.Fatal(err)
	}
}

func (h *harness) deleteObject(t *testing.T, key string) {
	t.Helper()
	_, err := h.s3(t).DeleteObject(context.Background(), &s3.DeleteObjectInput{Bucket: aws.String(stateBucket), Key: aws.String(key)})
	if err != nil {
		t.Fatal(err)
	}
}

// TestDeployAfterFailedSync: a deploy whose sync fails, then a deploy that goes back to the site of the last
// sync that succeeded (the edit reverted): Pulumi alone sees no change there and would run no sync, leaving
// the failed run's files in place; open-dash deploy replaces the sync after a failed update, so it runs.
// The deploy after that is back to 0 changes.
func TestDeployAfterFailedSync(t *testing.T) {
	h := newHarness(t)
	// awsx's image (the stand-in digests the build context): this test is about the sync, not the image.
	if err := os.WriteFile(filepath.Join(h.app, "open-dash.toml"), []byte("[site]\nimageBuilder = \"docker\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	h.deploy(t, "first deploy")
	syncs := func() int {
		log, _ := os.ReadFile(h.log)
		return strings.Count(string(log), "create aws:lambda/invocation:Invocation ")
	}
	before := syncs()

	revert := h.editStyle(t)
	h.env = append(h.env, standin.EnvFailCreate+"=aws:lambda/invocation:Invocation")
	code, _, stderr := h.run(t, "deploy", "--source", h.app, "--yes", "--skip-install", "--no-verify")
	if code != 1 || !strings.Contains(stderr, "creating it failed") {
		t.Fatalf("deploy with a failing sync: exit %d\n%s", code, stderr)
	}

	revert()
	h.env = append(h.env, standin.EnvFailCreate+"=")
	code, stdout, stderr := h.run(t, "deploy", "--source", h.app, "--yes", "--skip-install", "--no-verify", "--json")
	var res deployJSON
	if code != 0 || json.Unmarshal([]byte(stdout), &res) != nil {
		t.Fatalf("the revert: exit %d\n%s\n%s", code, stderr, stdout)
	}
	if !strings.Contains(stderr, "The last update of stack dev failed: the site's files are synced again") ||
		res.Applied == nil || res.Applied.Replace != 1 || syncs() != before+1 {
		t.Errorf("the revert after a failed sync: plan %+v, applied %+v, %d sync runs (want 1)\n%s",
			res.Plan, res.Applied, syncs()-before, stderr)
	}
	if again := h.deploy(t, "deploy with nothing changed"); again.Plan.Changes() != 0 {
		t.Errorf("after the resync: plan %+v; want 0 changes", again.Plan)
	}
	if code, _, stderr := h.run(t, "destroy", "--source", h.app, "--yes"); code != 0 {
		t.Fatalf("destroy: exit %d\n%s", code, stderr)
	}
}
