// Tests of index.js (the OIDC Lambda@Edge function) with node:test, against the fake OpenID Connect provider
// that edgeoidc_test.go runs: argv[2] is a folder holding index.js and config.json as deployed, argv[3] the
// configuration's name ("any-user"; "restricted" to example.com and the group analysts; "confidential", a
// client whose secret the function reads from Secrets Manager, faked in NODE_PATH).
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const path = require('node:path');

const dir = process.argv[2];
const mode = process.argv[3];
const fn = require(path.join(dir, 'index.js'));
const config = require(path.join(dir, 'config.json'));
const HOST = 'dash.example.com';

function event(uri, { method = 'GET', querystring = '', accept = 'text/html', cookie = '', headers = {} } = {}) {
  const h = { host: [{ key: 'Host', value: HOST }], accept: [{ key: 'Accept', value: accept }] };
  if (cookie) h.cookie = [{ key: 'Cookie', value: cookie }];
  for (const [k, v] of Object.entries(headers)) h[k] = [{ key: k, value: v }];
  return { Records: [{ cf: { config: { eventType: 'viewer-request' }, request: { method, uri, querystring, headers: h } } }] };
}

const run = (...args) => fn.handler(event(...args));
const hdr = (res, name) => (res.headers && res.headers[name] ? res.headers[name].map((x) => x.value) : []);
// cookieJar turns Set-Cookie answers into the Cookie header a browser would send next.
function jar(res, prev = {}) {
  const next = { ...prev };
  for (const c of hdr(res, 'set-cookie')) {
    const [pair, ...attrs] = c.split('; ');
    const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (attrs.includes('Max-Age=0')) delete next[name]; else next[name] = value;
    assert.ok(attrs.includes('Secure') && attrs.includes('HttpOnly') && attrs.includes('SameSite=Lax'), c);
  }
  return next;
}
const cookieHeader = (j) => Object.entries(j).map(([k, v]) => k + '=' + v).join('; ');

// signIn starts at uri, lets the fake provider approve (shaping the token by variant) and returns the callback's
// answer and the cookies.
async function signIn(uri, variant = '', querystring = '') {
  const start = await run(uri, { querystring });
  assert.strictEqual(start.status, '302');
  let cookies = jar(start);
  const authorize = new URL(hdr(start, 'location')[0]);
  if (variant) authorize.searchParams.set('variant', variant);
  const approved = await fetch(authorize, { redirect: 'manual' });
  assert.strictEqual(approved.status, 302, await approved.text());
  const back = new URL(approved.headers.get('location'));
  assert.strictEqual(back.origin + back.pathname, 'https://' + HOST + '/_opendash/callback');
  const res = await run(back.pathname, { querystring: back.search.slice(1), cookie: cookieHeader(cookies) });
  return { res, cookies: jar(res, cookies), callback: back, flowCookies: cookies };
}

async function mint(variant) {
  return (await fetch(config.issuer + '/test/mint?variant=' + variant)).text();
}

test('a page navigation without a session goes to the provider with PKCE, state and nonce', async () => {
  const res = await run('/report/7', { querystring: 'tab=2' });
  assert.strictEqual(res.status, '302');
  const u = new URL(hdr(res, 'location')[0]);
  assert.strictEqual(u.origin + u.pathname, config.issuer + '/authorize');
  assert.strictEqual(u.searchParams.get('client_id'), config.clientId);
  assert.strictEqual(u.searchParams.get('redirect_uri'), 'https://' + HOST + '/_opendash/callback');
  assert.strictEqual(u.searchParams.get('code_challenge_method'), 'S256');
  assert.strictEqual(u.searchParams.get('scope'), config.scopes.join(' '));
  for (const p of ['state', 'nonce', 'code_challenge']) assert.ok(u.searchParams.get(p).length >= 40, p);
  assert.strictEqual(hdr(res, 'cache-control')[0], 'no-store');
  assert.ok(hdr(res, 'set-cookie')[0].startsWith('opendash-flow='));
});

test('anonymous requests that are not page navigations answer 401', async () => {
  for (const [uri, opts] of [
    ['/_dash-update-component', { method: 'POST', accept: 'application/json' }],
    ['/_dash-component-suites/dash/dcc/dash_core_components.v2_0_0m1.js', { accept: '*/*' }],
    ['/_dash-layout', { accept: 'application/json' }],
  ]) {
    const res = await run(uri, opts);
    assert.strictEqual(res.status, '401', uri);
  }
});

test('the full sign-in returns to the original path and the session then passes, with the host forwarded', async () => {
  const { res, cookies } = await signIn('/report/7', '', 'tab=2');
  assert.strictEqual(res.status, '302');
  assert.deepStrictEqual(hdr(res, 'location'), ['/report/7?tab=2']);
  assert.ok(cookies['opendash-session'] && !cookies['opendash-flow']);
  const req = await run('/_dash-update-component', { method: 'POST', accept: 'application/json',
    cookie: cookieHeader(cookies), headers: { 'x-forwarded-host': 'evil.example' } });
  assert.strictEqual(req.uri, '/_dash-update-component');
  assert.deepStrictEqual(req.headers['x-forwarded-host'], [{ key: 'X-Forwarded-Host', value: HOST }]);
});

test('a sign-in started at the default root object returns to "/"', async () => {
  const { res } = await signIn('/index.html');
  assert.deepStrictEqual(hdr(res, 'location'), ['/']);
});

