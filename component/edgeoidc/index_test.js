// Tests of index.js (the OIDC Lambda@Edge function) with node:test, against the fake OpenID Connect provider
// that edgeoidc_test.go runs: argv[2] is a folder holding the package as deployed, argv[3] the configuration's
// name: "any-user" (allowAnyUser); "restricted" (example.com, the group analysts, carol@elsewhere.example);
// "confidential" (a client whose secret the function reads from Secrets Manager); "preview" (http, as the
// local preview runs it, with its own session key). Secrets Manager is faked in NODE_PATH; the session key
// is FAKE_SESSION_KEY, so tests can sign sessions of their own.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const crypto = require('node:crypto');
const path = require('node:path');

const dir = process.argv[2];
const mode = process.argv[3];
const config = require(path.join(dir, 'config.json'));
const HOST = 'dash.example.com';
const SECURE = mode !== 'preview';
const SITE = (SECURE ? 'https://' : 'http://') + HOST;
const SESSION = (SECURE ? '__Host-' : '') + 'opendash-session';
const FLOW = (SECURE ? '__Host-' : '') + 'opendash-flow';
const HINT = (SECURE ? '__Secure-' : '') + 'opendash-hint';
const SIGN_OUT = '/_opendash-sign-out';
const KEY = mode === 'preview' ? config.sessionKey : process.env.FAKE_SESSION_KEY;

// load requires a fresh copy of the function (a new Lambda instance: empty caches).
function load() {
  for (const f of ['index.js', 'provider.js']) delete require.cache[require.resolve(path.join(dir, f))];
  return require(path.join(dir, 'index.js'));
}
const fn = load();

// The clock the function reads: tests move it forward to pass cache lifetimes.
const realNow = Date.now;
let offset = 0;
Date.now = () => realNow() + offset * 1000;

function event(uri, { method = 'GET', querystring = '', accept = 'text/html', cookie = '', headers = {} } = {}) {
  const h = { host: [{ key: 'Host', value: HOST }], accept: [{ key: 'Accept', value: accept }] };
  if (cookie) h.cookie = [{ key: 'Cookie', value: cookie }];
  for (const [k, v] of Object.entries(headers)) h[k.toLowerCase()] = [{ key: k, value: v }];
  return { Records: [{ cf: { config: { eventType: 'viewer-request' }, request: { method, uri, querystring, headers: h } } }] };
}

const run = (...args) => fn.handler(event(...args));
const hdr = (res, name) => (res.headers && res.headers[name] ? res.headers[name].map((x) => x.value) : []);
// jar turns Set-Cookie answers into the cookies a browser would send next, checking their attributes.
function jar(res, prev = {}) {
  const next = { ...prev };
  for (const c of hdr(res, 'set-cookie')) {
    const [pair, ...attrs] = c.split('; ');
    const [name, value] = [pair.slice(0, pair.indexOf('=')), pair.slice(pair.indexOf('=') + 1)];
    if (attrs.includes('Max-Age=0')) delete next[name]; else next[name] = value;
    assert.ok(attrs.includes('HttpOnly') && attrs.includes('SameSite=Lax'), c);
    assert.strictEqual(attrs.includes('Secure'), SECURE, c);
    assert.ok(!attrs.some((a) => a.startsWith('Domain=')), c);
    if (name.startsWith('__Host-')) assert.ok(attrs.includes('Path=/'), c);
    assert.ok((name + '=' + value).length < 4096, name + ': ' + (name + '=' + value).length + ' bytes, browsers drop it');
  }
  return next;
}
const cookieHeader = (j) => Object.entries(j).filter(([k]) => k !== HINT).map(([k, v]) => k + '=' + v).join('; ');

// signIn starts at uri, lets the fake provider approve (shaping the token by variant) and returns the
// callback's answer and the cookies.
async function signIn(uri = '/', variant = '', querystring = '') {
  const start = await run(uri, { querystring });
  assert.strictEqual(start.status, '302');
  const flowCookies = jar(start);
  const authorize = new URL(hdr(start, 'location')[0]);
  if (variant) authorize.searchParams.set('variant', variant);
  const approved = await fetch(authorize, { redirect: 'manual' });
  assert.strictEqual(approved.status, 302, await approved.text());
  const back = new URL(approved.headers.get('location'));
  assert.strictEqual(back.origin + back.pathname, SITE + '/_opendash/callback');
  const res = await run(back.pathname, { querystring: back.search.slice(1), cookie: cookieHeader(flowCookies) });
  return { res, cookies: jar(res, flowCookies), callback: back, flowCookies, start };
}

