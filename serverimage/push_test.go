package serverimage

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/opendash/opendash/serverimage/imagetest"
)

func init() {
	// Tests retry fast; the defaults wait seconds between tries.
	pushBackoff = remote.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Steps: 4}
}

func pushedByRole(p *Pushed) map[string]bool {
	out := map[string]bool{}
	for _, l := range p.Layers {
		out[l.Role] = out[l.Role] || l.Pushed
	}
	return out
}

// A first push uploads everything, the same image again nothing, an asset edit the assets layer alone.
func TestPushUploadsWhatTheRegistryLacks(t *testing.T) {
	t.Parallel()
	host := imagetest.InProcess(t, nil)
	f := newFixture(t, host, nil)
	img := mustBuild(t, f.options(t, "x86_64"))
	repo := host + "/site/server"
	var log bytes.Buffer
	first, err := Push(t.Context(), img, PushOptions{Repository: repo, Tag: "build-1", Log: &log})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("push log:\n%s", log.String())
	if first.Reference != repo+"@"+img.Digest || first.Tag != repo+":build-1" {
		t.Errorf("reference %s tag %s", first.Reference, first.Tag)
	}
	for _, l := range first.Layers {
		// The base's layers come from the same registry: mounted, not uploaded.
		if want := l.Role != LayerBase; l.Pushed != want {
			t.Errorf("first push: %s layer %s pushed=%t, want %t", l.Role, l.Digest, l.Pushed, want)
		}
	}
	for _, role := range []string{LayerDependencies, LayerApp, LayerAssets} {
		if !strings.Contains(log.String(), role) {
			t.Errorf("the push log does not name the %s layer", role)
		}
	}

	// What the registry answers is what was built.
	ref, _ := name.ParseReference(first.Reference)
	back, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := back.Digest(); d.String() != img.Digest {
		t.Errorf("pulled %s, pushed %s", d, img.Digest)
	}
	tagRef, _ := name.ParseReference(first.Tag)
	tagged, err := remote.Head(tagRef)
	if err != nil || tagged.Digest.String() != img.Digest {
		t.Errorf("tag %s -> %v (%v), want %s", first.Tag, tagged, err, img.Digest)
	}

	again, err := Push(t.Context(), img, PushOptions{Repository: repo, Tag: "build-2"})
	if err != nil {
		t.Fatal(err)
	}
	if got := pushedByRole(again); got[LayerDependencies] || got[LayerApp] || got[LayerAssets] {
		t.Errorf("pushing the same image again uploaded %v", got)
	}

	writeFiles(t, f.dir, map[string]string{"assets/style.css": "body { color: green }\n"})
	edited, err := Push(t.Context(), mustBuild(t, f.options(t, "x86_64")), PushOptions{Repository: repo, Tag: "build-3"})
	if err != nil {
		t.Fatal(err)
	}
	if got := pushedByRole(edited); got[LayerDependencies] || got[LayerApp] || !got[LayerAssets] {
		t.Errorf("after an asset edit the push uploaded %v, want the assets layer alone", got)
	}
	if edited.BytesPushed >= first.BytesPushed || edited.BytesPushed == 0 {
		t.Errorf("asset edit sent %d bytes, the first push %d", edited.BytesPushed, first.BytesPushed)
	}
}

// Throttling and server errors are retried; a registry that keeps failing gives an error naming it.
func TestPushRetriesAndNamesTheRegistry(t *testing.T) {
	t.Parallel()
	var fails atomic.Int32
	var status atomic.Int32
	flaky := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if (r.Method == http.MethodPut || r.Method == http.MethodPatch || r.Method == http.MethodPost) && fails.Load() > 0 {
				fails.Add(-1)
				w.WriteHeader(int(status.Load()))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
	host := imagetest.InProcess(t, flaky)
	f := newFixture(t, host, map[string]string{"opendash_handler.py": "def handler(e, c=None):\n    return {}\n"})
	img := mustBuild(t, f.options(t, "x86_64"))

	for _, code := range []int{http.StatusTooManyRequests, http.StatusServiceUnavailable} {
		fails.Store(2)
		status.Store(int32(code))
		if _, err := Push(t.Context(), img, PushOptions{Repository: host + "/retry", Tag: "t"}); err != nil {
			t.Errorf("two %d answers, then success: %v", code, err)
		}
	}

	fails.Store(1000)
	status.Store(http.StatusServiceUnavailable)
	_, err := Push(t.Context(), img, PushOptions{Repository: host + "/down", Tag: "t"})
	if err == nil || !strings.Contains(err.Error(), "image push to "+host) || !strings.Contains(err.Error(), "503") {
		t.Errorf("a registry that keeps answering 503: error %v, want one naming %s and the status", err, host)
	}

	for _, c := range []struct{ repo, want string }{
		{"Not A Repo!", "is not a repository"},
		{"127.0.0.1:1/nothing", "image push to 127.0.0.1:1"},
	} {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		_, err := Push(ctx, img, PushOptions{Repository: c.repo, Tag: "t"})
		cancel()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("push to %q: error %v, want %q", c.repo, err, c.want)
		}
	}
}