test('a replayed callback is refused (state cookie gone, code already used)', async () => {
  const { res, callback, flowCookies } = await signIn('/');
  assert.strictEqual(res.status, '302');
  const again = await run(callback.pathname, { querystring: callback.search.slice(1) });
  assert.strictEqual(again.status, '401');
  const replay = await run(callback.pathname, { querystring: callback.search.slice(1), cookie: cookieHeader(flowCookies) });
  assert.strictEqual(replay.status, '401');
  assert.strictEqual(hdr(replay, 'set-cookie').some((c) => c.startsWith('opendash-session=ey')), false);
});

test('a callback whose state is not this browser\'s is refused', async () => {
  const a = await run('/');
  const b = await run('/');
  const stateB = new URL(hdr(b, 'location')[0]).searchParams.get('state');
  const res = await run('/_opendash/callback', { querystring: 'code=x&state=' + stateB, cookie: cookieHeader(jar(a)) });
  assert.strictEqual(res.status, '401');
  const none = await run('/_opendash/callback', { querystring: 'code=x', cookie: cookieHeader(jar(a)) });
  assert.strictEqual(none.status, '401');
});

const refused = ['expired', 'audience', 'issuer', 'nonce', 'other-key', 'alg-none', 'hs256'];
if (mode === 'restricted') refused.push('outsider'); // mallory@evil.example: neither domain nor group allowed
for (const variant of refused) {
  test('a sign-in with a token that is ' + variant + ' is refused', async () => {
    const { res, cookies } = await signIn('/', variant);
    assert.strictEqual(res.status, '401', variant);
    assert.strictEqual(cookies['opendash-session'], undefined);
  });
}

test('who may enter: allowed domains (verified address only) or groups; anyone without lists', async () => {
  const { res } = await signIn('/', 'outsider-in-group');
  assert.strictEqual(res.status, '302');
  const { res: outsider } = await signIn('/', 'outsider');
  assert.strictEqual(outsider.status, mode === 'restricted' ? '401' : '302');
  const { res: unverified } = await signIn('/', 'unverified-email');
  // example.com is allowed, but only for a verified address
  assert.strictEqual(unverified.status, mode === 'restricted' ? '401' : '302');
});

test('a session cookie that is forged, expired, for another client or signed by another key does not pass', async () => {
  const good = await mint('');
  const [h, p, s] = good.split('.');
  const claims = JSON.parse(Buffer.from(p, 'base64url').toString());
  claims.email = 'mallory@example.com';
  claims.exp += 86400;
  const forged = [h, Buffer.from(JSON.stringify(claims)).toString('base64url'), s].join('.');
  const cases = { forged, expired: await mint('expired'), audience: await mint('audience'),
    'other-key': await mint('other-key'), 'alg-none': await mint('alg-none'), hs256: await mint('hs256'),
    garbage: 'not.a.token', empty: '' };
  for (const [name, token] of Object.entries(cases)) {
    const res = await run('/_dash-layout', { accept: 'application/json', cookie: 'opendash-session=' + token });
    assert.strictEqual(res.status, '401', name);
  }
  const ok = await run('/_dash-layout', { accept: 'application/json', cookie: 'other=1; opendash-session=' + good });
  assert.strictEqual(ok.uri, '/_dash-layout');
});

test('the return path never leaves the site (no open redirect)', async () => {
  for (const uri of ['//evil.example/x', '/\\evil.example']) {
    const { res } = await signIn(uri);
    assert.deepStrictEqual(hdr(res, 'location'), ['/'], uri);
  }
  // A flow cookie whose return path was tampered with to point elsewhere.
  for (const r of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)']) {
    const start = await run('/');
    const flow = JSON.parse(Buffer.from(jar(start)['opendash-flow'], 'base64url').toString());
    flow.r = r;
    const tampered = { 'opendash-flow': Buffer.from(JSON.stringify(flow)).toString('base64url') };
    const authorize = new URL(hdr(start, 'location')[0]);
    const back = new URL((await fetch(authorize, { redirect: 'manual' })).headers.get('location'));
    const res = await run(back.pathname, { querystring: back.search.slice(1), cookie: cookieHeader(tampered) });
    assert.strictEqual(res.status, '302');
    assert.deepStrictEqual(hdr(res, 'location'), ['/'], r);
  }
});

test('sign-out clears the session and goes to the provider\'s end-session endpoint', async () => {
  const res = await run('/_opendash/sign-out');
  assert.strictEqual(res.status, '302');
  const u = new URL(hdr(res, 'location')[0]);
  assert.strictEqual(u.origin + u.pathname, config.issuer + '/logout');
  assert.strictEqual(u.searchParams.get('post_logout_redirect_uri'), 'https://' + HOST + '/');
  assert.ok(hdr(res, 'set-cookie')[0].startsWith('opendash-session=;'));
});

test('the client secret comes from Secrets Manager, never from the package', async () => {
  const fs = require('node:fs');
  const calls = global.secretsManagerCalls || [];
  if (mode !== 'confidential') {
    assert.deepStrictEqual(calls, [], 'a public client reads no secret');
    return;
  }
  assert.ok(calls.length === 1, 'read once per instance: ' + JSON.stringify(calls));
  assert.deepStrictEqual(calls[0], { region: 'us-east-1', secretId: config.clientSecretArn });
  for (const f of fs.readdirSync(dir)) {
    assert.ok(!fs.readFileSync(path.join(dir, f), 'utf8').includes(process.env.FAKE_CLIENT_SECRET), f);
  }
});
