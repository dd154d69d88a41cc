package preview

import (
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestNewEvent(t *testing.T) {
	now := time.Date(2026, 3, 12, 19, 3, 58, 390_000_000, time.UTC)
	binary := []byte{0x00, 0xff, 0x10, 'P', 'N', 'G'}
	tests := []struct {
		name        string
		method      string
		target      string
		headers     [][2]string // in order; repeated names allowed
		body        []byte
		wantPath    string
		wantQuery   string
		wantParams  map[string]string
		wantCookies []string
		wantHeaders map[string]string // a subset of the event's headers; "" means must be absent
		wantBody    string
		wantBase64  bool
	}{
		{
			name: "cookies split out of Cookie", method: "GET", target: "/page",
			headers:     [][2]string{{"Cookie", "a=1; b=2"}, {"Cookie", "c=3;;"}},
			wantPath:    "/page",
			wantCookies: []string{"a=1", "b=2", "c=3"},
			wantHeaders: map[string]string{"cookie": ""},
		},
		{
			name: "repeated query keys", method: "GET", target: "/report/7?a=1&a=2&b=x%20y&flag&c=%zz",
			wantPath:   "/report/7",
			wantQuery:  "a=1&a=2&b=x%20y&flag&c=%zz",
			wantParams: map[string]string{"a": "1,2", "b": "x y", "flag": "", "c": "%zz"},
		},
		{
			name: "multi-value headers lower-cased and comma-joined", method: "GET", target: "/",
			headers:     [][2]string{{"Accept-Language", "en"}, {"accept-language", "fr"}, {"X-Custom", "v"}, {"Connection", "keep-alive"}},
			wantPath:    "/",
			wantHeaders: map[string]string{"accept-language": "en,fr", "x-custom": "v", "connection": ""},
		},
		{
			name: "viewer host forwarded like the edge signer does", method: "GET", target: "http://dash.example.test:8080/x",
			headers:  [][2]string{{"X-Forwarded-For", "203.0.113.9"}},
			wantPath: "/x",
			wantHeaders: map[string]string{
				"host": FunctionURLDomain, "x-forwarded-host": "dash.example.test:8080", "x-forwarded-proto": "http",
				"x-forwarded-port": "8080", "x-forwarded-for": "203.0.113.9, 192.0.2.1",
			},
		},
		{
			name: "binary body is base64", method: "POST", target: "/upload",
			headers:  [][2]string{{"Content-Type", "application/octet-stream"}},
			body:     binary,
			wantPath: "/upload", wantBody: base64.StdEncoding.EncodeToString(binary), wantBase64: true,
		},
		{
			name: "form post is base64 as on AWS", method: "POST", target: "/login",
			headers:  [][2]string{{"Content-Type", "application/x-www-form-urlencoded"}},
			body:     []byte("user=a&pw=b"),
			wantPath: "/login", wantBody: base64.StdEncoding.EncodeToString([]byte("user=a&pw=b")), wantBase64: true,
		},
		{
			name: "no content type is base64", method: "PUT", target: "/x",
			body:     []byte("plain"),
			wantPath: "/x", wantBody: "cGxhaW4=", wantBase64: true,
		},
		{
			name: "json callback body is text", method: "POST", target: "/_dash-update-component",
			headers:  [][2]string{{"Content-Type", "application/json; charset=utf-8"}},
			body:     []byte(`{"output":"x.children","inputs":[{"value":"é"}]}`),
			wantPath: "/_dash-update-component", wantBody: `{"output":"x.children","inputs":[{"value":"é"}]}`,
		},
		{
			name: "text type with invalid UTF-8 is base64", method: "POST", target: "/x",
			headers:  [][2]string{{"Content-Type", "text/plain"}},
			body:     []byte{'a', 0xff},
			wantPath: "/x", wantBody: "Yf8=", wantBase64: true,
		},
		{
			name: "encoded path kept as sent", method: "GET", target: "/files/a%2Fb%20c",
			wantPath: "/files/a%2Fb%20c",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body *strings.Reader
			body = strings.NewReader(string(tt.body))
			r := httptest.NewRequest(tt.method, tt.target, body)
			r.Header.Set("User-Agent", "test-agent")
			for _, h := range tt.headers {
				r.Header.Add(h[0], h[1])
			}
			e := newEvent(r, tt.body, eventMeta{requestID: "req-1", now: now})

			if e.Version != "2.0" || e.RouteKey != "$default" || e.RequestContext.RouteKey != "$default" || e.RequestContext.Stage != "$default" {
				t.Errorf("version/routeKey/stage = %q/%q/%q/%q", e.Version, e.RouteKey, e.RequestContext.RouteKey, e.RequestContext.Stage)
			}
			if e.RawPath != tt.wantPath || e.RequestContext.HTTP.Path != tt.wantPath {
				t.Errorf("rawPath = %q, http.path = %q, want %q", e.RawPath, e.RequestContext.HTTP.Path, tt.wantPath)
			}
			if e.RawQueryString != tt.wantQuery {
				t.Errorf("rawQueryString = %q, want %q", e.RawQueryString, tt.wantQuery)
			}
			if !reflect.DeepEqual(e.QueryStringParameters, tt.wantParams) {
				t.Errorf("queryStringParameters = %v, want %v", e.QueryStringParameters, tt.wantParams)
			}
			if !reflect.DeepEqual(e.Cookies, tt.wantCookies) {
				t.Errorf("cookies = %q, want %q", e.Cookies, tt.wantCookies)
			}
			for name, want := range tt.wantHeaders {
				got, ok := e.Headers[name]
				if want == "" && ok {
					t.Errorf("header %q = %q, want it absent", name, got)
				} else if want != "" && got != want {
					t.Errorf("header %q = %q, want %q", name, got, want)
				}
			}
			for name := range e.Headers {
				if name != strings.ToLower(name) {
					t.Errorf("header %q is not lower-case", name)
				}
			}
			if e.Body != tt.wantBody || e.IsBase64Encoded != tt.wantBase64 {
				t.Errorf("body = %q (base64 %v), want %q (base64 %v)", e.Body, e.IsBase64Encoded, tt.wantBody, tt.wantBase64)
			}
			rc := e.RequestContext
			if rc.HTTP.Method != tt.method || rc.HTTP.SourceIP != "192.0.2.1" || rc.HTTP.UserAgent != "test-agent" || rc.HTTP.Protocol != "HTTP/1.1" {
				t.Errorf("requestContext.http = %+v", rc.HTTP)
			}
			if rc.RequestID != "req-1" || rc.Time != "12/Mar/2026:19:03:58 +0000" || rc.TimeEpoch != 1773342238390 {
				t.Errorf("requestId/time/timeEpoch = %q/%q/%d", rc.RequestID, rc.Time, rc.TimeEpoch)
			}
			if rc.DomainName != FunctionURLDomain || rc.DomainPrefix != FunctionURLID {
				t.Errorf("domainName/domainPrefix = %q/%q", rc.DomainName, rc.DomainPrefix)
			}
		})
	}
}

