package verify

import (
	"bytes"
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/opendash/opendash/manifest"
)

// unknownPage is a path no app defines: Dash's catch-all route answers it with the index page.
const unknownPage = "opendash-verify/no-such-page"

// plan lists every check, in report order within each kind.
func (r *runner) plan() []task {
	var tasks []task
	index, hasIndex := r.indexFile()
	for _, f := range r.m.Files {
		if r.m.Route("/"+f.Key).Origin != manifest.OriginS3 {
			continue // a file no behavior sends to S3 is not served from it (the bundler drops those)
		}
		kind := KindStatic
		if isPage(f) {
			kind = KindPage
		}
		tasks = append(tasks, task{kind, func(ctx context.Context) (Check, error) {
			return r.checkFile(ctx, kind, "/"+f.Key, f, index)
		}})
	}
	if hasIndex && r.prefix() == "/" {
		// "/" is CloudFront's default root object, index.html.
		tasks = append(tasks, task{KindPage, func(ctx context.Context) (Check, error) {
			return r.checkFile(ctx, KindPage, "/", index, index)
		}})
	}

	tasks = append(tasks, task{KindRouting, r.checkUnknownPath})
	for _, route := range r.m.ServerRoutes {
		if p, ok := exampleGET(route); ok {
			tasks = append(tasks, task{KindRouting, func(ctx context.Context) (Check, error) {
				return r.checkServerRoute(ctx, route, p)
			}})
		}
	}
	if hasIndex {
		tasks = append(tasks, task{KindRouting, func(ctx context.Context) (Check, error) {
			return r.checkPostRefused(ctx, "/"+index.Key)
		}})
	}
	tasks = append(tasks, task{KindCallback, r.checkCallback})
	return append(tasks, r.closedTasks(index, hasIndex)...)
}

// indexFile is the site's index page: what the browser gets at the app's prefix.
func (r *runner) indexFile() (manifest.File, bool) {
	if r.prefix() == "/" {
		return r.m.FileForKey("index.html")
	}
	return r.m.FileForKey(strings.TrimPrefix(r.prefix(), "/"))
}

// isPage reports whether f is an index page stored under a folder (Dash Pages deep links, a prefixed root).
func isPage(f manifest.File) bool {
	return f.Key != f.Path && strings.HasSuffix(f.Path, "index.html")
}

