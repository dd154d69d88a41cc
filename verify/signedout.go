package verify

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/opendash/opendash/manifest"
)

// A site behind OpenID Connect sign-in (the component's auth.oidc, Options.OIDC). verify cannot sign in at
// a provider, so it checks what a visitor without a session meets, which is most of what can go wrong:
// every file and page of the bundle, every server route and the callback endpoint must send a page
// navigation to the provider (a 302 that starts the authorization code flow back to the site's own
// /_opendash/callback) and refuse everything else (401), never answer with content; the sign-in's own
// endpoints must answer from the edge; and the function URL, the bucket and plain http stay closed. What
// needs a session (the content of each file, the callback round trip, signing in at the provider) is
// skipped, each with a note.

// The sign-in function's paths (component/edgeoidc).
const (
	oidcCallbackPath = "/_opendash/callback"
	oidcSignOutPath  = "/_opendash-sign-out"
	oidcFlowCookie   = "opendash-flow" // __Host-opendash-flow over https
)

// Accept headers: a browser's page navigation, which the sign-in sends to the provider, and what scripts,
// stylesheets and fetches send, which it refuses.
const (
	acceptNavigation  = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	acceptSubresource = "*/*"
)

// planSignedOut lists the checks for a site behind OIDC sign-in, in report order within each kind.
func (r *runner) planSignedOut() []task {
	var tasks []task
	index, hasIndex := r.indexFile()
	files := 0
	for _, f := range r.m.Files {
		if r.m.Route("/"+f.Key).Origin != manifest.OriginS3 {
			continue
		}
		files++
		kind := KindStatic
		if isPage(f) {
			kind = KindPage
		}
		nav := strings.HasPrefix(f.ContentType, "text/html")
		tasks = append(tasks, task{kind, func(ctx context.Context) (Check, error) {
			return r.checkSignedOut(ctx, kind, http.MethodGet, "/"+f.Key, nav, f.SHA256)
		}})
	}
	if hasIndex && r.prefix() == "/" {
		tasks = append(tasks, task{KindPage, func(ctx context.Context) (Check, error) {
			return r.checkSignedOut(ctx, KindPage, http.MethodGet, "/", true, index.SHA256)
		}})
	}
	tasks = append(tasks, skipped(KindStatic, fmt.Sprintf("the content, Content-Type and Cache-Control of the "+
		"bundle's %d files and pages: they are served to signed-in visitors only; open the site in a browser", files)))

	tasks = append(tasks, task{KindRouting, func(ctx context.Context) (Check, error) {
		return r.checkSignedOut(ctx, KindRouting, http.MethodGet, r.prefix()+unknownPage, true, "")
	}})
	for _, route := range r.m.ServerRoutes {
		if p, ok := exampleGET(route); ok {
			tasks = append(tasks, task{KindRouting, func(ctx context.Context) (Check, error) {
				return r.checkSignedOut(ctx, KindRouting, http.MethodGet, p, true, "")
			}})
		}
	}
	if hasIndex {
		tasks = append(tasks, task{KindRouting, func(ctx context.Context) (Check, error) {
			return r.checkPostRefused(ctx, "/"+index.Key)
		}})
	}

	tasks = append(tasks, task{KindCallback, func(ctx context.Context) (Check, error) {
		return r.checkSignedOut(ctx, KindCallback, http.MethodPost, r.prefix()+"_dash-update-component", false, "")
	}})
	tasks = append(tasks, skipped(KindCallback, "the callback round trip: Dash's callbacks answer signed-in "+
		"visitors only"))

	tasks = append(tasks,
		task{KindSignIn, r.checkCallbackEndpoint},
		task{KindSignIn, r.checkSignOutPage},
		task{KindSignIn, r.checkForeignSignOut},
		skipped(KindSignIn, "signing in at the provider (that it knows the client and accepts "+r.site+oidcCallbackPath+
			" as its callback URL) and the session the site then sets: open the site in a browser and sign in"))
	return append(tasks, r.closedTasks(index, hasIndex)...)
}

// skipped is a check that is not made, with the reason the report notes.
func skipped(kind, why string) task {
	return task{kind, func(context.Context) (Check, error) {
		return Check{Kind: kind, OK: true, Skipped: why}, nil
	}}
}