// The JSON keys are the contract with the handler: pin the spelling of every field a handler reads.
func TestEventJSONKeys(t *testing.T) {
	r := httptest.NewRequest("POST", "/p?q=1", strings.NewReader("x"))
	r.Header.Set("Cookie", "a=1")
	r.Header.Set("Content-Type", "text/plain")
	data, err := json.Marshal(newEvent(r, []byte("x"), eventMeta{requestID: "id", now: time.Unix(0, 0)}))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"version":"2.0"`, `"routeKey":"$default"`, `"rawPath":"/p"`, `"rawQueryString":"q=1"`,
		`"cookies":["a=1"]`, `"queryStringParameters":{"q":"1"}`, `"body":"x"`, `"isBase64Encoded":false`,
		`"requestContext":{`, `"http":{"method":"POST","path":"/p","protocol":"HTTP/1.1","sourceIp":"192.0.2.1"`,
		`"domainName":`, `"requestId":"id"`, `"timeEpoch":0`, `"authorizer":{"iam":{`} {
		if !strings.Contains(string(data), key) {
			t.Errorf("event JSON lacks %s:\n%s", key, data)
		}
	}
	empty, _ := json.Marshal(newEvent(httptest.NewRequest("GET", "/", nil), nil, eventMeta{}))
	for _, key := range []string{`"body"`, `"cookies"`, `"queryStringParameters"`} {
		if strings.Contains(string(empty), key) {
			t.Errorf("a GET without body, cookies or query has %s; function URLs leave it out:\n%s", key, empty)
		}
	}
}

// TestEventAuthorization: as behind CloudFront, the viewer's Authorization reaches the function as
// x-forwarded-authorization and Authorization carries a signature; a viewer's own x-forwarded-authorization
// is never passed on.
func TestEventAuthorization(t *testing.T) {
	tests := []struct {
		name, auth, forged string
		want               string // x-forwarded-authorization; "" for none
	}{
		{"viewer credentials move", "Basic YWRtaW46czNjcmV0", "", "Basic YWRtaW46czNjcmV0"},
		{"none", "", "", ""},
		{"a forged header is dropped", "", "Basic Zm9yZ2Vk", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			if tt.auth != "" {
				r.Header.Set("Authorization", tt.auth)
			}
			if tt.forged != "" {
				r.Header.Set("X-Forwarded-Authorization", tt.forged)
			}
			e := newEvent(r, nil, eventMeta{requestID: "id", now: time.Unix(0, 0)})
			if got, ok := e.Headers["x-forwarded-authorization"]; got != tt.want || ok != (tt.want != "") {
				t.Errorf("x-forwarded-authorization = %q (present %v), want %q", got, ok, tt.want)
			}
			if e.Headers["authorization"] != previewSignature {
				t.Errorf("authorization = %q, want the stand-in signature", e.Headers["authorization"])
			}
		})
	}
}

// TestEventIdentityHeaders: a public site's viewer-request function deletes the identity headers a viewer
// sends; a request a sign-in function passed on keeps those it set (and its own X-Forwarded-Authorization).
func TestEventIdentityHeaders(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("X-OpenDash-User-Email", "boss@example.com")
	r.Header.Set("X-Opendash-Anything", "x")
	e := newEvent(r, nil, eventMeta{requestID: "id", now: time.Unix(0, 0)})
	for name := range e.Headers {
		if strings.HasPrefix(name, "x-opendash-") {
			t.Errorf("public site: the viewer's %s reached the function", name)
		}
	}
	signedIn := passedOn(r, http.Header{"x-opendash-user-email": {"alice@example.com"}, "authorization": {"Bearer t"}})
	e = newEvent(signedIn, nil, eventMeta{requestID: "id", now: time.Unix(0, 0)})
	if e.Headers["x-opendash-user-email"] != "alice@example.com" || e.Headers["x-opendash-anything"] != "" {
		t.Errorf("passed on by the sign-in function: headers %v", e.Headers)
	}
	if _, ok := e.Headers["x-forwarded-authorization"]; ok || e.Headers["authorization"] != previewSignature {
		t.Errorf("passed on by the sign-in function, the Authorization it did not forward moved: %v", e.Headers)
	}
}
