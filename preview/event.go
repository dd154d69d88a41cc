package preview

import (
	"encoding/base64"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/opendash/opendash/edgeauth"
)

// Event is a Lambda function URL request, payload format 2.0: what the server function's handler receives.
type Event struct {
	Version               string            `json:"version"`
	RouteKey              string            `json:"routeKey"`
	RawPath               string            `json:"rawPath"`
	RawQueryString        string            `json:"rawQueryString"`
	Cookies               []string          `json:"cookies,omitempty"`
	Headers               map[string]string `json:"headers"`
	QueryStringParameters map[string]string `json:"queryStringParameters,omitempty"`
	RequestContext        RequestContext    `json:"requestContext"`
	Body                  string            `json:"body,omitempty"`
	IsBase64Encoded       bool              `json:"isBase64Encoded"`
}

// RequestContext is the event's requestContext.
type RequestContext struct {
	AccountID    string      `json:"accountId"`
	APIID        string      `json:"apiId"`
	Authorizer   Authorizer  `json:"authorizer"`
	DomainName   string      `json:"domainName"`
	DomainPrefix string      `json:"domainPrefix"`
	HTTP         HTTPContext `json:"http"`
	RequestID    string      `json:"requestId"`
	RouteKey     string      `json:"routeKey"`
	Stage        string      `json:"stage"`
	Time         string      `json:"time"`
	TimeEpoch    int64       `json:"timeEpoch"`
}

// Authorizer is present because the deployed function URL uses AWS_IAM auth (the edge signer's role calls it).
type Authorizer struct {
	IAM IAMIdentity `json:"iam"`
}

// IAMIdentity is the caller as an AWS_IAM function URL reports it; in the preview, a placeholder.
type IAMIdentity struct {
	AccessKey string `json:"accessKey"`
	AccountID string `json:"accountId"`
	CallerID  string `json:"callerId"`
	UserArn   string `json:"userArn"`
	UserID    string `json:"userId"`
}

// HTTPContext is requestContext.http.
type HTTPContext struct {
	Method    string `json:"method"`
	Path      string `json:"path"`
	Protocol  string `json:"protocol"`
	SourceIP  string `json:"sourceIp"`
	UserAgent string `json:"userAgent"`
}

// Placeholders for what only a deployed function URL knows. The host is deliberately not the viewer's: on AWS
// the function sees its own URL's host and the viewer's only in x-forwarded-host, and the preview keeps that so
// an app that builds links from Host breaks here as it would there.
const (
	FunctionURLID     = "open-dash-preview"
	FunctionURLDomain = FunctionURLID + ".lambda-url.us-east-1.localhost"
	previewAccountID  = "000000000000"
	// previewSignature stands for the SigV4 Authorization header a function URL receives behind CloudFront.
	previewSignature = "AWS4-HMAC-SHA256 Credential=OPENDASHPREVIEW/20260101/us-east-1/lambda/aws4_request, " +
		"SignedHeaders=host;x-amz-date, Signature=0000000000000000000000000000000000000000000000000000000000000000"
)

// hopByHop headers never reach an origin: CloudFront drops them (and Go already consumed them).
var hopByHop = map[string]bool{
	"connection": true, "keep-alive": true, "proxy-connection": true, "proxy-authorization": true,
	"proxy-authenticate": true, "te": true, "trailer": true, "transfer-encoding": true, "upgrade": true,
	"expect": true,
}

// eventMeta is what newEvent needs besides the request: passed in so tests are deterministic.
type eventMeta struct {
	requestID string
	now       time.Time
}