const provider = (p, init) => fetch(config.issuer + p, init);
const mint = async (variant) => (await provider('/test/mint?variant=' + variant)).text();
const jwksFetches = async () => (await provider('/test/jwks-fetches')).json();
const seal = (s) => {
  const payload = Buffer.from(JSON.stringify(s)).toString('base64url');
  return payload + '.' + crypto.createHmac('sha256', KEY).update(payload).digest('base64url');
};
const sessionOf = (value) => JSON.parse(Buffer.from(value.split('.')[0], 'base64url').toString());
const api = (cookie, headers = {}) => run('/_dash-update-component', { method: 'POST', accept: 'application/json', cookie, headers });

test('a page navigation without a session goes to the provider with PKCE, state and nonce', async () => {
  const res = await run('/report/7', { querystring: 'tab=2' });
  assert.strictEqual(res.status, '302');
  const u = new URL(hdr(res, 'location')[0]);
  assert.strictEqual(u.origin + u.pathname, config.issuer + '/authorize');
  assert.strictEqual(u.searchParams.get('client_id'), config.clientId);
  assert.strictEqual(u.searchParams.get('redirect_uri'), SITE + '/_opendash/callback');
  assert.strictEqual(u.searchParams.get('code_challenge_method'), 'S256');
  assert.strictEqual(u.searchParams.get('scope'), config.scopes.join(' '));
  for (const p of ['state', 'nonce', 'code_challenge']) assert.ok(u.searchParams.get(p).length >= 40, p);
  assert.strictEqual(hdr(res, 'cache-control')[0], 'no-store');
  assert.ok(hdr(res, 'set-cookie')[0].startsWith(FLOW + '='));
  jar(res);
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

test('sign-in sets a small session of our own, and the request goes on with the identity the edge vouches for', async () => {
  const { res, cookies } = await signIn('/report/7', '', 'tab=2');
  assert.strictEqual(res.status, '302');
  assert.deepStrictEqual(hdr(res, 'location'), ['/report/7?tab=2']);
  assert.ok(cookies[SESSION] && !cookies[FLOW]);
  assert.strictEqual(cookies[SESSION].split('.').length, 2, 'the session is ours (payload.signature), not the raw ID token');
  assert.ok(cookies[SESSION].length < 400, cookies[SESSION].length + ' characters');
  const s = sessionOf(cookies[SESSION]);
  assert.strictEqual(s.sub, 'u-1');
  assert.strictEqual(s.email, 'alice@example.com');
  assert.ok(s.exp > Date.now() / 1000 && s.exp <= Date.now() / 1000 + 3600 + 60, 'expires with the ID token');
  if (SECURE) assert.ok(hdr(res, 'set-cookie').includes('opendash-session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax'),
    'the previous versions\' session cookie is cleared');

  const req = await api('theme=dark; ' + cookieHeader(cookies) + '; lang=fr', {
    'X-Forwarded-Host': 'evil.example', 'X-OpenDash-User-Email': 'boss@example.com',
    'X-OpenDash-User-Groups': 'admins', 'X-OpenDash-Admin': '1', 'X-Forwarded-Authorization': 'Basic Zm9yZ2Vk' });
  assert.strictEqual(req.uri, '/_dash-update-component');
  assert.deepStrictEqual(req.headers['x-forwarded-host'], [{ key: 'X-Forwarded-Host', value: HOST }]);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-email'), ['alice@example.com']);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-subject'), ['u-1']);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-groups'), []);
  assert.deepStrictEqual(hdr(req, 'x-opendash-admin'), [], 'every X-OpenDash-* a viewer sends is deleted');
  assert.deepStrictEqual(hdr(req, 'x-forwarded-authorization'), [], 'a forged X-Forwarded-Authorization is deleted');
  assert.deepStrictEqual(hdr(req, 'cookie'), ['theme=dark; lang=fr'], 'the app gets its own cookies, not ours');

  const own = await api(cookieHeader(cookies), { Authorization: 'Bearer app-token' });
  assert.deepStrictEqual(hdr(own, 'x-forwarded-authorization'), ['Bearer app-token'], 'the viewer\'s own Authorization goes on');
  assert.deepStrictEqual(hdr(own, 'cookie'), []);
});

test('a sign-in started at the default root object returns to "/"', async () => {
  const { res } = await signIn('/index.html');
  assert.deepStrictEqual(hdr(res, 'location'), ['/']);
});

test('a long return path keeps its path but not its query, and the flow cookie still fits', async () => {
  const { res, start } = await signIn('/report/7', '', 'q=' + 'x'.repeat(3000));
  assert.strictEqual(res.status, '302');
  assert.deepStrictEqual(hdr(res, 'location'), ['/report/7']);
  assert.ok(hdr(start, 'set-cookie')[0].length < 2048);
  const { res: deep } = await signIn('/' + 'p'.repeat(2000));
  assert.deepStrictEqual(hdr(deep, 'location'), ['/']);
});