// checkFile GETs path as a browser would and compares the answer with the manifest's file f. index is the
// site's index page, to recognise a file answered by Dash's catch-all instead of S3.
func (r *runner) checkFile(ctx context.Context, kind, path string, f, index manifest.File) (Check, error) {
	c := Check{Kind: kind, Method: http.MethodGet, URL: path, Key: f.Key}
	a, err := r.f.fetch(ctx, http.MethodGet, r.site+escape(path), nil, nil)
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	if a.status != http.StatusOK {
		if denied(a) {
			return fail(c, "missing: the site answers 403 AccessDenied, as the bucket does for a key it does not hold",
				"the upload is incomplete or the bundle is newer than the deploy: run `pulumi up` with this bundle"), nil
		}
		problem, fix := diagnose(a)
		return fail(c, problem, fix), nil
	}
	if a.decodeErr != nil {
		return fail(c, a.decodeErr.Error(), "check the distribution's compression settings and what the origin stores"), nil
	}
	var problems, fixes []string
	if got := a.header.Get("Content-Type"); !sameMediaType(got, f.ContentType) {
		problems = append(problems, fmt.Sprintf("Content-Type is %q, the bundle says %q", got, f.ContentType))
		fixes = append(fixes, "the object was stored with another content type: re-upload it with the manifest's (run `pulumi up`)")
	}
	if got := a.header.Get("Cache-Control"); normalize(got) != normalize(f.CacheControl) {
		problems = append(problems, fmt.Sprintf("Cache-Control is %q, the bundle says %q", got, f.CacheControl))
		fixes = append(fixes, "the object's Cache-Control metadata differs, or a response headers policy overrides it: re-upload with the manifest's headers")
	}
	want, template, err := r.served(f)
	if err != nil {
		return c, err
	}
	if a.sha256 != want && f.SiteOrigin {
		// The page names the site's origin: another one than this URL's is fine (the CloudFront domain of a site
		// with a custom domain), the placeholder or anything else is not.
		if origin, ok := manifest.OriginIn(template, a.body); ok {
			want, c.Detail = a.sha256, "names the site as "+origin
		}
	}
	if a.sha256 != want {
		indexSHA, _, err := r.served(index)
		if err != nil {
			return c, err
		}
		switch {
		case f.SiteOrigin && bytes.Contains(a.body, []byte(manifest.PlaceholderHost)):
			problems = append(problems, "the page still names the placeholder origin "+manifest.OriginPlaceholder+" where the site's belongs")
			fixes = append(fixes, "it was uploaded without the site's origin (the DashSite component's sync puts it in): deploy it with `pulumi up`")
		case path != "/" && f.Key != index.Key && a.sha256 == indexSHA:
			problems = append(problems, "answered with the index page, not the file: the request went to the server function (Dash answers unknown paths with its index)")
			fixes = append(fixes, "the distribution lacks the behavior that sends this path to S3: deploy the bundle's behaviors (run `pulumi up`)")
		default:
			problems = append(problems, fmt.Sprintf("content differs from the bundle (sha256 %s, the bundle's %s)", short(a.sha256), short(want)))
			fixes = append(fixes, fmt.Sprintf("the upload is stale or a cache holds an old copy; invalidate the path (aws cloudfront create-invalidation --distribution-id <id> --paths %s) or run `pulumi up` with this bundle", path))
		}
	}
	if len(problems) > 0 {
		return fail(c, strings.Join(problems, "; "), strings.Join(fixes, "; ")), nil
	}
	c.OK = true
	return c, nil
}

// served is the SHA-256 the site must answer for f: the manifest's, or for a page that names the site's origin
// (manifest.File.SiteOrigin) that of its bytes with this site's origin in; template is such a page's bytes.
func (r *runner) served(f manifest.File) (sha string, template []byte, err error) {
	if !f.SiteOrigin {
		return f.SHA256, nil, nil
	}
	template, err = os.ReadFile(filepath.Join(r.o.Dir, filepath.FromSlash(r.m.Origins.S3.Dir), filepath.FromSlash(f.Path)))
	if err != nil {
		return "", nil, fmt.Errorf("%w; the bundle is incomplete, re-run `open-dash bundle`", err)
	}
	u, err := url.Parse(r.site)
	if err != nil {
		return "", nil, err
	}
	return manifest.SHA256WithOrigin(template, u.Scheme+"://"+u.Host), template, nil
}

// checkUnknownPath expects Dash's own answer to a path nobody defined: the index page, from the server.
func (r *runner) checkUnknownPath(ctx context.Context) (Check, error) {
	path := r.prefix() + unknownPage
	c := Check{Kind: KindRouting, Method: http.MethodGet, URL: path}
	a, err := r.f.fetch(ctx, http.MethodGet, r.site+escape(path), nil, nil)
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	if problem, fix := notFromServer(a); problem != "" {
		return fail(c, problem, fix), nil
	}
	if a.status == http.StatusUnauthorized {
		problem, fix := diagnose(a)
		return fail(c, problem, fix), nil
	}
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") {
		return fail(c, fmt.Sprintf("answered %d %s, not Dash's index page (Dash answers unknown paths with it)", a.status, a.header.Get("Content-Type")),
			"the default behavior (*) must reach the server function; check the app's own catch-all routes and the server function's logs"), nil
	}
	c.OK = true
	return c, nil
}

// checkServerRoute expects a route the app declared to be answered by the server function.
func (r *runner) checkServerRoute(ctx context.Context, route manifest.ServerRoute, path string) (Check, error) {
	c := Check{Kind: KindRouting, Method: http.MethodGet, URL: path}
	a, err := r.f.fetch(ctx, http.MethodGet, r.site+escape(path), nil, nil)
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	if problem, fix := notFromServer(a); problem != "" {
		return fail(c, fmt.Sprintf("%s route %s: %s", route.Kind, route.Path, problem), fix), nil
	}
	c.OK = true
	return c, nil
}

