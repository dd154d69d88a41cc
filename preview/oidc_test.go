package preview

import (
	"crypto/tls"
	"crypto/x509"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/opendash/opendash/internal/oidctest"
)

// TestOIDC runs the component's OIDC sign-in function (in Node.js) in front of the test bundle, against a
// fake provider: anonymous requests are sent to sign in (pages) or refused (the rest), and after the
// code exchange the session cookie opens every behavior.
func TestOIDC(t *testing.T) {
	if _, err := exec.LookPath("node"); err != nil {
		t.Skip("node not on PATH: the OIDC sign-in function runs on Node.js")
	}
	p := oidctest.New(t, "preview-client")
	t.Setenv("NODE_EXTRA_CA_CERTS", p.CAFile)
	ts, fake, log := newRoutingServer(t)
	edge, err := startOIDC(OIDCOptions{Issuer: p.URL, ClientID: "preview-client", AllowedEmailDomains: []string{"example.com"}}, &logger{w: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(edge.close)
	ts.Config.Handler.(*Server).auth = edge

	pem, _ := os.ReadFile(p.CAFile)
	roots := x509.NewCertPool()
	roots.AppendCertsFromPEM(pem)
	client := &http.Client{
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	cookies := map[string]string{}
	get := func(method, target, accept string, headers ...string) *http.Response {
		t.Helper()
		req, _ := http.NewRequest(method, target, strings.NewReader("{}"))
		req.Header.Set("Accept", accept)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		for k, v := range cookies {
			req.AddCookie(&http.Cookie{Name: k, Value: v})
		}
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		for _, c := range resp.Cookies() {
			if c.MaxAge < 0 {
				delete(cookies, c.Name)
			} else {
				cookies[c.Name] = c.Value
			}
		}
		return resp
	}

	if resp := get("POST", ts.URL+"/_dash-update-component", "application/json"); resp.StatusCode != 401 {
		t.Errorf("anonymous callback: %d, want 401", resp.StatusCode)
	}
	_, before := fake.last()
	start := get("GET", ts.URL+"/page-1?tab=2", "text/html")
	authorize, _ := url.Parse(start.Header.Get("Location"))
	if start.StatusCode != 302 || !strings.HasPrefix(authorize.String(), p.URL+"/authorize?") {
		t.Fatalf("anonymous page: %d to %q, want a redirect to the provider", start.StatusCode, authorize)
	}
	if want := ts.URL + "/_opendash/callback"; authorize.Query().Get("redirect_uri") != want {
		t.Errorf("redirect_uri = %q, want %q (http: the preview's own URL)", authorize.Query().Get("redirect_uri"), want)
	}
	for _, c := range start.Header.Values("Set-Cookie") {
		if strings.Contains(c, "Secure") {
			t.Errorf("Set-Cookie %q: a browser drops Secure cookies over http", c)
		}
	}
	back := get("GET", authorize.String(), "text/html").Header.Get("Location")
	done := get("GET", back, "text/html")
	if done.StatusCode != 302 || done.Header.Get("Location") != "/page-1?tab=2" || cookies["opendash-session"] == "" {
		t.Fatalf("callback: %d to %q, cookies %v", done.StatusCode, done.Header.Get("Location"), cookies)
	}
	if _, after := fake.last(); after != before {
		t.Error("the server function saw a request before sign-in")
	}
	if resp := get("GET", ts.URL+"/page-1", "text/html"); resp.StatusCode != 200 {
		t.Errorf("signed-in page: %d", resp.StatusCode)
	}
	// The app gets the identity the sign-in vouches for, never the viewer's forged copy, and not our cookies.
	if resp := get("POST", ts.URL+"/_dash-update-component", "application/json",
		"X-OpenDash-User-Email", "boss@example.com", "X-OpenDash-User-Groups", "admins"); resp.StatusCode != 200 {
		t.Errorf("signed-in callback: %d", resp.StatusCode)
	}
	e, _ := fake.last()
	if e.Headers["x-opendash-user-email"] != "alice@example.com" || e.Headers["x-opendash-user-subject"] != "u-1" ||
		e.Headers["x-opendash-user-groups"] != "" {
		t.Errorf("identity headers the function got: %v", e.Headers)
	}
	for _, c := range e.Cookies {
		if strings.HasPrefix(c, "opendash-") {
			t.Errorf("the function got the sign-in's cookie %s", c)
		}
	}
	if resp := get("GET", ts.URL+"/_opendash-sign-out", "text/html"); resp.StatusCode != 200 || cookies["opendash-session"] == "" {
		t.Errorf("sign-out page: %d, cookies %v (a GET signs nobody out)", resp.StatusCode, cookies)
	}
	if resp := get("POST", ts.URL+"/_opendash-sign-out", "text/html", "Origin", "http://evil.example"); resp.StatusCode != 403 {
		t.Errorf("cross-site sign-out: %d, want 403", resp.StatusCode)
	}
	if resp := get("POST", ts.URL+"/_opendash-sign-out", "text/html", "Origin", ts.URL); resp.StatusCode != 303 || cookies["opendash-session"] != "" {
		t.Errorf("sign-out: %d, cookies %v", resp.StatusCode, cookies)
	}
	if resp := get("POST", ts.URL+"/_dash-update-component", "application/json"); resp.StatusCode != 401 {
		t.Errorf("callback after sign-out: %d, want 401", resp.StatusCode)
	}
}
