// Tests for body-hash.js with node:test; run by bundler/bodyhash/bodyhash_test.go (go test) with node.
// The script runs in a fresh context per test whose fetch and XMLHttpRequest are stubs that record what
// would go on the wire; the expected digests come from node:crypto over the bytes the stubs received.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const code = fs.readFileSync(path.join(__dirname, '..', 'body-hash.js'), 'utf8');
const HEADER = 'x-amz-content-sha256';
const sha = (bytes) => crypto.createHash('sha256').update(Buffer.from(bytes)).digest('hex');

// page makes a page at https://dash.example.com with stubbed fetch/XMLHttpRequest and runs the script in it.
function page() {
  const sent = [], waiters = [], digests = [];
  const record = (x) => { sent.push(x); waiters.splice(0).forEach((w) => w()); };
  // settled waits for n sends, or (n = 0) for every digest the script asked for and what follows it.
  const settled = (n) => n === 0
    ? Promise.all(digests).then(() => new Promise(setImmediate))
    : new Promise((resolve) => { const check = () => (sent.length >= n ? resolve() : waiters.push(check)); check(); });
  class FakeXHR {
    constructor() { this.headers = []; }
    open(method, url) { this.method = method; this.url = url; }
    setRequestHeader(name, value) { this.headers.push([name.toLowerCase(), value]); }
    abort() { this.aborted = true; }
    send(body) { this.body = body; record(this); }
  }
  const href = 'https://dash.example.com/page';
  // A browser's Request resolves relative URLs against the page; Node's has no page.
  class PageRequest extends Request {
    constructor(input, init) { super(typeof input === 'string' ? new URL(input, href) : input, init); }
  }
  const ctx = {
    location: { href, origin: 'https://dash.example.com' },
    crypto: { subtle: { digest: (...a) => { const p = globalThis.crypto.subtle.digest(...a); digests.push(p); return p; } } },
    URL, Request: PageRequest, Response, Headers, Blob, FormData, URLSearchParams,
    ArrayBuffer, Uint8Array, TextEncoder,
    XMLHttpRequest: FakeXHR,
    fetch(input, init) {
      const req = new PageRequest(input, init);
      return req.arrayBuffer().then((buf) => { record({ req, body: Buffer.from(buf) }); return 'response'; });
    },
  };
  vm.createContext(ctx);
  vm.runInContext(code, ctx);
  return { ctx, sent, settled };
}

const bodies = [
  ['string (Dash callback JSON)', () => '{"output":"a.children","inputs":[{"value":"é"}]}'],
  ['Blob', () => new Blob(['blob ', 'bytes'], { type: 'text/csv' })],
  ['ArrayBuffer', () => new Uint8Array([0, 1, 2, 255]).buffer],
  ['Uint8Array', () => new Uint8Array([9, 8, 7])],
  ['URLSearchParams', () => new URLSearchParams({ a: '1 2', b: 'ü' })],
  ['FormData with a file', () => { const f = new FormData(); f.append('x', '1'); f.append('file', new Blob(['abc']), 'a.csv'); return f; }],
  ['3 MB string', () => 'x'.repeat(3 * 1024 * 1024)],
];

for (const [name, make] of bodies) {
  test(`fetch POST with a ${name} body carries the hash of the bytes sent`, async () => {
    const { ctx, sent } = page();
    assert.strictEqual(await ctx.fetch('/_dash-update-component', { method: 'POST', body: make(),
      headers: { 'X-CSRFToken': 't' } }), 'response');
    assert.strictEqual(sent.length, 1);
    const { req, body } = sent[0];
    assert.strictEqual(req.headers.get(HEADER), sha(body));
    assert.strictEqual(req.headers.get('x-csrftoken'), 't', 'other headers kept');
    // The bytes are what fetch would have sent without the script, content type (and boundary) included.
    const plain = new Request('https://dash.example.com/_dash-update-component', { method: 'POST', body: make() });
    if (name.startsWith('FormData')) {
      assert.match(req.headers.get('content-type'), /^multipart\/form-data; boundary=/);
      const boundary = req.headers.get('content-type').split('boundary=')[1];
      assert.ok(body.toString().includes(boundary), 'the body uses the boundary the header names');
    } else {
      assert.deepStrictEqual(body, Buffer.from(await plain.arrayBuffer()));
      assert.strictEqual(req.headers.get('content-type'), plain.headers.get('content-type'));
    }
  });

  test(`XMLHttpRequest POST with a ${name} body carries the hash of the bytes sent`, async () => {
    const { ctx, sent, settled } = page();
    const xhr = new ctx.XMLHttpRequest();
    xhr.open('POST', '/upload');
    xhr.send(make());
    await settled(1);
    assert.strictEqual(sent.length, 1);
    const body = Buffer.from(sent[0].body);
    const headers = Object.fromEntries(sent[0].headers);
    assert.strictEqual(headers[HEADER], sha(body));
    // XMLHttpRequest would have sent the same bytes with the same type (the type bytes lack is set).
    const plain = new Response(make());
    const type = plain.headers.get('content-type');
    if (name.startsWith('FormData')) {
      assert.ok(body.toString().includes(headers['content-type'].split('boundary=')[1]));
    } else {
      assert.deepStrictEqual(body, Buffer.from(await plain.arrayBuffer()));
      assert.strictEqual(headers['content-type'] ?? null, type);
    }
  });
}