test('a replayed callback is refused (state cookie gone, code already used)', async () => {
  const { res, callback, flowCookies } = await signIn('/');
  assert.strictEqual(res.status, '302');
  const again = await run(callback.pathname, { querystring: callback.search.slice(1) });
  assert.strictEqual(again.status, '401');
  const replay = await run(callback.pathname, { querystring: callback.search.slice(1), cookie: cookieHeader(flowCookies) });
  assert.strictEqual(replay.status, '401');
  assert.strictEqual(jar(replay)[SESSION], undefined);
});

test('a callback whose state is not this browser\'s is refused', async () => {
  const a = await run('/');
  const b = await run('/');
  const stateB = new URL(hdr(b, 'location')[0]).searchParams.get('state');
  const res = await run('/_opendash/callback', { querystring: 'code=x&state=' + stateB, cookie: cookieHeader(jar(a)) });
  assert.strictEqual(res.status, '401');
  const none = await run('/_opendash/callback', { querystring: 'code=x', cookie: cookieHeader(jar(a)) });
  assert.strictEqual(none.status, '401');
  const error = await run('/_opendash/callback', { querystring: 'error=<script>&state=' + stateB, cookie: cookieHeader(jar(b)) });
  assert.strictEqual(error.status, '401');
  assert.ok(!error.body.includes('<script>'), 'the provider\'s error is not echoed');
});

// Tokens the callback refuses, with 401 and no session (never a 502): the review's exploit situations.
const refused = ['expired', 'audience', 'extra-audience', 'foreign-azp', 'issuer', 'nonce', 'no-subject', 'other-key',
  'alg-none', 'hs256', 'kid-proto', 'kid-constructor', 'kid-tostring', 'null-header'];
if (mode === 'restricted') {
  // neither an allowed domain, email nor group; or an email the provider does not vouch for
  refused.push('outsider', 'unverified-email', 'verified-string-false', 'verified-missing', 'verified-zero', 'verified-null');
}
for (const variant of refused) {
  test('a sign-in with a token that is ' + variant + ' is refused', async () => {
    const { res, cookies } = await signIn('/', variant);
    assert.strictEqual(res.status, '401', variant + ': ' + res.body);
    assert.strictEqual(cookies[SESSION], undefined);
  });
}

test('who may enter: a listed email, an allowed domain (verified only) or group; or anyone with allowAnyUser', async () => {
  const admitted = ['outsider-in-group', 'verified-string-true'];
  if (mode !== 'restricted') admitted.push('outsider', 'listed', 'unverified-email', 'verified-string-false');
  if (mode === 'restricted') admitted.push('listed');
  for (const variant of admitted) {
    const { res, cookies } = await signIn('/', variant);
    assert.strictEqual(res.status, '302', variant + ': ' + res.body);
    const req = await api(cookieHeader(cookies));
    assert.strictEqual(req.uri, '/_dash-update-component', variant);
    const email = hdr(req, 'x-opendash-user-email');
    // Only an email the provider vouches for is passed on.
    assert.deepStrictEqual(email.length, ['unverified-email', 'verified-string-false'].includes(variant) ? 0 : 1, variant);
  }
});

test('a verified "email" that is not one plain address matches no allow-list and is not passed on', async () => {
  // Each ends in @example.com, the allowed domain, but names (or reaches) another mailbox too.
  for (const variant of ['email-list', 'email-nul', 'email-space']) {
    const { res, cookies } = await signIn('/', variant);
    if (mode === 'restricted') {
      assert.strictEqual(res.status, '401', variant + ': admitted');
      assert.strictEqual(cookies[SESSION], undefined, variant);
      continue;
    }
    assert.strictEqual(res.status, '302', variant + ': ' + res.body);
    const req = await api(cookieHeader(cookies));
    assert.strictEqual(req.uri, '/_dash-update-component', variant);
    assert.deepStrictEqual(hdr(req, 'x-opendash-user-email'), [], variant);
  }
});

