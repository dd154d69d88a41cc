package preview

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	"github.com/opendash/opendash/component/edgeoidc"
	"github.com/opendash/opendash/edgeauth"
	"github.com/opendash/opendash/edgeauth/jsrun"
	"github.com/opendash/opendash/manifest"
)

// Credential is one user of the preview's basic auth (Options.BasicAuth).
type Credential struct {
	User, Password string
}

// ParseCredential reads USER:PASSWORD (split at the first ':', as Basic auth splits it).
func ParseCredential(s string) (Credential, error) {
	user, password, ok := strings.Cut(s, ":")
	if !ok {
		return Credential{}, fmt.Errorf("basic auth: want USER:PASSWORD, found no ':'")
	}
	if err := edgeauth.CheckCredential(user, password); err != nil {
		return Credential{}, fmt.Errorf("basic auth: %w", err)
	}
	return Credential{User: user, Password: password}, nil
}

// viewerCheck runs at viewer request before the request reaches its origin, as the deployed site's
// auth does: basic auth (*viewerAuth) or OIDC sign-in (*oidcEdge).
type viewerCheck interface {
	// viewerRequest runs the function: nil when it answered the viewer itself (the request stops there),
	// else the request as the function passes it on (its headers as the function left them).
	viewerRequest(w http.ResponseWriter, r *http.Request, origin string, log *logger) *http.Request
	close()
}

// identityEnv is the server function's IdentityHeadersEnv setting: "oidc" with OIDC sign-in, as the
// component sets it, else empty (overriding one in the user's environment, as the component does).
func identityEnv(o Options) string {
	if o.OIDC != nil {
		return edgeoidc.IdentityHeadersEnv + "=oidc"
	}
	return edgeoidc.IdentityHeadersEnv + "="
}

// viewerFunctionRan marks a request a viewer-request function passed on: its X-Forwarded-Authorization and
// identity headers are the function's, and newEvent keeps them as they are.
type viewerFunctionRan struct{}

// passedOn is r as a viewer-request function passed it on, with headers (lower-case names) in place of
// r's: values the function left unchanged keep r's form (several lines), changed ones are set.
func passedOn(r *http.Request, headers http.Header) *http.Request {
	next := r.Clone(context.WithValue(r.Context(), viewerFunctionRan{}, true))
	next.Header = http.Header{}
	for name, values := range headers {
		if name == "host" {
			continue // the preview keeps the viewer's Host in r.Host, as CloudFront does
		}
		canonical := http.CanonicalHeaderKey(name)
		if before := r.Header.Values(canonical); strings.Join(before, ",") == strings.Join(values, ",") {
			values = before
		}
		next.Header[canonical] = values
	}
	return next
}

var (
	_ viewerCheck = (*viewerAuth)(nil)
	_ viewerCheck = (*oidcEdge)(nil)
)

// newViewerCheck starts what o asks for; nil without auth.
func newViewerCheck(o Options, log *logger) (viewerCheck, error) {
	switch {
	case len(o.BasicAuth) > 0 && o.OIDC != nil:
		return nil, fmt.Errorf("basic auth and OIDC are both set; choose one, as a site's auth has one kind")
	case o.OIDC != nil:
		return startOIDC(*o.OIDC, log)
	case len(o.BasicAuth) > 0:
		return newViewerAuth(o.BasicAuth)
	}
	return nil, nil
}

// viewerAuth runs the deployed sites' viewer-request CloudFront Function code, one variant per kind of
// behavior as the component deploys them, over a KeyValueStore filled with the same salted hashes.
type viewerAuth struct {
	server, static *jsrun.Function
}

// previewStore stands for the KeyValueStore's ARN in the password salts: any fixed value checks the same way.
const previewStore = "preview"

func newViewerAuth(creds []Credential) (*viewerAuth, error) {
	store := map[string]string{}
	for _, c := range creds {
		if err := edgeauth.CheckCredential(c.User, c.Password); err != nil {
			return nil, fmt.Errorf("basic auth: %w", err)
		}
		store[c.User] = edgeauth.Hash(edgeauth.Salt(previewStore, c.User), c.Password)
	}
	v := &viewerAuth{}
	var err error
	if v.server, err = jsrun.Load(edgeauth.Source(edgeauth.Config{ForwardHost: true, Basic: true}), store); err != nil {
		return nil, fmt.Errorf("loading the viewer-request function: %w", err)
	}
	if v.static, err = jsrun.Load(edgeauth.Source(edgeauth.Config{Basic: true}), store); err != nil {
		return nil, fmt.Errorf("loading the viewer-request function: %w", err)
	}
	return v, nil
}

func (v *viewerAuth) close() {}

// viewerRequest runs the behavior's viewer-request function: it answers the viewer itself with a 401 without
// valid credentials, or 503 when the code fails, as CloudFront answers a failing function.
func (v *viewerAuth) viewerRequest(w http.ResponseWriter, r *http.Request, origin string, log *logger) *http.Request {
	fn := v.server
	if origin == manifest.OriginS3 {
		fn = v.static
	}
	headers := map[string]string{"host": r.Host}
	for name, values := range r.Header {
		headers[strings.ToLower(name)] = strings.Join(values, ",")
	}
	res, err := fn.Run(jsrun.Request{Method: r.Method, URI: r.URL.Path, Headers: headers})
	if err != nil {
		log.Printf("error: %s %s: the viewer-request function failed: %v; CloudFront answers 503", r.Method, r.URL.Path, err)
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
		return nil
	}
	if res.Response == nil {
		passed := http.Header{}
		for name, value := range res.Request.Headers {
			passed[name] = []string{value}
		}
		return passedOn(r, passed)
	}
	for name, value := range res.Response.Headers {
		w.Header().Set(name, value)
	}
	w.WriteHeader(res.Response.Status)
	return nil
}
