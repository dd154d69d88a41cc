// OpenDash OIDC sign-in: a Lambda@Edge viewer-request function (Node.js) on every behavior of a DashSite.
// Lambda@Edge has no environment variables: config.json beside this file is written at deploy time.
//  - A request with a valid session goes on. The session is a cookie of our own (subject, verified email,
//    groups, expiry), signed with HMAC-SHA256 under a key kept in Secrets Manager (read by version, once per
//    instance): never the provider's raw ID token, so it stays small. It is checked against the allow-list
//    on every request. The request goes on with the viewer's Host in X-Forwarded-Host, the viewer's own
//    Authorization in X-Forwarded-Authorization (for an app with a login of its own), the identity in
//    X-OpenDash-User-* (any copy the viewer sent is deleted first) and without our cookies.
//  - A request with more than one session cookie is refused: the app must never read another than we did.
//  - Otherwise a page navigation (Accept: text/html, GET) is sent to the provider's authorization endpoint
//    (authorization code + PKCE S256, state, nonce kept in a short-lived cookie); anything else answers 401.
//  - CALLBACK_PATH exchanges the code (PKCE; a client secret, when the client has one, is read from Secrets
//    Manager at run time, never from the code), checks the ID token (RS256 against the provider's JWKS,
//    issuer, audience, authorized party, expiry, nonce, allow-list), sets the session and returns to the
//    original path (a local path only: never an open redirect).
//  - SIGN_OUT_PATH shows a page with a sign-out button (GET); its POST, from this site's own page only, clears
//    the session and goes to the provider's end_session_endpoint when it has one.
// Any failure to verify is "not signed in"; a failure to reach AWS or the provider answers a generic 502,
// with the detail in the function's log.
'use strict';
const crypto = require('crypto');
const config = require('./config.json');
const { CLOCK_SKEW, discover, verify, allowed, verifiedEmail, groupsOf, decodeJSON, same, now } = require('./provider.js');

const CALLBACK_PATH = '/_opendash/callback';
const SIGN_OUT_PATH = '/_opendash-sign-out'; // a server behavior: CloudFront refuses POST on /_opendash/* (S3)
const OLD_SIGN_OUT_PATH = '/_opendash/sign-out'; // earlier versions' GET link: sent to SIGN_OUT_PATH
const ROOT_OBJECT = 'index.html'; // the distribution's default root object (component.RootObject)
// Cookies: __Host- (Secure, Path=/, no Domain) so that no sibling subdomain can plant one; the local preview
// serves http, where browsers drop Secure cookies, so it uses plain names.
const SECURE = config.scheme !== 'http';
const SESSION = (SECURE ? '__Host-' : '') + 'opendash-session';
const FLOW = (SECURE ? '__Host-' : '') + 'opendash-flow';
const HINT = (SECURE ? '__Secure-' : '') + 'opendash-hint'; // the ID token for sign-out, sent to SIGN_OUT_PATH only
const OLD_SESSION = 'opendash-session'; // earlier versions' session (a raw ID token): cleared at sign-in
const OUR_COOKIES = new Set([SESSION, FLOW, HINT, OLD_SESSION, 'opendash-flow']);
const IDENTITY_PREFIX = 'x-opendash-';
const FLOW_MAX_AGE = 600; // seconds a sign-in may take at the provider
const SESSION_MAX_AGE = 12 * 3600; // a session ends with its ID token, and after 12 hours at most
const MAX_RETURN_PATH = 1024; // longer return paths lose their query (the flow cookie must fit in 4 KB)
const MAX_GROUPS = 1500; // bytes of groups kept in the session (and its header); allowed groups come first
const MAX_HINT = 3000; // a longer ID token is not kept for sign-out (the cookie would be dropped)
const secrets = new Map(); // "arn@version" -> value, read once per instance

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const host = header(request, 'host');
  try {
    if (request.uri === CALLBACK_PATH) {
      return await callback(request, host);
    }
    if (request.uri === SIGN_OUT_PATH) {
      return await signOut(request, host);
    }
    if (request.uri === OLD_SIGN_OUT_PATH) {
      return respond(302, '', { location: SIGN_OUT_PATH });
    }
    const found = cookieValues(request, SESSION);
    if (found.length > 1) {
      return respond(400, 'More than one session cookie: clear this site\'s cookies, then open it again.',
        { cookies: [cookie(SESSION, '', 0)] });
    }
    const session = found.length === 1 ? await readSession(found[0], false) : null;
    if (session && allowed(session.email || '', session.groups || [])) {
      return pass(request, host, session);
    }
    return await challenge(request);
  } catch (err) {
    console.error('opendash auth: failed:', err);
    return respond(502, 'Sign-in is unavailable right now; try again in a minute.');
  }
};