// checkPostRefused expects CloudFront to refuse a POST to a static path (its behavior allows GET and HEAD).
func (r *runner) checkPostRefused(ctx context.Context, path string) (Check, error) {
	c := Check{Kind: KindRouting, Method: http.MethodPost, URL: path}
	a, err := r.f.fetch(ctx, http.MethodPost, r.site+escape(path), []byte("{}"),
		http.Header{"Content-Type": {"application/json"}})
	if err != nil {
		return c, r.siteError(path, err)
	}
	c.Status = a.status
	// 401 is a refusal too: a sign-in check at the edge may answer before CloudFront's method check.
	if a.status != http.StatusForbidden && a.status != http.StatusMethodNotAllowed && a.status != http.StatusUnauthorized {
		return fail(c, fmt.Sprintf("a POST to a static path answered %d instead of being refused (403)", a.status),
			"the behavior for this path must allow only GET and HEAD, as the manifest says: deploy the bundle's behaviors"), nil
	}
	c.OK = true
	return c, nil
}

// flaskVariable matches a Flask rule's variable, "<int:id>" or "<name>".
var flaskVariable = regexp.MustCompile(`<(?:([a-z]+):)?[^>]*>`)

// exampleGET turns a server route the browser can GET into a concrete path: variables get a value of their
// converter's type. Callbacks (POST, checked by the round trip) and the not-found route (checked with an
// unknown path) are left out.
func exampleGET(route manifest.ServerRoute) (string, bool) {
	switch route.Kind {
	case manifest.RouteCallback, manifest.RouteNotFound:
		return "", false
	}
	if len(route.Methods) > 0 && !contains(route.Methods, http.MethodGet) || !strings.HasPrefix(route.Path, "/") {
		return "", false
	}
	return flaskVariable.ReplaceAllStringFunc(route.Path, func(v string) string {
		switch flaskVariable.FindStringSubmatch(v)[1] {
		case "int":
			return "1"
		case "float":
			return "1.0"
		case "uuid":
			return "00000000-0000-0000-0000-000000000000"
		default:
			return "opendash-verify"
		}
	}), true
}

// notFromServer explains an answer that did not come from the app (empty when it did): the bucket, the
// function URL refusing the signer, CloudFront or Lambda failing, or the app failing to start.
func notFromServer(a *answer) (problem, fix string) {
	if denied(a) {
		return "answered by S3 (403 AccessDenied), not by the server function",
			"the distribution's default behavior (*) and server routes must go to the server function's origin: deploy the bundle's behaviors"
	}
	if a.status == http.StatusForbidden || a.status == http.StatusRequestEntityTooLarge || a.status >= 500 {
		return diagnose(a)
	}
	return "", ""
}

