// Package jsrun runs a CloudFront Function's code (cloudfront-js-2.0) in Go with the goja JavaScript engine,
// so that the local preview answers viewer requests with exactly the code CloudFront runs. It provides the
// runtime's `crypto` module (createHash, createHmac) and its `cloudfront` module's KeyValueStore (get,
// exists) over an in-memory map. Only imports of those two modules are rewritten (goja has no ES modules);
// any other import or export is refused, so code that would need more fails here first.
package jsrun

import (
	"crypto/hmac"
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"regexp"
	"strings"
	"sync"

	"github.com/dop251/goja"
)

// builtinImport is an ES module import of a runtime module (`import cf from 'cloudfront';`, as CloudFront
// documents it, or `import crypto from 'crypto';`); goja runs scripts, so it becomes a require call.
var builtinImport = regexp.MustCompile(`(?m)^import ([A-Za-z_$][\w$]*) from '(cloudfront|crypto)';[ \t]*$`)

var moduleSyntax = regexp.MustCompile(`(?m)^\s*(import|export)\b`)

// Request is the viewer request handed to the function: header names in lower case, one value each.
type Request struct {
	Method  string
	URI     string
	Headers map[string]string
}

// Response is what the function answered instead of passing the request on.
type Response struct {
	Status  int
	Headers map[string]string
}

// Result is the function's decision: exactly one of Request (go on, with these headers) or Response is set.
type Result struct {
	Request  *Request
	Response *Response
}

// Function is loaded function code; Run is safe for concurrent use (calls are serialised, as the runtime is
// single-threaded).
type Function struct {
	mu      sync.Mutex
	vm      *goja.Runtime
	handler goja.Callable
	parse   goja.Callable
}

// Load compiles code with kvs as the associated KeyValueStore's contents (nil: no store).
func Load(code string, kvs map[string]string) (*Function, error) {
	src := builtinImport.ReplaceAllString(code, "const $1 = require('$2');")
	if loc := moduleSyntax.FindStringIndex(src); loc != nil {
		line := strings.Count(src[:loc[0]], "\n") + 1
		return nil, fmt.Errorf("function code line %d: only imports of the runtime's modules (import cf from 'cloudfront'; import crypto from 'crypto';) are supported", line)
	}
	vm := goja.New()
	f := &Function{vm: vm}
	if err := vm.Set("require", f.require(kvs)); err != nil {
		return nil, err
	}
	if _, err := vm.RunScript("function.js", src); err != nil {
		return nil, fmt.Errorf("function code: %w", err)
	}
	var ok bool
	if f.handler, ok = goja.AssertFunction(vm.Get("handler")); !ok {
		return nil, errors.New("function code defines no handler(event) function")
	}
	f.parse, _ = goja.AssertFunction(vm.Get("JSON").ToObject(vm).Get("parse"))
	return f, nil
}

// jsEvent is the CloudFront Functions event (version 1.0) for a viewer request.
type jsEvent struct {
	Version string            `json:"version"`
	Context map[string]string `json:"context"`
	Viewer  map[string]string `json:"viewer"`
	Request jsRequest         `json:"request"`
}

type jsValue struct {
	Value string `json:"value"`
}

type jsRequest struct {
	Method      string             `json:"method"`
	URI         string             `json:"uri"`
	Querystring map[string]jsValue `json:"querystring"`
	Headers     map[string]jsValue `json:"headers"`
	Cookies     map[string]jsValue `json:"cookies"`
}

// jsResult is a request or a response as the handler returns it.
type jsResult struct {
	StatusCode *int               `json:"statusCode"`
	URI        string             `json:"uri"`
	Method     string             `json:"method"`
	Headers    map[string]jsValue `json:"headers"`
}