// pass hands the request on with what the app may trust, set here and nowhere else.
function pass(request, host, session) {
  const h = request.headers;
  for (const name of Object.keys(h)) {
    if (name.startsWith(IDENTITY_PREFIX)) {
      delete h[name];
    }
  }
  h['x-forwarded-host'] = [{ key: 'X-Forwarded-Host', value: host }];
  const auth = header(request, 'authorization');
  if (auth) {
    h['x-forwarded-authorization'] = [{ key: 'X-Forwarded-Authorization', value: auth }];
  } else {
    delete h['x-forwarded-authorization'];
  }
  const set = (key, value) => { h[key.toLowerCase()] = [{ key, value }]; };
  set('X-OpenDash-User-Subject', headerValue(session.sub));
  if (session.email) {
    set('X-OpenDash-User-Email', headerValue(session.email));
  }
  if (session.groups && session.groups.length) {
    set('X-OpenDash-User-Groups', session.groups.map(headerValue).join(','));
  }
  if (session.more) {
    set('X-OpenDash-User-Groups-Truncated', 'true');
  }
  const kept = [];
  for (const c of h.cookie || []) {
    const rest = c.value.split(';').filter((part) => !OUR_COOKIES.has(part.split('=')[0].trim()));
    if (rest.join('').trim()) {
      kept.push({ key: c.key || 'Cookie', value: rest.map((p) => p.trim()).join('; ') });
    }
  }
  if (kept.length) {
    h.cookie = kept;
  } else {
    delete h.cookie;
  }
  return request;
}

// challenge starts a sign-in for page navigations and refuses everything else.
async function challenge(request) {
  if (request.method !== 'GET' || !/text\/html/.test(header(request, 'accept'))) {
    return respond(401, 'Sign in first.');
  }
  const p = await discover();
  const flow = { s: random(), n: random(), v: random() + random(), r: localPath(request.uri, request.querystring) };
  const q = new URLSearchParams({
    response_type: 'code', client_id: config.clientId, redirect_uri: siteURL(header(request, 'host')) + CALLBACK_PATH,
    scope: config.scopes.join(' '), state: flow.s, nonce: flow.n,
    code_challenge: crypto.createHash('sha256').update(flow.v).digest('base64url'), code_challenge_method: 'S256',
  });
  return respond(302, '', { location: withQuery(p.authorization_endpoint, q),
    cookies: [cookie(FLOW, Buffer.from(JSON.stringify(flow)).toString('base64url'), FLOW_MAX_AGE)] });
}

// callback finishes a sign-in: state from this browser's flow cookie, code exchanged with its PKCE verifier.
async function callback(request, host) {
  const q = new URLSearchParams(request.querystring || '');
  const clearFlow = cookie(FLOW, '', 0);
  const flows = cookieValues(request, FLOW);
  const flow = flows.length === 1 ? decodeJSON(flows[0]) : null;
  if (!flow || typeof flow.s !== 'string' || typeof flow.n !== 'string' || typeof flow.v !== 'string' ||
      !q.get('state') || !same(q.get('state'), flow.s)) {
    return respond(401, 'This sign-in link is stale or was not started here; open the site again.', { cookies: [clearFlow] });
  }
  if (!q.get('code')) {
    const error = /^[A-Za-z0-9_.-]{1,64}$/.test(q.get('error') || '') ? q.get('error') : 'no code';
    return respond(401, 'The provider refused the sign-in: ' + error, { cookies: [clearFlow] });
  }
  const p = await discover();
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  if (config.clientSecretArn) {
    // client_secret_basic (RFC 6749 2.3.1): both parts form-encoded before base64.
    const form = (x) => encodeURIComponent(x).replace(/%20/g, '+');
    const secret = await readSecret(config.clientSecretArn, '');
    headers.authorization = 'Basic ' + Buffer.from(form(config.clientId) + ':' + form(secret)).toString('base64');
  }
  const res = await fetch(p.token_endpoint, {
    method: 'POST',
    headers,
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: siteURL(host) + CALLBACK_PATH,
      client_id: config.clientId, code_verifier: flow.v,
    }).toString(),
  });
  const tokens = res.ok ? await res.json().catch(() => ({})) : {};
  const idToken = tokens && typeof tokens.id_token === 'string' ? tokens.id_token : '';
  const checked = idToken ? await verify(idToken, flow.n) : { why: 'no ID token (token endpoint answered ' + res.status + ')' };
  if (!checked.claims) {
    console.log('opendash auth: sign-in refused:', checked.why);
    return respond(401, 'Sign-in refused.', { cookies: [clearFlow, cookie(SESSION, '', 0)] });
  }
  const claims = checked.claims;
  // At least a minute: a token within the tolerated clock skew of its expiry still makes a usable session.
  const exp = Math.max(Math.min(claims.exp, now() + SESSION_MAX_AGE), now() + CLOCK_SKEW);
  const session = { v: 1, sub: claims.sub, exp, ...boundedGroups(groupsOf(claims)) };
  const email = verifiedEmail(claims);
  if (email) {
    session.email = email;
  }
  const set = [clearFlow];
  if (idToken.length <= MAX_HINT) {
    session.h = digest(idToken); // binds the hint cookie to this session
    set.push(cookie(HINT, idToken, exp - now(), SIGN_OUT_PATH));
  }
  set.push(cookie(SESSION, await seal(session), exp - now()));
  if (SECURE) {
    set.push(cookie(OLD_SESSION, '', 0));
  }
  return respond(302, '', { location: localPath(flow.r, ''), cookies: set });
}