// newEvent translates a viewer request into the event the function URL would deliver behind CloudFront and
// the edge signer: headers lower-cased and comma-joined, cookies split out of Cookie, the viewer Host moved to
// x-forwarded-host, the query string verbatim, and the body base64-encoded unless its content type is text.
func newEvent(r *http.Request, body []byte, m eventMeta) Event {
	headers := map[string]string{}
	var cookies []string
	for name, values := range r.Header {
		lower := strings.ToLower(name)
		switch {
		case hopByHop[lower]:
		case lower == "cookie":
			for _, v := range values {
				for _, c := range strings.Split(v, ";") {
					if c = strings.TrimSpace(c); c != "" {
						cookies = append(cookies, c)
					}
				}
			}
		default:
			headers[lower] = strings.Join(values, ",")
		}
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	sourceIP := r.RemoteAddr
	if host, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		sourceIP = host
	}
	headers["host"] = FunctionURLDomain
	headers["x-forwarded-host"] = r.Host // what the viewer-request function adds
	if r.Context().Value(viewerFunctionRan{}) == nil {
		// A public site's forwarded-host function, played here: the viewer's Authorization moves to
		// x-forwarded-authorization (the function URL gets AWS's signature), so an app reading its own
		// credentials from the wrong header breaks here as it would there; headers only the edge may set
		// (X-OpenDash-*) are deleted. With auth, the function that ran has done both its own way.
		delete(headers, "x-forwarded-authorization")
		if auth, ok := headers["authorization"]; ok {
			headers["x-forwarded-authorization"] = auth
		}
		for name := range headers {
			if strings.HasPrefix(name, edgeauth.IdentityHeaderPrefix) {
				delete(headers, name)
			}
		}
	}
	headers["authorization"] = previewSignature
	headers["x-forwarded-proto"] = scheme
	if _, port, err := net.SplitHostPort(r.Host); err == nil {
		headers["x-forwarded-port"] = port
	} else if scheme == "https" {
		headers["x-forwarded-port"] = "443"
	} else {
		headers["x-forwarded-port"] = "80"
	}
	if prev := headers["x-forwarded-for"]; prev != "" {
		headers["x-forwarded-for"] = prev + ", " + sourceIP
	} else {
		headers["x-forwarded-for"] = sourceIP
	}

	path := r.URL.EscapedPath()
	e := Event{
		Version:               "2.0",
		RouteKey:              "$default",
		RawPath:               path,
		RawQueryString:        r.URL.RawQuery,
		Cookies:               cookies,
		Headers:               headers,
		QueryStringParameters: queryParameters(r.URL.RawQuery),
		RequestContext: RequestContext{
			AccountID: previewAccountID,
			APIID:     FunctionURLID,
			Authorizer: Authorizer{IAM: IAMIdentity{
				AccessKey: "ASIAOPENDASHPREVIEW0",
				AccountID: previewAccountID,
				CallerID:  "AROAOPENDASHPREVIEW0:open-dash-edge-signer",
				UserArn:   "arn:aws:sts::" + previewAccountID + ":assumed-role/open-dash-preview/open-dash-edge-signer",
				UserID:    "AROAOPENDASHPREVIEW0:open-dash-edge-signer",
			}},
			DomainName:   FunctionURLDomain,
			DomainPrefix: FunctionURLID,
			HTTP: HTTPContext{
				Method: r.Method, Path: path, Protocol: r.Proto, SourceIP: sourceIP, UserAgent: r.UserAgent(),
			},
			RequestID: m.requestID,
			RouteKey:  "$default",
			Stage:     "$default",
			Time:      m.now.UTC().Format("02/Jan/2006:15:04:05 -0700"),
			TimeEpoch: m.now.UnixMilli(),
		},
	}
	if len(body) > 0 {
		if isTextBody(r.Header.Get("Content-Type"), body) {
			e.Body = string(body)
		} else {
			e.Body, e.IsBase64Encoded = base64.StdEncoding.EncodeToString(body), true
		}
	}
	return e
}

// queryParameters decodes the query string; repeated keys are comma-joined in order, as function URLs do.
func queryParameters(raw string) map[string]string {
	if raw == "" {
		return nil
	}
	params := map[string]string{}
	for _, pair := range strings.Split(raw, "&") {
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		k, v = unescapeQuery(k), unescapeQuery(v)
		if prev, ok := params[k]; ok {
			params[k] = prev + "," + v
		} else {
			params[k] = v
		}
	}
	return params
}

func unescapeQuery(s string) string {
	if u, err := url.QueryUnescape(s); err == nil {
		return u
	}
	return s // malformed escapes pass through as sent
}

// isTextBody says whether a request body travels as a plain string. Observed on API Gateway HTTP APIs, whose
// payload 2.0 function URLs share: only text/*, application/json, application/xml and application/javascript
// do; everything else, including form posts and a missing Content-Type, arrives base64-encoded. A body that
// is not valid UTF-8 cannot be a JSON string, so it is encoded whatever its type.
func isTextBody(contentType string, body []byte) bool {
	media, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		media, _, _ = strings.Cut(strings.ToLower(contentType), ";")
		media = strings.TrimSpace(media)
	}
	text := strings.HasPrefix(media, "text/") || media == "application/json" ||
		media == "application/xml" || media == "application/javascript"
	return text && utf8.Valid(body)
}
