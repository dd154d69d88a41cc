package edgeauth_test

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opendash/opendash/edgeauth"
	"github.com/opendash/opendash/edgeauth/jsrun"
)

const store = "arn:aws:cloudfront::123456789012:key-value-store/0d1f6e4c-7a51-4b7e-9d0a-2c5e8f3b9a17"

// Passwords as users choose them: bob's has a ':' (only the first splits) and a space; carol's is the longest
// CheckCredential accepts for her name (one character more makes an Authorization header over MaxAuthorization).
const (
	alicePW = "correct-horse-battery"
	bobPW   = "a:b c-long-enough-pw"
)

var carolPW = strings.Repeat("c", (edgeauth.MaxAuthorization-len("Basic "))/4*3-len("carol:"))

// users are the KeyValueStore's contents in every case.
var users = map[string]string{
	"alice": edgeauth.Hash(edgeauth.Salt(store, "alice"), alicePW),
	"bob":   edgeauth.Hash(edgeauth.Salt(store, "bob"), bobPW),
	"carol": edgeauth.Hash(edgeauth.Salt(store, "carol"), carolPW),
	"eve":   "v0$not$ours", // a value in an unknown format never matches
}

// forged are identity headers a viewer sends to pass as someone else: every variant deletes them.
var forged = map[string]string{"x-opendash-user-email": "boss@example.com", "x-opendash-user-groups": "admins",
	"x-opendash-user-subject": "u-boss", "X-OpenDash-Anything": "x"}

func basic(userPass string) string {
	return "Basic " + base64.StdEncoding.EncodeToString([]byte(userPass))
}

// authCase is one viewer request; the same table runs in goja (here) and in Node (viewer_request_test.js).
type authCase struct {
	Name    string            `json:"name"`
	Config  edgeauth.Config   `json:"-"`
	Source  string            `json:"source"`
	Headers map[string]string `json:"headers"`
	Status  int               `json:"status"`  // 0: the request goes on
	Forward string            `json:"forward"` // the x-forwarded-host passed on ("" : none)
	// ForwardAuth is the x-forwarded-authorization passed on ("": none): the viewer's Authorization, for an
	// app that checks its own, since the origin gets AWS's signature in Authorization.
	ForwardAuth string `json:"forwardAuth"`
}