// diagnose explains an unexpected status.
func diagnose(a *answer) (problem, fix string) {
	body := snippet(a.body)
	switch {
	case a.status == http.StatusUnauthorized:
		if a.header.Get("WWW-Authenticate") == "" {
			return "answered 401 without WWW-Authenticate: the site asks visitors to sign in (OpenID Connect at the edge?)",
				"for a site behind auth.oidc pass --oidc, which runs the checks that need no sign-in; for an app that " +
					"checks its own credentials pass --basic-auth USER:PASSWORD"
		}
		return fmt.Sprintf("answered 401: the site asks for credentials (WWW-Authenticate: %q)", a.header.Get("WWW-Authenticate")),
			"pass --basic-auth USER:PASSWORD (a site behind auth.basic, or an app that checks its own); for a site " +
				"behind auth.oidc pass --oidc"
	case a.status == http.StatusForbidden && strings.Contains(body, "Forbidden") && strings.Contains(strings.ToLower(a.header.Get("Content-Type")), "json"):
		return "the server function's URL refused the request (403 Forbidden): the edge signer did not sign it, or its role may not invoke the function",
			"check the Lambda@Edge signer's logs (/aws/lambda/us-east-1.<name>, in the region nearest you) and that its role allows lambda:InvokeFunctionUrl and lambda:InvokeFunction on the server function"
	case a.status == http.StatusForbidden:
		return "answered 403: " + body, "check which behavior matches this path and whether a WAF or the edge function refuses it"
	case strings.Contains(body, "failed to start"):
		return fmt.Sprintf("the server function answers %d: the app failed to start (%s)", a.status, body),
			"its Python lacks a requirement (Dash?) or create_app() raised: " + logsHint(a)
	case a.status == http.StatusBadGateway:
		return "answered 502: the server function crashed, timed out starting or returned an invalid response",
			logsHint(a)
	case a.status == http.StatusServiceUnavailable:
		return "answered 503: the server function is throttled or CloudFront cannot reach it", "check the function's concurrency limits and the distribution's origin"
	case a.status == http.StatusGatewayTimeout:
		return "answered 504: the server function did not answer within the origin timeout", logsHint(a) + "; raise its memory or timeout"
	case a.status >= 500:
		return fmt.Sprintf("answered %d: %s", a.status, body), logsHint(a)
	case a.status >= 300 && a.status < 400 && strings.Contains(a.header.Get("Location"), url.QueryEscape(oidcCallbackPath)):
		return fmt.Sprintf("answered %d, sending the visitor to sign in at %s", a.status, hostOf(a.header.Get("Location"))),
			"the site is behind auth.oidc: pass --oidc, which runs the checks that need no sign-in"
	case a.status >= 300 && a.status < 400:
		return fmt.Sprintf("answered %d, redirecting to %s", a.status, a.header.Get("Location")), "static files and pages must be answered directly; check the distribution's functions"
	default:
		return fmt.Sprintf("answered %d: %s", a.status, body), "check the distribution's behaviors against the bundle's manifest"
	}
}

// PreviewVia is the Via header `open-dash preview` adds to its answers, as CloudFront adds its own: verify
// then points at the preview's log rather than at CloudWatch.
const PreviewVia = "1.1 open-dash-preview"

// logsHint says where the server function's log is: the preview's output, or CloudWatch Logs.
func logsHint(a *answer) string {
	if strings.Contains(a.header.Get("Via"), PreviewVia) {
		return "read the preview's log (where `open-dash preview` runs: the [server stderr] lines hold the traceback)"
	}
	return "read the server function's logs (aws logs tail /aws/lambda/<serverFunctionName>)"
}

// denied reports S3's answer for a key a private bucket does not hold (or a request it does not allow).
func denied(a *answer) bool {
	return a.status == http.StatusForbidden &&
		(strings.Contains(string(a.body), "<Code>AccessDenied</Code>") || a.header.Get("Server") == "AmazonS3")
}

func fail(c Check, problem, fix string) Check {
	c.OK, c.Problem, c.Fix = false, problem, fix
	return c
}

// sameMediaType compares Content-Type values the way browsers read them: type and parameters, any case.
func sameMediaType(got, want string) bool {
	gt, gp, err1 := mime.ParseMediaType(got)
	wt, wp, err2 := mime.ParseMediaType(want)
	if err1 != nil || err2 != nil {
		return normalize(got) == normalize(want)
	}
	if gt != wt || len(gp) != len(wp) {
		return false
	}
	for k, v := range wp {
		if !strings.EqualFold(gp[k], v) {
			return false
		}
	}
	return true
}

// normalize drops spaces and case: "public, max-age=0" equals "public,max-age=0".
func normalize(s string) string {
	return strings.ToLower(strings.ReplaceAll(s, " ", ""))
}

func short(sum string) string {
	if len(sum) > 12 {
		return sum[:12] + "…"
	}
	return sum
}

// snippet is the start of a body on one line, for messages.
func snippet(body []byte) string {
	s := strings.Join(strings.Fields(string(body[:min(len(body), 300)])), " ")
	if len(body) > 300 {
		s += "…"
	}
	if s == "" {
		s = "(empty body)"
	}
	return s
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}
