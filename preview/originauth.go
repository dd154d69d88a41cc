package preview

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"

	"github.com/opendash/opendash/component/edgesigner"
)

// Origin auth modes, as the component's originAuth argument: how CloudFront authenticates to the function URL,
// which decides how large a body may be and what the viewer must send with it.
const (
	OriginAuthEdge = "edge" // a Lambda@Edge signer: bodies up to MaxViewerBody
	OriginAuthOAC  = "oac"  // CloudFront origin access control: bodies up to Lambda's MaxPayload, hashed by the viewer
)

// ContentSHA256Header carries the hex SHA-256 of the body. Behind OAC, Lambda refuses a POST, PUT or PATCH
// whose header is missing or does not match (CloudFront signs the request but does not hash the body).
const ContentSHA256Header = "X-Amz-Content-Sha256"

// What Lambda answers a request whose payload hash does not verify (InvalidSignatureException).
const invalidSignatureJSON = `{"message":"The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}`

// oacBodyTooLarge is the 413 text for a request over Lambda's invocation limit in oac mode.
const oacBodyTooLarge = "Request body too large: Lambda accepts at most 6 MB per request, the body base64-encoded when " +
	"binary and the request's headers included (originAuth \"oac\").\n"

// checkOriginAuth validates mode ("" means edge) and returns it.
func checkOriginAuth(mode string) (string, error) {
	switch mode {
	case "":
		return OriginAuthEdge, nil
	case OriginAuthEdge, OriginAuthOAC:
		return mode, nil
	}
	return "", fmt.Errorf("origin auth %q is not a mode the component deploys; use %q (Lambda@Edge signer, bodies up "+
		"to 1 MB) or %q (CloudFront origin access control, bodies up to 6 MB)", mode, OriginAuthEdge, OriginAuthOAC)
}

// bodyLimit is the largest body the deployed path lets reach the function in this mode.
func (s *Server) bodyLimit() int64 {
	if s.originAuth == OriginAuthOAC {
		return MaxPayload
	}
	return MaxViewerBody
}

// tooLarge answers a body over the mode's limit with the words the deployed path uses and returns the origin to
// log: the edge signer, or (oac) Lambda.
func (s *Server) tooLarge(w http.ResponseWriter, r *http.Request) string {
	text, origin, why := edgesigner.BodyTooLarge, "edge",
		`the edge signer refuses it (Lambda@Edge truncates larger bodies); originAuth "oac" allows up to 6 MB`
	if s.originAuth == OriginAuthOAC {
		text, origin, why = oacBodyTooLarge, "server", `Lambda refuses it (originAuth "oac"; its invocation limit is 6 MB)`
	}
	s.log.Printf("error: %s %s: the request body is over %d bytes; deployed, %s", r.Method, r.URL.Path, s.bodyLimit(), why)
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	fmt.Fprint(w, text)
	return origin
}

// refusedUnsignedPayload answers, in oac mode, a POST, PUT or PATCH with a body whose x-amz-content-sha256 is
// missing or wrong, as Lambda does (403), and reports whether it did.
func (s *Server) refusedUnsignedPayload(w http.ResponseWriter, r *http.Request, body []byte) bool {
	if s.originAuth != OriginAuthOAC || len(body) == 0 {
		return false
	}
	switch r.Method {
	case http.MethodPost, http.MethodPut, http.MethodPatch:
	default:
		return false
	}
	sum := sha256.Sum256(body)
	got := r.Header.Get(ContentSHA256Header)
	if strings.EqualFold(got, hex.EncodeToString(sum[:])) {
		return false
	}
	why := "no " + ContentSHA256Header + " header"
	if got != "" {
		why = ContentSHA256Header + " does not match the body's SHA-256"
	}
	s.log.Printf("error: %s %s: %s; behind CloudFront origin access control (originAuth \"oac\") Lambda refuses it "+
		"with 403. Pages of the app send it through the bundle's body-hash script; other clients must send the "+
		"hex SHA-256 of the body themselves", r.Method, r.URL.Path, why)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", "InvalidSignatureException")
	w.WriteHeader(http.StatusForbidden)
	fmt.Fprint(w, invalidSignatureJSON)
	return true
}