// signOut: GET shows a page whose button POSTs here; the POST must come from this site's own page.
async function signOut(request, host) {
  if (request.method !== 'POST') {
    return respond(200, SIGN_OUT_PAGE, { html: true });
  }
  const origin = header(request, 'origin');
  const fetchSite = header(request, 'sec-fetch-site');
  if (origin ? origin !== siteURL(host) : fetchSite !== 'same-origin') {
    return respond(403, 'Sign-out is only accepted from this site\'s own sign-out page: open ' + SIGN_OUT_PATH + '.');
  }
  const gone = [cookie(SESSION, '', 0), cookie(HINT, '', 0, SIGN_OUT_PATH)];
  let p = null;
  try {
    p = await discover();
  } catch (err) {
    console.error('opendash auth: sign-out without the provider:', err);
  }
  if (!p || !p.end_session_endpoint) {
    return respond(200, 'Signed out.', { cookies: gone });
  }
  const q = new URLSearchParams({ client_id: config.clientId, post_logout_redirect_uri: siteURL(host) + '/' });
  const hint = await signOutHint(request);
  if (hint) {
    q.set('id_token_hint', hint);
  }
  return respond(303, '', { location: withQuery(p.end_session_endpoint, q), cookies: gone });
}

// signOutHint is the ID token kept for sign-out, when it belongs to this browser's (possibly expired) session.
async function signOutHint(request) {
  const sessions = cookieValues(request, SESSION);
  const hints = cookieValues(request, HINT);
  try {
    const session = sessions.length === 1 ? await readSession(sessions[0], true) : null;
    return session && session.h && hints.length === 1 && same(digest(hints[0]), session.h) ? hints[0] : '';
  } catch (err) {
    console.error('opendash auth: sign-out without id_token_hint:', err);
    return '';
  }
}

const SIGN_OUT_PAGE = '<!doctype html><html><head><meta charset="utf-8"><title>Sign out</title>' +
  '<meta name="viewport" content="width=device-width"></head><body style="font-family:sans-serif;margin:3em">' +
  '<form method="post" action="' + SIGN_OUT_PATH + '"><button type="submit" style="font-size:1.2em">Sign out</button>' +
  '</form></body></html>';

// seal signs a session; readSession returns it when the signature holds and it has not expired (or, for
// sign-out, even when it has), else null.
async function seal(session) {
  const payload = Buffer.from(JSON.stringify(session)).toString('base64url');
  return payload + '.' + crypto.createHmac('sha256', await sessionKey()).update(payload).digest('base64url');
}

async function readSession(value, expiredToo) {
  const dot = value.indexOf('.');
  if (dot <= 0) {
    return null;
  }
  const payload = value.slice(0, dot);
  const mac = crypto.createHmac('sha256', await sessionKey()).update(payload).digest('base64url');
  if (!same(value.slice(dot + 1), mac)) {
    return null;
  }
  const s = decodeJSON(payload);
  const ok = s && s.v === 1 && typeof s.sub === 'string' && typeof s.exp === 'number' && (expiredToo || s.exp > now());
  return ok ? s : null;
}

