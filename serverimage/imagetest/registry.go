// Package imagetest holds what tests of the image builder share: registries on loopback (the real one,
// Debian's docker-registry, and go-containerregistry's in-process one), a synthetic base image shaped like
// AWS's Lambda Python base, and small wheels made on the spot (PyPI is not reachable from tests).
package imagetest

import (
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/registry"
	"golang.org/x/crypto/bcrypt"
)

// RegistryBinaryEnv names a docker-registry binary other than the one on PATH or in /usr/bin.
const RegistryBinaryEnv = "OPENDASH_TEST_REGISTRY"

// InProcess starts go-containerregistry's registry in the test process and returns its host:port
// (127.0.0.1, so clients speak plain HTTP to it). wrap, when given, sees every request first (to inject
// failures).
func InProcess(t testing.TB, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(discardLogger()))
	if wrap != nil {
		h = wrap(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Real starts Debian's docker-registry (the CNCF distribution registry) on a free loopback port with a
// temporary storage folder and returns its host:port, or skips the test saying what to install.
func Real(t testing.TB) string {
	t.Helper()
	return StartReal(t, "", "").Addr
}

// RealRegistry is a running docker-registry.
type RealRegistry struct {
	Addr    string // host:port on 127.0.0.1
	Storage string // its storage folder (docker/registry/v2/...): what it holds, blob by blob
}

// StartReal is Real with its storage folder, and with user and password (when user is not "") the only
// credentials it accepts, through HTTP Basic authentication as ECR asks for them (an htpasswd file).
func StartReal(t testing.TB, user, password string) RealRegistry {
	t.Helper()
	bin := os.Getenv(RegistryBinaryEnv)
	if bin == "" {
		var err error
		if bin, err = exec.LookPath("docker-registry"); err != nil {
			bin = "/usr/bin/docker-registry"
		}
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("no docker-registry binary: install Debian's docker-registry package (apt-get install docker-registry) "+
			"or set $%s to a distribution registry binary", RegistryBinaryEnv)
	}
	dir := t.TempDir()
	addr := freeAddr(t)
	storage := filepath.Join(dir, "storage")
	config := fmt.Sprintf(`version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
http:
  addr: %s
`, storage, addr)
	if user != "" {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost) // the only format it reads
		if err != nil {
			t.Fatal(err)
		}
		htpasswd := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(htpasswd, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		config += fmt.Sprintf("auth:\n  htpasswd:\n    realm: opendash-test\n    path: %s\n", htpasswd)
	}
	cfgFile := filepath.Join(dir, "config.yml")
	if err := os.WriteFile(cfgFile, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "serve", cfgFile)
	logFile, err := os.Create(filepath.Join(dir, "registry.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatalf("starting %s: %v", bin, err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		logFile.Close()
		if t.Failed() {
			if data, err := os.ReadFile(logFile.Name()); err == nil {
				t.Logf("docker-registry log:\n%s", tail(string(data), 10))
			}
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get("http://" + addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			// 401: up, asking for the credentials.
			if resp.StatusCode == http.StatusOK || (user != "" && resp.StatusCode == http.StatusUnauthorized) {
				return RealRegistry{Addr: addr, Storage: storage}
			}
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(logFile.Name())
			t.Fatalf("docker-registry did not answer on %s within 15 s: %v\n%s", addr, err, tail(string(data), 40))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// freeAddr picks a free loopback port (the registry binds it itself, a moment later).
func freeAddr(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

func discardLogger() *log.Logger { return log.New(io.Discard, "", 0) }