test('fetch with a Request object carrying a body', async () => {
  const { ctx, sent } = page();
  await ctx.fetch(new Request('https://dash.example.com/x', { method: 'PUT', body: 'abc' }));
  assert.strictEqual(sent[0].req.headers.get(HEADER), sha('abc'));
  assert.strictEqual(sent[0].req.method, 'PUT');
});

test('a wrong hash set by the caller is replaced', async () => {
  const { ctx, sent } = page();
  await ctx.fetch('/x', { method: 'PATCH', body: 'abc', headers: { [HEADER]: 'bad' } });
  assert.strictEqual(sent[0].req.headers.get(HEADER), sha('abc'));
});

const untouched = [
  ['GET', '/_dash-layout', undefined],
  ['POST to another origin', 'https://api.example.org/x', { method: 'POST', body: 'abc' }],
  ['POST without a body', '/x', { method: 'POST' }],
  ['DELETE without a body', '/x', { method: 'DELETE' }],
];
for (const [name, url, init] of untouched) {
  test(`fetch ${name} gets no hash`, async () => {
    const { ctx, sent } = page();
    await ctx.fetch(url, init);
    assert.strictEqual(sent[0].req.headers.get(HEADER), null);
  });
}

test('fetch POST of an empty string is hashed (the header is still required)', async () => {
  const { ctx, sent } = page();
  await ctx.fetch('/x', { method: 'POST', body: '' });
  assert.strictEqual(sent[0].req.headers.get(HEADER), sha(''));
});

test('XMLHttpRequest: GET, other origins, synchronous requests go out unchanged', async () => {
  const { ctx, sent } = page();
  for (const [method, url, async] of [['GET', '/x', true], ['POST', 'https://api.example.org/x', true],
    ['POST', '/x', false]]) {
    const xhr = new ctx.XMLHttpRequest();
    xhr.open(method, url, async);
    xhr.send(method === 'GET' ? null : 'abc');
  }
  assert.strictEqual(sent.length, 3, 'sent at once');
  for (const xhr of sent) {
    assert.deepStrictEqual(xhr.headers, []);
  }
});

test('XMLHttpRequest keeps a Content-Type the caller set', async () => {
  const { ctx, sent, settled } = page();
  const xhr = new ctx.XMLHttpRequest();
  xhr.open('POST', '/x');
  xhr.setRequestHeader('Content-Type', 'application/json');
  xhr.send('{"a":1}');
  await settled(1);
  const types = sent[0].headers.filter(([n]) => n === 'content-type');
  assert.deepStrictEqual(types, [['content-type', 'application/json']]);
});

test('XMLHttpRequest aborted while hashing is not sent', async () => {
  const { ctx, sent, settled } = page();
  const xhr = new ctx.XMLHttpRequest();
  xhr.open('POST', '/x');
  xhr.send('abc');
  xhr.abort();
  await new Promise(setImmediate); // the body is read before it is hashed
  await settled(0);
  assert.strictEqual(sent.length, 0);
  assert.ok(xhr.aborted);
});

test('loading the script twice wraps fetch once', async () => {
  const { ctx, sent } = page();
  vm.runInContext(code, ctx);
  await ctx.fetch('/x', { method: 'POST', body: 'abc' });
  assert.strictEqual(sent[0].req.headers.get(HEADER), sha('abc'));
});

test('without crypto.subtle (plain http) nothing is wrapped', () => {
  const ctx = { fetch: () => 'orig', location: { href: 'http://x/', origin: 'http://x' } };
  const before = ctx.fetch;
  vm.createContext(ctx);
  vm.runInContext(code, ctx);
  assert.strictEqual(ctx.fetch, before);
});