async function sessionKey() {
  if (config.sessionKey) {
    return config.sessionKey; // the local preview's, made for the run
  }
  if (!config.sessionKeyArn) {
    throw new Error('config.json names no session key');
  }
  return readSecret(config.sessionKeyArn, config.sessionKeyVersion || '');
}

// readSecret fetches a secret (one version of it, when given) from Secrets Manager in its own region, once
// per instance (the AWS SDK ships with Lambda's Node.js runtime).
async function readSecret(arn, versionId) {
  const id = arn + '@' + versionId;
  if (!secrets.has(id)) {
    const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({ region: arn.split(':')[3] });
    const input = versionId ? { SecretId: arn, VersionId: versionId } : { SecretId: arn };
    const out = await sm.send(new GetSecretValueCommand(input));
    if (typeof out.SecretString !== 'string' || !out.SecretString) {
      throw new Error('secret ' + arn + ' has no string value');
    }
    secrets.set(id, out.SecretString);
  }
  return secrets.get(id);
}

// boundedGroups keeps the session small: the allowed groups first, then the others in order, up to
// MAX_GROUPS bytes of header; more: true when some were left out.
function boundedGroups(all) {
  const ordered = [...new Set([...all.filter((g) => config.allowedGroups.includes(g)), ...all])];
  const groups = [];
  let size = 0;
  for (const g of ordered) {
    size += headerValue(g).length + 1;
    if (size > MAX_GROUPS) {
      return { groups, more: true };
    }
    groups.push(g);
  }
  return { groups };
}

// localPath keeps a return path on this site: one leading '/', never '//' or '/\' (a protocol-relative URL),
// at most MAX_RETURN_PATH characters (else the query is dropped, or the path). "/" may reach the function
// already rewritten to the default root object; the viewer asked for "/", and a Dash router must see "/".
function localPath(uri, querystring) {
  let path = typeof uri === 'string' && /^\/(?![\/\\])[^\s]*$/.test(uri) && uri.length <= MAX_RETURN_PATH ? uri : '/';
  if (path === '/' + ROOT_OBJECT) {
    path = '/';
  }
  const full = querystring ? path + '?' + querystring : path;
  return full.length <= MAX_RETURN_PATH ? full : path;
}

// siteURL is the viewer's origin: always https behind CloudFront (config.scheme is set only by the local
// preview, which serves http).
function siteURL(host) {
  return (config.scheme || 'https') + '://' + host;
}

function withQuery(url, q) {
  return url + (url.includes('?') ? '&' : '?') + q;
}

function header(request, name) {
  const h = request.headers[name];
  return h && h[0] ? h[0].value : '';
}

// headerValue percent-encodes (UTF-8) what a header cannot carry as is, and '%' and ',' (the groups' separator):
// Python's urllib.parse.unquote gives back the text.
function headerValue(s) {
  return String(s).replace(/[^\x21-\x24\x26-\x2b\x2d-\x7e]/gu, (c) => {
    try {
      return encodeURIComponent(c);
    } catch (err) {
      return '%EF%BF%BD'; // a lone surrogate: U+FFFD
    }
  });
}

function cookieValues(request, name) {
  const out = [];
  for (const h of request.headers.cookie || []) {
    for (const part of h.value.split(';')) {
      const i = part.indexOf('=');
      if (i > 0 && part.slice(0, i).trim() === name) {
        out.push(part.slice(i + 1).trim());
      }
    }
  }
  return out;
}

function cookie(name, value, maxAge, path) {
  return name + '=' + value + '; Path=' + (path || '/') + '; Max-Age=' + Math.max(0, maxAge) +
    (SECURE ? '; Secure' : '') + '; HttpOnly; SameSite=Lax';
}

function respond(status, body, { cookies, location, html } = {}) {
  const headers = {
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    'content-type': [{ key: 'Content-Type', value: html ? 'text/html; charset=utf-8' : 'text/plain; charset=utf-8' }],
    'x-content-type-options': [{ key: 'X-Content-Type-Options', value: 'nosniff' }],
  };
  if (html) {
    headers['content-security-policy'] = [{ key: 'Content-Security-Policy',
      value: "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'" }];
  }
  if (location) {
    headers.location = [{ key: 'Location', value: location }];
  }
  if (cookies && cookies.length) {
    headers['set-cookie'] = cookies.map((value) => ({ key: 'Set-Cookie', value }));
  }
  return { status: String(status), headers, body };
}

function digest(s) {
  return crypto.createHash('sha256').update(s).digest('base64url');
}

function random() {
  return crypto.randomBytes(32).toString('base64url');
}
