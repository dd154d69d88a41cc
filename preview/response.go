package preview

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// Response is the HTTP response a function URL makes of what the handler returned.
type Response struct {
	StatusCode int
	Header     http.Header
	Body       []byte
}

// result is the payload 2.0 response format. Fields stay raw: handlers return all sorts of things, and the
// function URL's tolerance (or not) is reproduced by hand below.
type result struct {
	StatusCode      json.RawMessage            `json:"statusCode"`
	Headers         map[string]json.RawMessage `json:"headers"`
	Cookies         []string                   `json:"cookies"`
	Body            json.RawMessage            `json:"body"`
	IsBase64Encoded bool                       `json:"isBase64Encoded"`
}

// Headers the preview's HTTP server computes itself; a handler's copy would be wrong after decoding.
var computedHeaders = map[string]bool{"content-length": true, "transfer-encoding": true, "connection": true}

// decodeResult turns a handler's return value into an HTTP response by the function URL's rules: a JSON object
// with statusCode is a structured response (headers, cookies as separate Set-Cookie headers, a body that may be
// base64); any other JSON value is answered 200 application/json with that JSON as the body. An error means the
// function URL would answer 502.
func decodeResult(raw json.RawMessage) (Response, error) {
	raw = bytes.TrimSpace(raw)
	var probe map[string]json.RawMessage
	if len(raw) == 0 || raw[0] != '{' || json.Unmarshal(raw, &probe) != nil || probe["statusCode"] == nil {
		if len(raw) == 0 {
			raw = json.RawMessage("null")
		}
		return Response{StatusCode: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}}, Body: raw}, nil
	}
	var r result
	if err := json.Unmarshal(raw, &r); err != nil {
		return Response{}, fmt.Errorf("the response does not follow the function URL format: %w", err)
	}
	var status int
	if err := json.Unmarshal(r.StatusCode, &status); err != nil || status < 200 || status > 599 {
		return Response{}, fmt.Errorf("statusCode %s is not an HTTP status number", r.StatusCode)
	}
	resp := Response{StatusCode: status, Header: http.Header{}}
	for name, value := range r.Headers {
		if computedHeaders[strings.ToLower(name)] {
			continue
		}
		text, err := headerValue(value)
		if err != nil {
			return Response{}, fmt.Errorf("header %q: %w", name, err)
		}
		if text != nil {
			resp.Header.Set(name, *text)
		}
	}
	for _, c := range r.Cookies {
		resp.Header.Add("Set-Cookie", c)
	}
	if resp.Header.Get("Content-Type") == "" {
		resp.Header.Set("Content-Type", "application/json") // what function URLs send when the handler names none
	}
	body, err := bodyBytes(r.Body, r.IsBase64Encoded)
	if err != nil {
		return Response{}, err
	}
	resp.Body = body
	return resp, nil
}

// headerValue accepts a string, number or boolean (as its JSON text); null means no header.
func headerValue(raw json.RawMessage) (*string, error) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		return nil, nil
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return nil, err
		}
		return &s, nil
	case raw[0] == '{' || raw[0] == '[':
		return nil, fmt.Errorf("value %.60s is not a string", raw)
	}
	s := string(raw)
	return &s, nil
}

func bodyBytes(raw json.RawMessage, isBase64 bool) ([]byte, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return nil, nil
	}
	if raw[0] != '"' {
		return raw, nil // a JSON value rather than a string: sent as its JSON text
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	if !isBase64 {
		return []byte(s), nil
	}
	data, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		if data, err = base64.RawStdEncoding.DecodeString(s); err != nil {
			return nil, fmt.Errorf("isBase64Encoded is true but the body is not base64: %w", err)
		}
	}
	return data, nil
}

// write sends resp to the viewer.
func (resp Response) write(w http.ResponseWriter) {
	for name, values := range resp.Header {
		w.Header()[name] = values
	}
	w.WriteHeader(resp.StatusCode)
	_, _ = w.Write(resp.Body)
}