// checkSignedOut sends what a visitor without a session sends: a page navigation (nav) must be sent to sign
// in, anything else refused with 401; neither may carry the content (whose digest is sha, "" when unknown)
// or be cached.
func (r *runner) checkSignedOut(ctx context.Context, kind, method, path string, nav bool, sha string) (Check, error) {
	c := Check{Kind: kind, Method: method, URL: path, Detail: "without a session"}
	header := http.Header{"Accept": {acceptSubresource}}
	var body []byte
	if nav {
		header.Set("Accept", acceptNavigation)
	}
	if method == http.MethodPost {
		body = []byte("{}")
		header.Set("Content-Type", "application/json")
	}
	a, err := r.f.fetch(ctx, method, r.site+escape(path), body, header)
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	const fixGate = "the sign-in function (auth.oidc) must run at viewer request on every behavior of the " +
		"distribution: deploy the bundle's behaviors with auth.oidc (open-dash deploy, or pulumi up)"
	switch {
	case a.status >= 200 && a.status < 300 || (sha != "" && a.sha256 == sha):
		return fail(c, fmt.Sprintf("answered %d with content to a visitor who has not signed in: anyone can read it", a.status), fixGate), nil
	case denied(a):
		return fail(c, "answered by the bucket (403 AccessDenied): the request went past the edge without a sign-in check", fixGate), nil
	case nav && a.status == http.StatusFound:
		if problem, fix := r.signInRedirect(a); problem != "" {
			return fail(c, problem, fix), nil
		}
		c.Detail = "sent to sign in at " + hostOf(a.header.Get("Location"))
	case !nav && a.status == http.StatusUnauthorized:
	default:
		want := "401 (sign in first)"
		if nav {
			want = "302 to the provider's sign-in"
		}
		problem, fix := diagnose(a)
		return fail(c, fmt.Sprintf("a visitor without a session got %d, want %s: %s", a.status, want, problem), fix), nil
	}
	if cc := a.header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		return fail(c, fmt.Sprintf("the sign-in answer may be cached (Cache-Control %q): a cache could hand one "+
			"visitor's sign-in start to another", cc), "the sign-in function answers with Cache-Control: no-store; "+
			"check that no response headers policy or origin replaces it"), nil
	}
	c.OK = true
	return c, nil
}

// signInRedirect explains what is wrong with a 302 that should start the authorization code flow with
// PKCE back to the site's own callback, with the flow kept in a cookie the browser keeps for this site only.
func (r *runner) signInRedirect(a *answer) (problem, fix string) {
	const fix0 = "redeploy with auth.oidc (its issuer must publish an authorization_endpoint in its discovery document)"
	loc, err := url.Parse(a.header.Get("Location"))
	if err != nil || !loc.IsAbs() || (loc.Scheme != "https" && loc.Scheme != "http") {
		return fmt.Sprintf("redirected to %q, not to a provider's sign-in page", a.header.Get("Location")), fix0
	}
	if strings.HasPrefix(loc.String(), r.site+"/") {
		return fmt.Sprintf("redirected to %s, on the site itself, not to the provider", loc), fix0
	}
	q := loc.Query()
	want := map[string]string{"response_type": "code", "code_challenge_method": "S256", "redirect_uri": r.site + oidcCallbackPath}
	for k, v := range want {
		if q.Get(k) != v {
			return fmt.Sprintf("the sign-in redirect to %s has %s=%q, want %q", loc.Host, k, q.Get(k), v),
				"the site's sign-in function is not OpenDash's authorization code flow with PKCE: " + fix0
		}
	}
	for _, k := range []string{"client_id", "code_challenge", "state", "nonce"} {
		if q.Get(k) == "" {
			return fmt.Sprintf("the sign-in redirect to %s has no %s", loc.Host, k), fix0
		}
	}
	name := oidcFlowCookie
	if strings.HasPrefix(r.site, "https://") {
		name = "__Host-" + oidcFlowCookie
	}
	for _, line := range a.header.Values("Set-Cookie") {
		ck, err := http.ParseSetCookie(line)
		if err != nil || ck.Name != name {
			continue
		}
		if !ck.HttpOnly || ck.Path != "/" || (strings.HasPrefix(r.site, "https://") && !ck.Secure) {
			return fmt.Sprintf("the sign-in's cookie %s is not HttpOnly, Secure and Path=/ (%q)", name, line),
				"redeploy with auth.oidc: its function sets the cookie so"
		}
		return "", ""
	}
	return fmt.Sprintf("the sign-in redirect sets no %s cookie: the callback could not check its state", name),
		"redeploy with auth.oidc; check that no response headers policy drops Set-Cookie"
}

