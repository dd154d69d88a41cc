package verify

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// oidcGate is the OIDC sign-in function of a deployed site, as a visitor without a session meets it (the
// real one, component/edgeoidc, runs against the preview in TestPreviewBehindOIDC); each field breaks it.
type oidcGate struct {
	next http.Handler
	// open lets paths with this prefix through, as a behavior without the function would ("": none).
	open string
	// cacheControl of its answers (default no-store), redirectURI of its redirect (default the site's own
	// callback), flowCookie the Set-Cookie of the redirect (default the __Host- flow cookie).
	cacheControl, redirectURI, flowCookie string
	// callbackToOrigin passes /_opendash/callback on; foreignSignOut is what a foreign sign-out POST gets.
	callbackToOrigin bool
	foreignSignOut   int
}

func (g *oidcGate) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	site := "https://" + r.Host
	if g.open != "" && strings.HasPrefix(r.URL.Path, g.open) || g.callbackToOrigin && r.URL.Path == oidcCallbackPath {
		g.next.ServeHTTP(w, r)
		return
	}
	cc := g.cacheControl
	if cc == "" {
		cc = "no-store"
	}
	w.Header().Set("Cache-Control", cc)
	switch {
	case r.URL.Path == oidcCallbackPath:
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("This sign-in link is stale or was not started here; open the site again."))
	case r.URL.Path == oidcSignOutPath && r.Method == http.MethodGet:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<form method="post" action="/_opendash-sign-out"><button>Sign out</button></form>`))
	case r.URL.Path == oidcSignOutPath && r.Header.Get("Origin") != site:
		status := g.foreignSignOut
		if status == 0 {
			status = http.StatusForbidden
		}
		w.WriteHeader(status)
	case r.Method == http.MethodGet && strings.Contains(r.Header.Get("Accept"), "text/html"):
		redirect := g.redirectURI
		if redirect == "" {
			redirect = site + oidcCallbackPath
		}
		q := url.Values{"response_type": {"code"}, "client_id": {"board"}, "redirect_uri": {redirect},
			"code_challenge": {"x"}, "code_challenge_method": {"S256"}, "state": {"s"}, "nonce": {"n"}}
		cookie := g.flowCookie
		if cookie == "" {
			cookie = "__Host-opendash-flow=abc; Path=/; Max-Age=600; Secure; HttpOnly; SameSite=Lax"
		}
		w.Header().Set("Set-Cookie", cookie)
		w.Header().Set("Location", "https://idp.example.com/authorize?"+q.Encode())
		w.WriteHeader(http.StatusFound)
	default:
		w.WriteHeader(http.StatusUnauthorized)
		w.Write([]byte("Sign in first."))
	}
}

// TestSiteBehindOIDC: with OIDC, verify passes a site whose every path asks for sign-in and whose sign-in
// endpoints answer, notes what it skipped, and fails each way the sign-in can be broken, naming the path.
func TestSiteBehindOIDC(t *testing.T) {
	cases := []struct {
		name  string
		gate  oidcGate
		fails map[string]string // "KIND METHOD URL" -> part of the problem; nil: every check passes
	}{
		{name: "signed out everywhere"},
		{name: "assets without the function", gate: oidcGate{open: "/assets/"},
			fails: map[string]string{"static GET /assets/style.css": "with content to a visitor who has not signed in"}},
		{name: "cacheable sign-in answers", gate: oidcGate{cacheControl: "public, max-age=60"},
			fails: map[string]string{"page GET /": "may be cached", "static GET /_dash-layout": "may be cached",
				"callback POST /_dash-update-component": "may be cached"}},
		{name: "callback to another site", gate: oidcGate{redirectURI: "https://evil.example/_opendash/callback"},
			fails: map[string]string{"page GET /analytics": `redirect_uri="https://evil.example/_opendash/callback"`}},
		{name: "flow cookie not Secure", gate: oidcGate{flowCookie: "__Host-opendash-flow=abc; Path=/; HttpOnly"},
			fails: map[string]string{"page GET /": "is not HttpOnly, Secure and Path=/"}},
		{name: "no flow cookie", gate: oidcGate{flowCookie: "other=1"},
			fails: map[string]string{"page GET /": "sets no __Host-opendash-flow cookie"}},
		{name: "callback left to the app", gate: oidcGate{callbackToOrigin: true},
			fails: map[string]string{"signin GET /_opendash/callback?code=opendash-verify&state=opendash-verify": "want 401 from the sign-in function"}},
		{name: "foreign sign-out accepted", gate: oidcGate{foreignSignOut: http.StatusSeeOther},
			fails: map[string]string{"signin POST /_opendash-sign-out": "want 403"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			dir, m := writeTestBundle(t, testLayout, testDeps)
			d := newDeployment(m, testLayout, testDeps)
			gate := c.gate
			gate.next = d
			o := d.serveWith(t, dir, &gate)
			o.OIDC = true
			rep, err := Run(context.Background(), o)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, f := range rep.Failures() {
				got[f.Kind+" "+f.Method+" "+f.URL] = f.Problem
			}
			for where, want := range c.fails {
				if !strings.Contains(got[where], want) {
					t.Errorf("%s: problem %q, want %q", where, got[where], want)
				}
			}
			var sum strings.Builder
			rep.WriteSummary(&sum)
			t.Log(sum.String())
			if c.fails == nil && !rep.OK {
				t.Fatalf("failures:\n%s", describe(rep.Failures()))
			}
			if c.fails != nil && rep.OK {
				t.Fatal("verify passed a broken sign-in")
			}
			var notes []string
			for _, ch := range rep.Checks {
				if ch.Skipped != "" {
					notes = append(notes, ch.Kind)
				}
			}
			if strings.Join(notes, ",") != "static,callback,signin" {
				t.Errorf("skipped %v; want notes for the files' content, the callback round trip and signing in", notes)
			}
			if n := rep.Counts[KindSignIn]; c.fails == nil && n.Passed != 3 {
				t.Errorf("sign-in checks %+v, want 3 passed", n)
			}
			if n := rep.Counts[KindClosed]; n.Passed+n.Failed != 4 {
				t.Errorf("closed checks %+v: the function URL, the bucket and http are checked behind OIDC too", n)
			}
		})
	}
}

// TestOIDCSiteWithoutTheFlag: verify without OIDC fails a site behind it, and the fix names --oidc; OIDC and
// basic-auth credentials together are refused.
func TestOIDCSiteWithoutTheFlag(t *testing.T) {
	dir, m := writeTestBundle(t, testLayout, testDeps)
	d := newDeployment(m, testLayout, testDeps)
	o := d.serveWith(t, dir, &oidcGate{next: d})
	rep, err := Run(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK {
		t.Fatal("verify passed a site that answers nothing without sign-in")
	}
	for _, f := range rep.Failures() {
		if f.Kind != KindClosed && !strings.Contains(f.Fix, "--oidc") {
			t.Errorf("%s: fix %q does not name --oidc", FailureLine(f), f.Fix)
		}
	}
	o.OIDC, o.BasicAuth = true, "alice:pw"
	if _, err := Run(context.Background(), o); err == nil || !strings.Contains(err.Error(), "signs in one way") {
		t.Errorf("OIDC with basic auth: %v", err)
	}
}
