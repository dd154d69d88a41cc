package preview

import (
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
)

// TestBasicAuth serves the test bundle behind --basic-auth: every behavior (S3, the default root object,
// the server) answers 401 from the viewer-request function without valid credentials, and serves as usual
// with them; the server function never sees a refused request.
// Passwords of at least 16 characters, as the component wants; bob's has a ':' and a space.
const (
	alicePW = "correct-horse-battery"
	bobPW   = "b:c d-long-enough-pw"
)

func TestBasicAuth(t *testing.T) {
	ts, fake, log := newRoutingServer(t)
	auth, err := newViewerAuth([]Credential{{"alice", alicePW}, {"bob", bobPW}})
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler.(*Server).auth = auth
	basic := func(s string) string { return "Basic " + base64.StdEncoding.EncodeToString([]byte(s)) }
	react := "/_dash-component-suites/dash/deps/react@18.v4_3_0m1.3.1.min.js"
	tests := []struct {
		name, method, path, auth string
		wantStatus               int
		wantOrigin               string
	}{
		{"anonymous root", "GET", "/", "", 401, "edge"},
		{"anonymous component script", "GET", react, "", 401, "edge"},
		{"anonymous callback", "POST", "/_dash-update-component", "", 401, "edge"},
		{"anonymous deep link", "GET", "/report/7", "", 401, "edge"},
		{"wrong password", "GET", "/", basic("alice:" + strings.ToUpper(alicePW)), 401, "edge"},
		{"unknown user", "GET", "/", basic("carol:" + alicePW), 401, "edge"},
		{"malformed header", "GET", "/", "Basic !!!", 401, "edge"},
		{"bearer", "POST", "/_dash-update-component", "Bearer abc", 401, "edge"},
		{"root", "GET", "/", basic("alice:" + alicePW), 200, "s3"},
		{"component script", "GET", react, basic("alice:" + alicePW), 200, "s3"},
		{"callback", "POST", "/_dash-update-component", basic("bob:" + bobPW), 200, "server"},
		{"method check first", "POST", "/assets/style.css", "", 403, "cloudfront"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, before := fake.last()
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader("{}"))
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			req.Header.Set("X-OpenDash-User-Email", "boss@example.com") // forged: the function deletes it
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if tt.wantStatus == 401 {
				if got := resp.Header.Get("WWW-Authenticate"); got != `Basic realm="OpenDash"` {
					t.Errorf("WWW-Authenticate = %q", got)
				}
				if _, after := fake.last(); after != before {
					t.Error("the server function saw a refused request")
				}
			}
			if tt.wantOrigin == "server" {
				e, _ := fake.last()
				for name := range e.Headers {
					if strings.HasPrefix(name, "x-opendash-") || name == "x-forwarded-authorization" {
						t.Errorf("the server function got %s: %q", name, e.Headers[name])
					}
				}
			}
			want := fmt.Sprintf("%s %s %d %s ", tt.method, tt.path, tt.wantStatus, tt.wantOrigin)
			eventually(t, "log line "+want, func() bool { return strings.Contains(log.String(), want) })
		})
	}
}

func TestParseCredential(t *testing.T) {
	for in, want := range map[string]string{"alice:" + alicePW: "alice/" + alicePW, "bob:" + bobPW: "bob/" + bobPW,
		"nocolon": "", ":" + alicePW: "", "a:": "", "é:" + alicePW: "", "alice:pw": ""} {
		c, err := ParseCredential(in)
		got := ""
		if err == nil {
			got = c.User + "/" + c.Password
		}
		if got != want {
			t.Errorf("ParseCredential(%q) = %q, %v; want %q", in, got, err, want)
		}
		if err != nil && (strings.Contains(err.Error(), ":pw") || strings.Contains(err.Error(), alicePW)) {
			t.Errorf("the error quotes the password: %v", err)
		}
	}
}
