package preview

import (
	"fmt"
	"net/http"
	"strings"

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
	// answered reports whether the check answered the viewer itself (the request stops there).
	answered(w http.ResponseWriter, r *http.Request, origin string, log *logger) bool
	close()
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

// previewSite stands for the component's name in the password salts: any fixed name checks the same way.
const previewSite = "preview"

func newViewerAuth(creds []Credential) (*viewerAuth, error) {
	store := map[string]string{}
	for _, c := range creds {
		if err := edgeauth.CheckCredential(c.User, c.Password); err != nil {
			return nil, fmt.Errorf("basic auth: %w", err)
		}
		store[c.User] = edgeauth.Hash(edgeauth.Salt(previewSite, c.User), c.Password)
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

// answered runs the behavior's viewer-request function and reports whether it answered the viewer itself
// (a 401 without valid credentials; 503 when the code fails, as CloudFront answers a failing function).
func (v *viewerAuth) close() {}

func (v *viewerAuth) answered(w http.ResponseWriter, r *http.Request, origin string, log *logger) bool {
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
		return true
	}
	if res.Response == nil {
		return false
	}
	for name, value := range res.Response.Headers {
		w.Header().Set(name, value)
	}
	w.WriteHeader(res.Response.Status)
	return true
}