func cases() []authCase {
	server := edgeauth.Config{ForwardHost: true, Basic: true, Realm: "Board"}
	static := edgeauth.Config{Basic: true}
	host := map[string]string{"host": "d1.cloudfront.net"}
	with := func(extras ...map[string]string) map[string]string {
		h := map[string]string{"host": "d1.cloudfront.net"}
		for _, extra := range extras {
			for k, v := range extra {
				h[strings.ToLower(k)] = v
			}
		}
		return h
	}
	alice := map[string]string{"authorization": basic("alice:" + alicePW)}
	cs := []authCase{
		{Name: "no auth: forwards the host", Config: edgeauth.Config{ForwardHost: true}, Headers: host, Forward: "d1.cloudfront.net"},
		{Name: "no auth: replaces a spoofed x-forwarded-host", Config: edgeauth.Config{ForwardHost: true},
			Headers: with(map[string]string{"x-forwarded-host": "evil.test"}), Forward: "d1.cloudfront.net"},
		{Name: "no auth: drops x-forwarded-host without host", Config: edgeauth.Config{ForwardHost: true},
			Headers: map[string]string{"x-forwarded-host": "evil.test"}},
		{Name: "no auth: the app's own Authorization goes on as x-forwarded-authorization", Config: edgeauth.Config{ForwardHost: true},
			Headers: with(map[string]string{"authorization": basic("admin:s3cret")}), Forward: "d1.cloudfront.net",
			ForwardAuth: basic("admin:s3cret")},
		{Name: "no auth: a viewer's own x-forwarded-authorization is dropped", Config: edgeauth.Config{ForwardHost: true},
			Headers: with(map[string]string{"x-forwarded-authorization": basic("admin:s3cret")}), Forward: "d1.cloudfront.net"},
		{Name: "basic auth at the edge: its Authorization stays at the edge", Config: server,
			Headers: with(alice, map[string]string{"x-forwarded-authorization": "x"}),
			Forward: "d1.cloudfront.net"},
		{Name: "right password", Config: server, Headers: with(alice), Forward: "d1.cloudfront.net"},
		{Name: "the longest credentials the component accepts sign in", Config: server,
			Headers: with(map[string]string{"authorization": basic("carol:" + carolPW)}), Forward: "d1.cloudfront.net"},
		{Name: "password with a colon and a space", Config: server, Headers: with(map[string]string{"authorization": basic("bob:" + bobPW)}), Forward: "d1.cloudfront.net"},
		{Name: "static: right password, host untouched", Config: static, Headers: with(alice, map[string]string{"x-forwarded-host": "kept.test"}), Forward: "kept.test"},
		{Name: "lower-case scheme", Config: static, Headers: with(map[string]string{"authorization": "basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+alicePW))})},
		// Identity headers are the edge's: a viewer's copies never pass, whatever the variant.
		{Name: "no auth: forged identity headers are deleted", Config: edgeauth.Config{ForwardHost: true},
			Headers: with(forged), Forward: "d1.cloudfront.net"},
		{Name: "basic auth: forged identity headers are deleted", Config: server, Headers: with(alice, forged), Forward: "d1.cloudfront.net"},
		{Name: "static: forged identity headers are deleted", Config: static, Headers: with(alice, forged)},
		{Name: "over-long header with the right credentials", Config: server,
			Headers: with(map[string]string{"authorization": basic("alice:"+alicePW) + strings.Repeat(" ", 1100)}), Status: 401},
		{Name: "missing header", Config: server, Headers: host, Status: 401},
		{Name: "missing header on S3", Config: static, Headers: host, Status: 401},
		{Name: "wrong password", Config: server, Headers: with(map[string]string{"authorization": basic("alice:" + strings.ToUpper(alicePW))}), Status: 401},
		{Name: "password prefix", Config: server, Headers: with(map[string]string{"authorization": basic("alice:" + alicePW[:len(alicePW)-1])}), Status: 401},
		{Name: "another user's password", Config: server, Headers: with(map[string]string{"authorization": basic("bob:" + alicePW)}), Status: 401},
		{Name: "unknown user", Config: server, Headers: with(map[string]string{"authorization": basic("mallory:" + alicePW)}), Status: 401},
		{Name: "stored value in an unknown format", Config: server, Headers: with(map[string]string{"authorization": basic("eve:ours")}), Status: 401},
		{Name: "stored hash as password", Config: server, Headers: with(map[string]string{"authorization": basic("alice:" + users["alice"])}), Status: 401},
		{Name: "empty user", Config: server, Headers: with(map[string]string{"authorization": basic(":" + alicePW)}), Status: 401},
		{Name: "no colon", Config: server, Headers: with(map[string]string{"authorization": basic("alice" + alicePW)}), Status: 401},
		{Name: "bearer scheme", Config: server, Headers: with(map[string]string{"authorization": "Bearer " + base64.StdEncoding.EncodeToString([]byte("alice:"+alicePW))}), Status: 401},
		{Name: "not base64", Config: server, Headers: with(map[string]string{"authorization": "Basic alice:" + alicePW}), Status: 401},
		{Name: "truncated base64", Config: server, Headers: with(map[string]string{"authorization": strings.TrimRight(basic("alice:"+alicePW), "=")[:13]}), Status: 401},
		{Name: "credentials without scheme", Config: server, Headers: with(map[string]string{"authorization": base64.StdEncoding.EncodeToString([]byte("alice:" + alicePW))}), Status: 401},
		{Name: "control character", Config: server, Headers: with(map[string]string{"authorization": basic("alice:" + alicePW + "\n")}), Status: 401},
		{Name: "empty header", Config: server, Headers: with(map[string]string{"authorization": ""}), Status: 401},
	}
	for i := range cs {
		cs[i].Source = edgeauth.Source(cs[i].Config)
	}
	return cs
}

// TestViewerRequestGoja runs the generated function in the engine the preview uses.
func TestViewerRequestGoja(t *testing.T) {
	for _, c := range cases() {
		t.Run(c.Name, func(t *testing.T) {
			var kvs map[string]string
			if c.Config.Basic {
				kvs = users
			}
			fn, err := jsrun.Load(c.Source, kvs)
			if err != nil {
				t.Fatal(err)
			}
			res, err := fn.Run(jsrun.Request{Method: "GET", URI: "/", Headers: c.Headers})
			if err != nil {
				t.Fatal(err)
			}
			if c.Status != 0 {
				if res.Response == nil || res.Response.Status != c.Status {
					t.Fatalf("got %+v, want a %d response", res, c.Status)
				}
				if want := `Basic realm="` + realmOf(c.Config) + `"`; res.Response.Headers["www-authenticate"] != want {
					t.Errorf("www-authenticate = %q, want %q", res.Response.Headers["www-authenticate"], want)
				}
				return
			}
			if res.Request == nil {
				t.Fatalf("got response %+v, want the request passed on", res.Response)
			}
			if got := res.Request.Headers["x-forwarded-host"]; got != c.Forward {
				t.Errorf("x-forwarded-host = %q, want %q", got, c.Forward)
			}
			if got := res.Request.Headers["x-forwarded-authorization"]; got != c.ForwardAuth {
				t.Errorf("x-forwarded-authorization = %q, want %q", got, c.ForwardAuth)
			}
			for name := range res.Request.Headers {
				if strings.HasPrefix(name, edgeauth.IdentityHeaderPrefix) {
					t.Errorf("the viewer's %s passed on", name)
				}
			}
		})
	}
}

func realmOf(c edgeauth.Config) string {
	if c.Realm == "" {
		return edgeauth.DefaultRealm
	}
	return c.Realm
}

// TestViewerRequestNode runs the same cases in Node with Node's own crypto, which proves the goja shim
// and the code agree with a real JavaScript runtime's HMAC.
func TestViewerRequestNode(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("node not on PATH: cannot run viewer_request_test.js (install Node.js to run it)")
	}
	raw, err := json.Marshal(map[string]any{"users": users, "cases": cases()})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "cases.json")
	if err := os.WriteFile(file, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(node, "testdata/viewer_request_test.js", file).CombinedOutput()
	if err != nil {
		t.Fatalf("viewer_request_test.js failed: %v\n%s", err, out)
	}
}

// TestSourceLimits: CloudFront Functions take at most 10 KB of code, the longest realm included; the
// module import must come first.
func TestSourceLimits(t *testing.T) {
	longest := strings.Repeat("r", edgeauth.MaxRealmLength)
	if edgeauth.CheckRealm(longest) != nil || edgeauth.CheckRealm(longest+"r") == nil {
		t.Errorf("CheckRealm does not stop at %d characters", edgeauth.MaxRealmLength)
	}
	for _, c := range []edgeauth.Config{{}, {ForwardHost: true}, {Basic: true, Realm: longest}, {ForwardHost: true, Basic: true, Realm: longest}} {
		src := edgeauth.Source(c)
		if len(src) > 10240 {
			t.Errorf("%+v: %d bytes, over CloudFront's 10 KB", c, len(src))
		}
		if c.Basic != strings.HasPrefix(src, edgeauth.KVSImport) {
			t.Errorf("%+v: the KeyValueStore import is not the first line exactly when basic auth is on", c)
		}
		if src != edgeauth.Source(c) {
			t.Errorf("%+v: not deterministic", c)
		}
	}
}

func TestChecks(t *testing.T) {
	for _, c := range []struct{ user, password string }{
		{"", alicePW}, {"a:b", alicePW}, {"alice", ""}, {"älice", alicePW}, {"alice", "pässword-long-enough"},
		{"alice", alicePW + "\n"}, {strings.Repeat("u", 501), alicePW},
		{"alice", "pw"}, {"alice", "fifteen-chars!!"}, // shorter than 16: a fast hash makes them guessable
	} {
		err := edgeauth.CheckCredential(c.user, c.password)
		if err == nil {
			t.Errorf("CheckCredential(%q, %q) accepted", c.user, c.password)
			continue
		}
		if c.password != "" && strings.Contains(err.Error(), c.password) {
			t.Errorf("the error quotes the password: %v", err)
		}
		if c.password == "pw" && !strings.Contains(err.Error(), `user "alice"`) {
			t.Errorf("the error does not name the user: %v", err)
		}
	}
	if err := edgeauth.CheckCredential("alice", "p w:!~ sixteen ch"); err != nil {
		t.Error(err)
	}
	// The function refuses an Authorization header over MaxAuthorization unread: credentials that make one
	// could never sign in, so they are refused at deploy, naming the limit.
	if len(basic("carol:"+carolPW)) > edgeauth.MaxAuthorization || len(basic("carol:"+carolPW+"c")) <= edgeauth.MaxAuthorization ||
		edgeauth.CheckCredential("carol", carolPW) != nil {
		t.Errorf("carol's %d-character password (a %d-byte header) is refused", len(carolPW), len(basic("carol:"+carolPW)))
	}
	if err := edgeauth.CheckCredential("carol", carolPW+"c"); err == nil || !strings.Contains(err.Error(), "1024") ||
		strings.Contains(err.Error(), carolPW) {
		t.Errorf("CheckCredential of a password one character too long: %v, want an error naming the 1024-byte limit", err)
	}
	if !strings.Contains(edgeauth.Source(edgeauth.Config{Basic: true}), fmt.Sprintf("var MAX_AUTHORIZATION = %d;", edgeauth.MaxAuthorization)) {
		t.Error("viewer_request.js's MAX_AUTHORIZATION is not edgeauth.MaxAuthorization")
	}
	for _, realm := range []string{`a"b`, `a\b`, "a\nb", "é"} {
		if edgeauth.CheckRealm(realm) == nil {
			t.Errorf("CheckRealm(%q) accepted", realm)
		}
	}
	other := strings.Replace(store, "0d1f", "9e2a", 1) // another stack's store, even of a site with the same name
	if edgeauth.Salt(store, "alice") == edgeauth.Salt(store, "bob") || edgeauth.Salt(store, "alice") == edgeauth.Salt(other, "alice") {
		t.Error("salts repeat across users or stores")
	}
}
