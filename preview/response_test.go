package preview

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
)

func TestDecodeResult(t *testing.T) {
	tests := []struct {
		name        string
		raw         string
		wantStatus  int
		wantHeaders http.Header // a subset; an empty slice means absent
		wantBody    string
		wantErr     string
	}{
		{
			name:       "structured with several cookies",
			raw:        `{"statusCode":201,"headers":{"Content-Type":"text/html","x-multi":"a,b"},"cookies":["a=1; Path=/","b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"],"body":"<p>hi</p>"}`,
			wantStatus: 201,
			wantHeaders: http.Header{
				"Content-Type": {"text/html"}, "X-Multi": {"a,b"},
				"Set-Cookie": {"a=1; Path=/", "b=2; Expires=Wed, 21 Oct 2015 07:28:00 GMT"},
			},
			wantBody: "<p>hi</p>",
		},
		{
			name:        "base64 body",
			raw:         `{"statusCode":200,"headers":{"content-type":"image/png"},"body":"AP8QUE5H","isBase64Encoded":true}`,
			wantStatus:  200,
			wantHeaders: http.Header{"Content-Type": {"image/png"}},
			wantBody:    "\x00\xff\x10PNG",
		},
		{
			name:       "error status passes through",
			raw:        `{"statusCode":404,"headers":{"content-type":"text/plain"},"body":"nope"}`,
			wantStatus: 404, wantBody: "nope",
		},
		{
			name:        "no content type: application/json",
			raw:         `{"statusCode":204}`,
			wantStatus:  204,
			wantHeaders: http.Header{"Content-Type": {"application/json"}},
		},
		{
			name:        "handler's content-length is not trusted",
			raw:         `{"statusCode":200,"headers":{"Content-Length":"999","content-type":"text/plain"},"body":"abc"}`,
			wantStatus:  200,
			wantHeaders: http.Header{"Content-Length": {}},
			wantBody:    "abc",
		},
		{
			name:        "number header value",
			raw:         `{"statusCode":200,"headers":{"x-count":5,"x-none":null},"body":""}`,
			wantStatus:  200,
			wantHeaders: http.Header{"X-Count": {"5"}, "X-None": {}},
		},
		{
			name:        "string without statusCode is inferred",
			raw:         `"Hello, world!"`,
			wantStatus:  200,
			wantHeaders: http.Header{"Content-Type": {"application/json"}},
			wantBody:    `"Hello, world!"`,
		},
		{
			name:       "object without statusCode is inferred",
			raw:        `{"message":"hi"}`,
			wantStatus: 200, wantBody: `{"message":"hi"}`,
		},
		{
			name:       "None is inferred",
			raw:        `null`,
			wantStatus: 200, wantBody: `null`,
		},
		{name: "status not a number", raw: `{"statusCode":"200"}`, wantErr: "not an HTTP status number"},
		{name: "status out of range", raw: `{"statusCode":700}`, wantErr: "not an HTTP status number"},
		{name: "bad base64", raw: `{"statusCode":200,"body":"%%%","isBase64Encoded":true}`, wantErr: "not base64"},
		{name: "object header value", raw: `{"statusCode":200,"headers":{"x":{"a":1}}}`, wantErr: `header "x"`},
		{name: "cookies not strings", raw: `{"statusCode":200,"cookies":[1]}`, wantErr: "function URL format"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := decodeResult(json.RawMessage(tt.raw))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want it to mention %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			rec := httptest.NewRecorder()
			resp.write(rec)
			if rec.Code != tt.wantStatus {
				t.Errorf("status = %d, want %d", rec.Code, tt.wantStatus)
			}
			for name, want := range tt.wantHeaders {
				got := rec.Header().Values(name)
				if len(want) == 0 && len(got) > 0 || len(want) > 0 && !reflect.DeepEqual(got, want) {
					t.Errorf("header %s = %q, want %q", name, got, want)
				}
			}
			if rec.Body.String() != tt.wantBody {
				t.Errorf("body = %q, want %q", rec.Body.String(), tt.wantBody)
			}
		})
	}
}
