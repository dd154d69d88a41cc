package jsrun

import (
	"strings"
	"testing"
)

// TestRuntime checks the engine's contract with function code: the documented KeyValueStore import, the
// crypto module against known digests, promises, and refusals of what CloudFront would not run.
func TestRuntime(t *testing.T) {
	for _, c := range []struct {
		name, code string
		kvs        map[string]string
		status     int    // a response's status; 0: the request goes on
		header     string // x-out on the request or the response
		loadErr    string
		runErr     string
	}{
		{name: "sync handler passes the request", code: `function handler(e) { e.request.headers['x-out'] = {value: e.request.uri}; return e.request; }`, header: "/p"},
		{name: "async handler answers", code: `async function handler(e) { return {statusCode: 418, headers: {'x-out': {value: 'tea'}}}; }`, status: 418, header: "tea"},
		{name: "kvs get", kvs: map[string]string{"k": "v1"}, code: "import cf from 'cloudfront';\nconst kvs = cf.kvs();\n" +
			`async function handler(e) { e.request.headers['x-out'] = {value: await kvs.get('k')}; return e.request; }`, header: "v1"},
		{name: "kvs get of a missing key rejects", kvs: map[string]string{}, code: "import cf from 'cloudfront';\nconst kvs = cf.kvs();\n" +
			`async function handler(e) { try { await kvs.get('nope'); } catch (err) { e.request.headers['x-out'] = {value: 'missing'}; } return e.request; }`, header: "missing"},
		{name: "sha256 hex", code: "import crypto from 'crypto';\n" + `function handler(e) { e.request.headers['x-out'] = {value: crypto.createHash('sha256').update('abc').digest('hex')}; return e.request; }`,
			header: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"},
		{name: "hmac base64url", code: `const crypto = require('crypto'); function handler(e) { e.request.headers['x-out'] = {value: crypto.createHmac('sha256', 'key').update('The quick brown fox jumps over the lazy dog').digest('base64url')}; return e.request; }`,
			header: "97yD9DBThCSxMpjmqm-xQ-9NWaFJRhdZl0edvC0aPNg"},
		{name: "other import refused", code: "import x from 'fs';\nfunction handler(e) { return e.request; }", loadErr: "line 1"},
		{name: "export refused", code: "export function handler(e) { return e.request; }", loadErr: "only imports of the runtime's modules"},
		{name: "no handler", code: "var x = 1;", loadErr: "no handler"},
		{name: "kvs without a store", code: "import cf from 'cloudfront';\nfunction handler(e) { return e.request; }", loadErr: "no KeyValueStore"},
		{name: "unknown module", code: "const fs = require('fs'); function handler(e) { return e.request; }", loadErr: "does not exist"},
		{name: "throwing handler", code: "function handler(e) { throw new Error('boom'); }", runErr: "boom"},
		{name: "rejected promise", code: "async function handler(e) { throw new Error('late boom'); }", runErr: "late boom"},
		{name: "neither request nor response", code: "function handler(e) { return {}; }", runErr: "neither"},
		{name: "unsupported digest", code: "const crypto = require('crypto'); function handler(e) { crypto.createHash('sha512'); return e.request; }", runErr: "sha512"},
	} {
		t.Run(c.name, func(t *testing.T) {
			fn, err := Load(c.code, c.kvs)
			if c.loadErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.loadErr) {
					t.Fatalf("Load error = %v, want one saying %q", err, c.loadErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			res, err := fn.Run(Request{Method: "GET", URI: "/p", Headers: map[string]string{"Host": "a.test"}})
			if c.runErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.runErr) {
					t.Fatalf("Run error = %v, want one saying %q", err, c.runErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.status != 0 && (res.Response == nil || res.Response.Status != c.status || res.Response.Headers["x-out"] != c.header):
				t.Errorf("got %+v %+v, want a %d response with x-out %q", res.Request, res.Response, c.status, c.header)
			case c.status == 0 && (res.Request == nil || res.Request.Headers["x-out"] != c.header || res.Request.Headers["host"] != "a.test"):
				t.Errorf("got %+v %+v, want the request with x-out %q", res.Request, res.Response, c.header)
			}
		})
	}
}