// Run calls handler(event) for r and waits for its promise (the runtime's jobs run before the call returns).
func (f *Function) Run(r Request) (Result, error) {
	ev := jsEvent{Version: "1.0", Context: map[string]string{"eventType": "viewer-request"},
		Viewer: map[string]string{"ip": "127.0.0.1"},
		Request: jsRequest{Method: r.Method, URI: r.URI, Querystring: map[string]jsValue{},
			Headers: map[string]jsValue{}, Cookies: map[string]jsValue{}}}
	for k, v := range r.Headers {
		ev.Request.Headers[strings.ToLower(k)] = jsValue{v}
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		return Result{}, err
	}

	f.mu.Lock()
	defer f.mu.Unlock()
	event, err := f.parse(goja.Undefined(), f.vm.ToValue(string(raw)))
	if err != nil {
		return Result{}, err
	}
	out, err := f.handler(goja.Undefined(), event)
	if err != nil {
		return Result{}, fmt.Errorf("handler threw: %w", err)
	}
	if p, ok := out.Export().(*goja.Promise); ok {
		switch p.State() {
		case goja.PromiseStateFulfilled:
			out = p.Result()
		case goja.PromiseStateRejected:
			return Result{}, fmt.Errorf("handler rejected: %v", p.Result())
		default:
			return Result{}, errors.New("handler's promise never settled")
		}
	}
	stringify, _ := goja.AssertFunction(f.vm.Get("JSON").ToObject(f.vm).Get("stringify"))
	js, err := stringify(goja.Undefined(), out)
	if err != nil {
		return Result{}, err
	}
	var res jsResult
	if err := json.Unmarshal([]byte(js.String()), &res); err != nil {
		return Result{}, fmt.Errorf("handler returned %s, not a request or a response: %w", js.String(), err)
	}
	headers := map[string]string{}
	for k, v := range res.Headers {
		headers[k] = v.Value
	}
	if res.StatusCode != nil {
		return Result{Response: &Response{Status: *res.StatusCode, Headers: headers}}, nil
	}
	if res.URI == "" {
		return Result{}, fmt.Errorf("handler returned %s: neither a request (uri) nor a response (statusCode)", js.String())
	}
	return Result{Request: &Request{Method: res.Method, URI: res.URI, Headers: headers}}, nil
}

// require provides the runtime's built-in modules.
func (f *Function) require(kvs map[string]string) func(string) (goja.Value, error) {
	return func(name string) (goja.Value, error) {
		vm := f.vm
		switch name {
		case "crypto":
			o := vm.NewObject()
			_ = o.Set("createHash", func(alg string) (goja.Value, error) { return f.hasher(alg, nil) })
			_ = o.Set("createHmac", func(alg, key string) (goja.Value, error) { return f.hasher(alg, []byte(key)) })
			return o, nil
		case "cloudfront":
			if kvs == nil {
				return nil, errors.New("the function imports 'cloudfront' but no KeyValueStore is associated")
			}
			o := vm.NewObject()
			_ = o.Set("kvs", func() goja.Value { return f.store(kvs) })
			return o, nil
		}
		return nil, fmt.Errorf("module %q does not exist in cloudfront-js-2.0 (crypto and cloudfront do)", name)
	}
}

// store is a KeyValueStore handle: get rejects an unknown key, as CloudFront's does.
func (f *Function) store(kvs map[string]string) goja.Value {
	vm := f.vm
	o := vm.NewObject()
	_ = o.Set("get", func(key string) *goja.Promise {
		p, resolve, reject := vm.NewPromise()
		if v, ok := kvs[key]; ok {
			_ = resolve(v)
		} else {
			_ = reject(vm.NewGoError(fmt.Errorf("key %q not found", key)))
		}
		return p
	})
	_ = o.Set("exists", func(key string) *goja.Promise {
		p, resolve, _ := vm.NewPromise()
		_, ok := kvs[key]
		_ = resolve(ok)
		return p
	})
	return o
}

// hasher is a crypto Hash or Hmac object: update(string) chains, digest(hex|base64|base64url) ends.
func (f *Function) hasher(alg string, key []byte) (goja.Value, error) {
	var newHash func() hash.Hash
	switch alg {
	case "md5":
		newHash = md5.New
	case "sha1":
		newHash = sha1.New
	case "sha256":
		newHash = sha256.New
	default:
		return nil, fmt.Errorf("crypto: digest %q is not one CloudFront Functions support (md5, sha1, sha256)", alg)
	}
	h := newHash()
	if key != nil {
		h = hmac.New(newHash, key)
	}
	o := f.vm.NewObject()
	_ = o.Set("update", func(data string) *goja.Object {
		h.Write([]byte(data))
		return o
	})
	_ = o.Set("digest", func(encoding string) (string, error) {
		sum := h.Sum(nil)
		switch encoding {
		case "hex":
			return hex.EncodeToString(sum), nil
		case "base64":
			return base64.StdEncoding.EncodeToString(sum), nil
		case "base64url":
			return base64.RawURLEncoding.EncodeToString(sum), nil
		}
		return "", fmt.Errorf("crypto: digest encoding %q is not supported here (hex, base64, base64url)", encoding)
	})
	return o, nil
}