// checkCallbackEndpoint: the callback with no sign-in under way is refused by the sign-in function (401),
// not answered by the bucket (which holds /_opendash/* files) or the app.
func (r *runner) checkCallbackEndpoint(ctx context.Context) (Check, error) {
	path := oidcCallbackPath + "?code=opendash-verify&state=opendash-verify"
	c := Check{Kind: KindSignIn, Method: http.MethodGet, URL: path, Detail: "a callback no sign-in started"}
	a, err := r.f.fetch(ctx, http.MethodGet, r.site+oidcCallbackPath+"?code=opendash-verify&state=opendash-verify", nil,
		http.Header{"Accept": {acceptNavigation}})
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	if a.status != http.StatusUnauthorized {
		problem, fix := diagnose(a)
		return fail(c, fmt.Sprintf("answered %d, want 401 from the sign-in function (a callback it did not start "+
			"is refused): %s", a.status, problem), "the sign-in function must run on the /_opendash/* behavior: "+
			"redeploy with auth.oidc; "+fix), nil
	}
	c.OK = true
	return c, nil
}

// checkSignOutPage: GET /_opendash-sign-out shows the page whose button signs out (a GET signs nobody out).
func (r *runner) checkSignOutPage(ctx context.Context) (Check, error) {
	c := Check{Kind: KindSignIn, Method: http.MethodGet, URL: oidcSignOutPath, Detail: "the sign-out page"}
	a, err := r.f.fetch(ctx, http.MethodGet, r.site+oidcSignOutPath, nil, http.Header{"Accept": {acceptNavigation}})
	if err != nil {
		return c, r.siteError(oidcSignOutPath, err)
	}
	c.Status = a.status
	page := strings.ToLower(string(a.body))
	if a.status != http.StatusOK || !strings.Contains(page, `method="post"`) || !strings.Contains(page, `action="`+oidcSignOutPath+`"`) {
		problem, fix := diagnose(a)
		return fail(c, fmt.Sprintf("answered %d without the sign-out page (a form that POSTs to %s): %s", a.status,
			oidcSignOutPath, problem), "the sign-in function must run on every behavior: redeploy with auth.oidc; "+fix), nil
	}
	c.OK = true
	return c, nil
}

// checkForeignSignOut: a sign-out POSTed from another site is refused (403), so no page elsewhere can sign
// a visitor out. It carries no session: nobody is signed out either way.
func (r *runner) checkForeignSignOut(ctx context.Context) (Check, error) {
	const origin = "https://opendash-verify.invalid"
	c := Check{Kind: KindSignIn, Method: http.MethodPost, URL: oidcSignOutPath, Detail: "sign-out from " + origin}
	a, err := r.f.fetch(ctx, http.MethodPost, r.site+oidcSignOutPath, []byte{},
		http.Header{"Origin": {origin}, "Content-Type": {"application/x-www-form-urlencoded"}})
	if err != nil {
		return c, r.siteError(oidcSignOutPath, err)
	}
	c.Status = a.status
	if a.status != http.StatusForbidden || denied(a) {
		problem, _ := diagnose(a)
		return fail(c, fmt.Sprintf("a sign-out POSTed from another site answered %d, want 403: %s", a.status, problem),
			"the sign-in function must run on the "+oidcSignOutPath+" behavior: redeploy with auth.oidc"), nil
	}
	c.OK = true
	return c, nil
}

func hostOf(raw string) string {
	if u, err := url.Parse(raw); err == nil && u.Host != "" {
		return u.Host
	}
	return raw
}