test('150 groups: the session stays small (allowed groups first), the hint is dropped, and the user gets in', async () => {
  const { res, cookies } = await signIn('/', 'many-groups');
  assert.strictEqual(res.status, '302', res.body);
  const s = sessionOf(cookies[SESSION]);
  assert.ok(s.groups.length > 10 && s.groups.length < 150 && s.more === true, JSON.stringify(s).length);
  if (mode === 'restricted') assert.strictEqual(s.groups[0], 'analysts');
  assert.strictEqual(cookies[HINT], undefined, 'an ID token over 3,000 characters is not kept');
  const req = await api(cookieHeader(cookies));
  assert.strictEqual(req.uri, '/_dash-update-component');
  assert.strictEqual(hdr(req, 'x-opendash-user-groups')[0].split(',').length, s.groups.length);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-groups-truncated'), ['true']);
});

test('identity header values are percent-encoded where a header cannot carry them', async () => {
  const now = Math.floor(Date.now() / 1000);
  const session = seal({ v: 1, sub: 'u-ü 1', exp: now + 600, email: 'zoë@example.com', groups: ['Data Team', 'a,b', '100%', 'analysts'] });
  const req = await api(SESSION + '=' + session);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-subject'), ['u-%C3%BC%201']);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-email'), ['zo%C3%AB@example.com']);
  assert.deepStrictEqual(hdr(req, 'x-opendash-user-groups'), ['Data%20Team,a%2Cb,100%25,analysts']);
});

test('a session cookie that is forged, stale, unsigned or doubled does not pass', async () => {
  const { cookies } = await signIn('/');
  const good = cookies[SESSION];
  const forgedClaims = { ...sessionOf(good), email: 'boss@example.com', sub: 'u-boss' };
  const now = Math.floor(Date.now() / 1000);
  const cases = {
    'claims changed, signature kept': Buffer.from(JSON.stringify(forgedClaims)).toString('base64url') + '.' + good.split('.')[1],
    'signed with another key': (() => {
      const p = Buffer.from(JSON.stringify(forgedClaims)).toString('base64url');
      return p + '.' + crypto.createHmac('sha256', 'guess').update(p).digest('base64url');
    })(),
    expired: seal({ ...sessionOf(good), exp: now - 1 }),
    'another version': seal({ ...sessionOf(good), v: 2 }),
    'a raw ID token (the previous format)': await mint(''),
    'a token with kid __proto__': await mint('kid-proto'),
    'a header that decodes to null': await mint('null-header'),
    garbage: 'not.a.session', empty: '', 'no signature': good.split('.')[0],
  };
  for (const [name, value] of Object.entries(cases)) {
    const res = await api(SESSION + '=' + value);
    assert.strictEqual(res.status, '401', name);
  }
  // Two session cookies: the app could read another than the edge checked. Refused, even if both are ours.
  const forged = Buffer.from(JSON.stringify(forgedClaims)).toString('base64url') + '.x';
  for (const pair of [[good, forged], [forged, good], [good, good]]) {
    const res = await api(pair.map((v) => SESSION + '=' + v).join('; '));
    assert.strictEqual(res.status, '400', pair.join(' '));
  }
  const split = await fn.handler((() => {
    const e = event('/_dash-layout', { accept: 'application/json', cookie: SESSION + '=' + good });
    e.Records[0].cf.request.headers.cookie.push({ key: 'Cookie', value: SESSION + '=' + forged });
    return e;
  })());
  assert.strictEqual(split.status, '400', 'two Cookie headers');
  const ok = await api('other=1; ' + SESSION + '=' + good);
  assert.strictEqual(ok.uri, '/_dash-update-component');
});

test('a session is checked against the allow-list on every request', async () => {
  const now = Math.floor(Date.now() / 1000);
  const outsider = seal({ v: 1, sub: 'u-9', exp: now + 600, email: 'mallory@evil.example', groups: ['staff'] });
  const res = await api(SESSION + '=' + outsider);
  assert.strictEqual(res.status, mode === 'restricted' ? '401' : undefined);
});

