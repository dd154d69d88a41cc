package deploy

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pulumi/pulumi/sdk/v3/go/auto/events"
	"github.com/pulumi/pulumi/sdk/v3/go/common/apitype"
)

// fakePulumi puts a `pulumi` on PATH that prints version (nothing else on PATH, no ~/.pulumi).
func fakePulumi(t *testing.T, version string) {
	t.Helper()
	dir := t.TempDir()
	script := "#!/bin/sh\necho " + version + "\n"
	if err := os.WriteFile(filepath.Join(dir, "pulumi"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv("HOME", t.TempDir())
}

func TestFindPulumi(t *testing.T) {
	cases := []struct {
		version string
		want    string // "" for found
	}{
		{"v3.274.1", ""},
		{"v3.300.0", ""},
		{"v3.200.0", "is Pulumi v3.200.0; open-dash deploy needs v3.274.1 or a newer 3.x"},
		{"v4.0.0", "is Pulumi v4.0.0"},
		{"banana", "printed \"banana\", not a version"},
	}
	for _, c := range cases {
		t.Run(c.version, func(t *testing.T) {
			fakePulumi(t, c.version)
			cli, err := FindPulumi()
			switch {
			case c.want == "" && err != nil:
				t.Fatal(err)
			case c.want == "" && cli.Version.String() != strings.TrimPrefix(c.version, "v"):
				t.Errorf("version %s", cli.Version)
			case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "get.pulumi.com")):
				t.Errorf("error %v, want %q and how to install", err, c.want)
			}
		})
	}
	t.Run("missing", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		t.Setenv("HOME", t.TempDir())
		if _, err := FindPulumi(); err == nil || !strings.Contains(err.Error(), "found no `pulumi` on PATH or in ~/.pulumi/bin") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("installer's folder", func(t *testing.T) {
		home := t.TempDir()
		os.MkdirAll(filepath.Join(home, ".pulumi", "bin"), 0o755)
		os.WriteFile(filepath.Join(home, ".pulumi", "bin", "pulumi"), []byte("#!/bin/sh\necho v3.280.0\n"), 0o755)
		t.Setenv("PATH", t.TempDir())
		t.Setenv("HOME", home)
		cli, err := FindPulumi()
		if err != nil || cli.Path != filepath.Join(home, ".pulumi", "bin", "pulumi") {
			t.Errorf("%+v, %v", cli, err)
		}
	})
}

func TestStateNamesAndURLs(t *testing.T) {
	bucket, alias := stateNames("123456789012", "ap-southeast-2")
	if bucket != "opendash-state-123456789012-ap-southeast-2" || alias != "alias/"+bucket || len(bucket) > 63 {
		t.Errorf("%s %s", bucket, alias)
	}
	t.Setenv("AWS_ENDPOINT_URL", "")
	t.Setenv("AWS_ENDPOINT_URL_S3", "")
	t.Setenv("AWS_ENDPOINT_URL_KMS", "")
	b, k := stateURLs(bucket, alias, "ap-southeast-2")
	if b != "s3://"+bucket+"?region=ap-southeast-2" || k != "awskms://"+alias+"?region=ap-southeast-2" {
		t.Errorf("%s %s", b, k)
	}
	t.Setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:5000")
	b, k = stateURLs(bucket, alias, "ap-southeast-2")
	if !strings.Contains(b, "endpoint=http%3A%2F%2F127.0.0.1%3A5000") || !strings.Contains(b, "s3ForcePathStyle=true") ||
		!strings.Contains(k, "endpoint=") {
		t.Errorf("with an endpoint: %s %s", b, k)
	}
}

func TestStateErrorNamesTheLockHolder(t *testing.T) {
	pulumiSays := errors.New("failed to run update: exit status 255\nstderr: error: the stack is currently locked by 1 lock(s). " +
		"Either wait for the other process(es) to end or delete the lock file with `pulumi cancel`.\n" +
		"  s3://opendash-state-1-eu-west-1/.pulumi/locks/organization/opendash-board/prod/9f.json?region=eu-west-1: " +
		"created by alice@laptop (pid 4242) at 2026-12-06T10:00:00Z\n")
	err := stateError(pulumiSays, &StateStore{Backend: "s3://opendash-state-1-eu-west-1?region=eu-west-1"})
	for _, want := range []string{"another deploy of this stack is running", "alice@laptop (pid 4242) at 2026-12-06T10:00:00Z",
		"`aws s3 rm s3://opendash-state-1-eu-west-1/.pulumi/locks/organization/opendash-board/prod/9f.json`"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
	other := errors.New("something else")
	if stateError(other, &StateStore{}) != other {
		t.Error("other errors are changed")
	}
}

func TestDefaultName(t *testing.T) {
	for dir, want := range map[string]string{
		"/x/single-page": "single-page", "/x/My_Board 2": "my-board-2", "/x/app": "dash-site", "/x/__": "dash-site",
		"/x/" + strings.Repeat("a", 80): strings.Repeat("a", 39),
	} {
		if got := defaultName(dir); got != want {
			t.Errorf("defaultName(%q) = %q, want %q", dir, got, want)
		}
	}
}

// TestProgressLines: one line per finished resource, the plan's events silent but for errors.
func TestProgressLines(t *testing.T) {
	meta := func(op apitype.OpType, typ, name string) apitype.StepEventMetadata {
		return apitype.StepEventMetadata{Op: op, Type: typ, URN: "urn:pulumi:dev::p::" + typ + "::" + name}
	}
	evs := []events.EngineEvent{
		{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: meta(apitype.OpCreate, "aws:s3/bucketV2:BucketV2", "site-assets")}}},
		{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: meta(apitype.OpCreate, "aws:s3/bucketV2:BucketV2", "site-assets")}}},
		{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: meta(apitype.OpSame, "aws:iam/role:Role", "site-role")}}},
		{EngineEvent: apitype.EngineEvent{ResOpFailedEvent: &apitype.ResOpFailedEvent{Metadata: meta(apitype.OpUpdate, "aws:lambda/function:Function", "site-server")}}},
		{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{Severity: "error", Message: "AccessDenied\n"}}},
	}
	for _, quiet := range []bool{false, true} {
		var out bytes.Buffer
		p := newProgress(&out, false)
		err := p.follow(quiet, func(ch chan<- events.EngineEvent) error {
			for _, e := range evs {
				ch <- e
			}
			close(ch)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		want := "  + created aws:s3/bucketV2:BucketV2 site-assets\n  ! failed to update aws:lambda/function:Function site-server\n  error: AccessDenied\n"
		if quiet {
			want = "  error: AccessDenied\n"
		}
		if out.String() != want {
			t.Errorf("quiet %v:\n%s\nwant\n%s", quiet, out.String(), want)
		}
		if len(p.diags) != 1 {
			t.Errorf("diagnostics %v", p.diags)
		}
	}
}

// TestProgressSlowStatus: the counter of a slow step shows its latest status line (the server image's layer
// pushes), which never gets a line of its own, and forgets it when the step ends.
func TestProgressSlowStatus(t *testing.T) {
	const typ, urn = "opendash:index:ServerImage", "urn:pulumi:dev::p::opendash:index:ServerImage::site-image"
	meta := apitype.StepEventMetadata{Op: apitype.OpUpdate, Type: typ, URN: urn}
	var out bytes.Buffer
	p := newProgress(&out, false)
	p.event(events.EngineEvent{EngineEvent: apitype.EngineEvent{ResourcePreEvent: &apitype.ResourcePreEvent{Metadata: meta}}})
	p.event(events.EngineEvent{EngineEvent: apitype.EngineEvent{DiagnosticEvent: &apitype.DiagnosticEvent{
		URN: urn, Severity: "info", Ephemeral: true, Message: "assets        sha256:1234 pushed (2.1 KB)\n"}}})
	line := p.counterLine(p.started[urn].Add(3 * time.Second))
	if line != "update site-image: server image push 3s: assets        sha256:1234 pushed (2.1 KB)" {
		t.Errorf("counter %q", line)
	}
	p.event(events.EngineEvent{EngineEvent: apitype.EngineEvent{ResOutputsEvent: &apitype.ResOutputsEvent{Metadata: meta}}})
	if line := p.counterLine(time.Now()); line != "" || len(p.status) != 0 {
		t.Errorf("after the step: counter %q, status %v", line, p.status)
	}
	if strings.Contains(out.String(), "sha256:1234") {
		t.Errorf("the status got a line of its own:\n%s", out.String())
	}
}

func TestPlanString(t *testing.T) {
	p := planOf(map[string]int{"create": 3, "update": 1, "same": 40})
	if p.Changes() != 4 || p.String() != "3 to create, 1 to update, 0 to replace, 0 to delete (40 unchanged)" {
		t.Errorf("%+v %s", p, p)
	}
}