test('sign-out: GET shows a page whose button POSTs; only a same-origin POST signs out', async () => {
  const { cookies } = await signIn('/');
  const page = await run(SIGN_OUT, { cookie: cookieHeader(cookies) });
  assert.strictEqual(page.status, '200');
  assert.match(hdr(page, 'content-type')[0], /^text\/html/);
  assert.match(page.body, new RegExp('<form method="post" action="' + SIGN_OUT + '">'));
  assert.strictEqual(hdr(page, 'set-cookie').length, 0, 'a GET signs nobody out');
  const old = await run('/_opendash/sign-out');
  assert.deepStrictEqual([old.status, hdr(old, 'location')], ['302', [SIGN_OUT]]);

  for (const headers of [{}, { Origin: 'https://evil.example' }, { 'Sec-Fetch-Site': 'cross-site' }, { Origin: 'null' }]) {
    const res = await run(SIGN_OUT, { method: 'POST', cookie: cookieHeader(cookies), headers });
    assert.strictEqual(res.status, '403', JSON.stringify(headers));
    assert.strictEqual(hdr(res, 'set-cookie').length, 0);
  }
  const withHint = cookieHeader(cookies) + (cookies[HINT] ? '; ' + HINT + '=' + cookies[HINT] : '');
  for (const headers of [{ Origin: SITE }, { 'Sec-Fetch-Site': 'same-origin' }]) {
    const res = await run(SIGN_OUT, { method: 'POST', cookie: withHint, headers });
    assert.strictEqual(res.status, '303', JSON.stringify(headers));
    const u = new URL(hdr(res, 'location')[0]);
    assert.strictEqual(u.origin + u.pathname, config.issuer + '/logout');
    assert.strictEqual(u.searchParams.get('post_logout_redirect_uri'), SITE + '/');
    assert.strictEqual(u.searchParams.get('id_token_hint'), cookies[HINT], 'the ID token this session was made from');
    const gone = jar(res, cookies);
    assert.strictEqual(gone[SESSION], undefined);
    assert.strictEqual(gone[HINT], undefined);
  }
  // A hint that is not this session's (planted, or another sign-in's) is not sent.
  const other = await mint('');
  const res = await run(SIGN_OUT, { method: 'POST', cookie: cookieHeader(cookies) + '; ' + HINT + '=' + other, headers: { Origin: SITE } });
  assert.strictEqual(new URL(hdr(res, 'location')[0]).searchParams.get('id_token_hint'), null);
});

test('the JWKS is cached for an hour and refetched for an unknown kid at most once a minute', async () => {
  await signIn('/');
  const before = await jwksFetches();
  for (let i = 0; i < 3; i++) assert.strictEqual((await signIn('/')).res.status, '302');
  for (const v of ['rotated', 'rotated', 'kid-proto', 'kid-tostring']) assert.strictEqual((await signIn('/', v)).res.status, '401', v);
  assert.ok(await jwksFetches() - before <= 1, 'unknown kids refetched the JWKS more than once a minute');
  await provider('/test/rotate', { method: 'POST' });
  assert.strictEqual((await signIn('/', 'rotated')).res.status, '401', 'within the minute, the new key is not fetched yet');
  offset += 61;
  const atRotation = await jwksFetches();
  assert.strictEqual((await signIn('/', 'rotated')).res.status, '302', 'a minute later the new key is found');
  assert.strictEqual(await jwksFetches(), atRotation + 1);
  await signIn('/');
  assert.strictEqual(await jwksFetches(), atRotation + 1, 'known keys are not refetched');
  offset += 3601;
  await signIn('/');
  assert.strictEqual(await jwksFetches(), atRotation + 2, 'after an hour the JWKS is fetched again');
});

test('secrets come from Secrets Manager by ARN (the session key by version), once per instance', async () => {
  const fs = require('node:fs');
  const calls = global.secretsManagerCalls || [];
  if (mode === 'preview') {
    assert.deepStrictEqual(calls, [], 'the preview reads no secret');
    return;
  }
  const key = calls.filter((c) => c.secretId === config.sessionKeyArn);
  assert.deepStrictEqual(key, [{ region: 'us-east-1', secretId: config.sessionKeyArn, versionId: config.sessionKeyVersion }]);
  const client = calls.filter((c) => c.secretId === config.clientSecretArn);
  assert.strictEqual(client.length, mode === 'confidential' ? 1 : 0);
  for (const f of fs.readdirSync(dir)) {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.ok(!text.includes(process.env.FAKE_CLIENT_SECRET) && !text.includes(process.env.FAKE_SESSION_KEY), f);
  }
});

test('failing to reach AWS or the provider answers a generic 502 and logs the detail', { skip: mode === 'preview' }, async () => {
  const fresh = load(); // a new instance: nothing cached
  global.secretsManagerFail = 'AccessDeniedException: User: arn:aws:sts::123456789012:assumed-role/edge/x is not authorized';
  const logged = [];
  const error = console.error;
  console.error = (...args) => logged.push(args.join(' '));
  try {
    const now = Math.floor(Date.now() / 1000);
    const res = await fresh.handler(event('/_dash-layout', { accept: 'application/json',
      cookie: SESSION + '=' + seal({ v: 1, sub: 'u-1', exp: now + 600, email: 'alice@example.com' }) }));
    assert.strictEqual(res.status, '502');
    assert.ok(!/arn:|AccessDenied|Error/.test(res.body), res.body);
    assert.ok(logged.some((l) => l.includes('AccessDeniedException')), 'the detail is logged');
  } finally {
    console.error = error;
    delete global.secretsManagerFail;
  }
});
