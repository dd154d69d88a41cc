// OpenDash OIDC sign-in: a Lambda@Edge viewer-request function (Node.js) on every behavior of a DashSite.
// Lambda@Edge has no environment variables: config.json beside this file is written at deploy time.
//  - A request with a valid session cookie (the provider's ID token: RS256 signature checked against the
//    provider's JWKS, issuer, audience, expiry, allowed email domains or groups) goes on, with the viewer's
//    Host copied to X-Forwarded-Host (the server behaviors' origin request policy drops Host).
//  - Otherwise a page navigation (Accept: text/html, GET) is sent to the provider's authorization endpoint
//    (authorization code + PKCE S256, state, nonce kept in a short-lived cookie); anything else answers 401.
//  - CALLBACK_PATH exchanges the code (PKCE; a client secret, when the client has one, is read from Secrets
//    Manager at run time, never from the code), checks state and nonce, sets the session cookie and returns
//    to the original path (a local path only: never an open redirect).
//  - SIGN_OUT_PATH clears the session and goes to the provider's end_session_endpoint when it has one.
'use strict';
const crypto = require('crypto');
const config = require('./config.json');

const CALLBACK_PATH = '/_opendash/callback';
const SIGN_OUT_PATH = '/_opendash/sign-out';
const SESSION = 'opendash-session';
const FLOW = 'opendash-flow';
const FLOW_MAX_AGE = 600; // seconds a sign-in may take at the provider
const CLOCK_SKEW = 60;
const ROOT_OBJECT = 'index.html'; // the distribution's default root object (component.RootObject) // seconds of clock difference tolerated on exp, iat and nbf

let provider = null; // discovery document, cached per instance
let keys = {}; // kid -> KeyObject
let keysFetchedAt = 0;
let clientSecret = null; // read once per instance, when config.clientSecretArn is set

exports.handler = async (event) => {
  const request = event.Records[0].cf.request;
  const host = header(request, 'host');
  try {
    if (request.uri === CALLBACK_PATH) {
      return await callback(request, host);
    }
    if (request.uri === SIGN_OUT_PATH) {
      return await signOut(host);
    }
    const session = cookies(request)[SESSION];
    if (session && (await verify(session, null)).ok) {
      request.headers['x-forwarded-host'] = [{ key: 'X-Forwarded-Host', value: host }];
      return request;
    }
    return await challenge(request);
  } catch (err) {
    console.error('opendash auth:', err);
    return respond(502, 'Sign-in is unavailable: ' + (err && err.message));
  }
};

// challenge starts a sign-in for page navigations and refuses everything else.
async function challenge(request) {
  const accept = header(request, 'accept');
  if (request.method !== 'GET' || !/text\/html/.test(accept)) {
    return respond(401, 'Sign in first.');
  }
  const p = await discover();
  const flow = { s: random(), n: random(), v: random() + random(), r: localPath(request.uri, request.querystring) };
  const challengeS256 = crypto.createHash('sha256').update(flow.v).digest('base64url');
  const q = new URLSearchParams({
    response_type: 'code', client_id: config.clientId, redirect_uri: redirectUri(header(request, 'host')),
    scope: config.scopes.join(' '), state: flow.s, nonce: flow.n,
    code_challenge: challengeS256, code_challenge_method: 'S256',
  });
  return redirect(p.authorization_endpoint + (p.authorization_endpoint.includes('?') ? '&' : '?') + q,
    [cookie(FLOW, Buffer.from(JSON.stringify(flow)).toString('base64url'), FLOW_MAX_AGE)]);
}

// callback finishes a sign-in: state from this browser's flow cookie, code exchanged with its PKCE verifier.
async function callback(request, host) {
  const q = new URLSearchParams(request.querystring || '');
  const clearFlow = cookie(FLOW, '', 0);
  let flow;
  try {
    flow = JSON.parse(Buffer.from(cookies(request)[FLOW] || '', 'base64url').toString());
  } catch (e) {
    flow = null;
  }
  if (!flow || typeof flow.s !== 'string' || !q.get('state') || !same(q.get('state'), flow.s)) {
    return respond(401, 'This sign-in link is stale or was not started here; open the site again.', [clearFlow]);
  }
  if (!q.get('code')) {
    return respond(401, 'The provider refused the sign-in: ' + (q.get('error') || 'no code'), [clearFlow]);
  }
  const p = await discover();
  const headers = { 'content-type': 'application/x-www-form-urlencoded' };
  const secret = await readClientSecret();
  if (secret !== null) {
    // client_secret_basic (RFC 6749 2.3.1): both parts form-encoded before base64.
    const form = (x) => encodeURIComponent(x).replace(/%20/g, '+');
    headers.authorization = 'Basic ' + Buffer.from(form(config.clientId) + ':' + form(secret)).toString('base64');
  }
  const res = await fetch(p.token_endpoint, {
    method: 'POST',
    headers,
    body: new URLSearchParams({
      grant_type: 'authorization_code', code: q.get('code'), redirect_uri: redirectUri(host),
      client_id: config.clientId, code_verifier: flow.v,
    }).toString(),
  });
  const tokens = res.ok ? await res.json() : {};
  const checked = tokens.id_token ? await verify(tokens.id_token, flow.n) : { ok: false, why: 'no ID token' };
  if (!checked.ok) {
    console.log('opendash auth: sign-in refused:', checked.why || 'token endpoint answered ' + res.status);
    return respond(401, 'Sign-in refused.', [clearFlow]);
  }
  const maxAge = Math.max(0, checked.claims.exp - now());
  return redirect(localPath(flow.r, ''), [clearFlow, cookie(SESSION, tokens.id_token, maxAge)]);
}

// readClientSecret fetches the client secret from Secrets Manager in the secret's region (the AWS SDK ships
// with Lambda's Node.js runtime); null for a public client.
async function readClientSecret() {
  if (!config.clientSecretArn) {
    return null;
  }
  if (clientSecret === null) {
    const { SecretsManagerClient, GetSecretValueCommand } = require('@aws-sdk/client-secrets-manager');
    const sm = new SecretsManagerClient({ region: config.clientSecretArn.split(':')[3] });
    const out = await sm.send(new GetSecretValueCommand({ SecretId: config.clientSecretArn }));
    clientSecret = out.SecretString;
  }
  return clientSecret;
}

async function signOut(host) {
  const p = await discover();
  const gone = [cookie(SESSION, '', 0)];
  if (!p.end_session_endpoint) {
    return respond(200, 'Signed out.', gone);
  }
  const q = new URLSearchParams({ client_id: config.clientId, post_logout_redirect_uri: siteURL(host) + '/' });
  return redirect(p.end_session_endpoint + (p.end_session_endpoint.includes('?') ? '&' : '?') + q, gone);
}

// verify checks an ID token; nonce is checked when given (at the callback).
async function verify(token, nonce) {
  const parts = String(token).split('.');
  if (parts.length !== 3) {
    return { ok: false, why: 'not a JWT' };
  }
  let head, claims;
  try {
    head = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
  } catch (e) {
    return { ok: false, why: 'undecodable JWT' };
  }
  if (head.alg !== 'RS256') {
    return { ok: false, why: 'alg ' + head.alg + ' is not RS256' };
  }
  const key = await keyFor(head.kid);
  const signed = key && crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]), key,
    Buffer.from(parts[2], 'base64url'));
  const t = now();
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const why = !signed ? 'bad signature'
    : claims.iss !== config.issuer ? 'issuer ' + claims.iss
    : !aud.includes(config.clientId) ? 'audience ' + claims.aud
    : aud.length > 1 && claims.azp !== config.clientId ? 'authorized party ' + claims.azp
    : typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW < t ? 'expired'
    : typeof claims.nbf === 'number' && claims.nbf - CLOCK_SKEW > t ? 'not yet valid'
    : nonce !== null && (typeof claims.nonce !== 'string' || !same(claims.nonce, nonce)) ? 'nonce'
    : !allowed(claims) ? 'user not allowed: ' + (claims.email || claims.sub)
    : '';
  return why ? { ok: false, why } : { ok: true, claims };
}

// allowed applies the allowed email domains and groups (either list admits; no lists admit every user).
function allowed(claims) {
  const domains = config.allowedEmailDomains || [];
  const groups = config.allowedGroups || [];
  if (!domains.length && !groups.length) {
    return true;
  }
  const email = typeof claims.email === 'string' ? claims.email.toLowerCase() : '';
  const domain = email.slice(email.lastIndexOf('@') + 1);
  if (email.includes('@') && claims.email_verified !== false && domains.includes(domain)) {
    return true;
  }
  const has = [].concat(claims['cognito:groups'] || [], claims.groups || []);
  return groups.some((g) => has.includes(g));
}

async function discover() {
  if (!provider) {
    const res = await fetch(config.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
    if (!res.ok) {
      throw new Error('discovery answered ' + res.status);
    }
    const doc = await res.json();
    if (doc.issuer !== config.issuer) {
      throw new Error('discovery names issuer ' + doc.issuer + ', configured ' + config.issuer);
    }
    provider = doc;
  }
  return provider;
}

// keyFor finds a signing key by kid, fetching the JWKS again (at most once a minute) for an unknown kid.
async function keyFor(kid) {
  if (!keys[kid] && now() - keysFetchedAt > 60) {
    const p = await discover();
    const res = await fetch(p.jwks_uri);
    if (!res.ok) {
      throw new Error('JWKS answered ' + res.status);
    }
    keysFetchedAt = now();
    keys = {};
    for (const jwk of (await res.json()).keys || []) {
      if (jwk.kty === 'RSA' && (!jwk.use || jwk.use === 'sig')) {
        keys[jwk.kid] = crypto.createPublicKey({ key: jwk, format: 'jwk' });
      }
    }
  }
  return keys[kid] || null;
}

// localPath keeps a return path on this site: one leading '/', never '//' or '/\' (a protocol-relative URL).
// "/" may reach the function already rewritten to the default root object (the preview does so, and we read
// CloudFront's docs the same way); the viewer asked for "/", and a Dash router must see "/".
function localPath(uri, querystring) {
  let path = typeof uri === 'string' && /^\/(?![\/\\])[^\s]*$/.test(uri) ? uri : '/';
  if (path === '/' + ROOT_OBJECT) {
    path = '/';
  }
  return querystring ? path + '?' + querystring : path;
}

// siteURL is the viewer's origin: always https behind CloudFront (config.scheme is set only by the local
// preview, which serves http).
function siteURL(host) {
  return (config.scheme || 'https') + '://' + host;
}

function redirectUri(host) {
  return siteURL(host) + CALLBACK_PATH;
}

function header(request, name) {
  const h = request.headers[name];
  return h && h[0] ? h[0].value : '';
}

function cookies(request) {
  const out = {};
  for (const h of request.headers.cookie || []) {
    for (const part of h.value.split(';')) {
      const i = part.indexOf('=');
      if (i > 0) {
        out[part.slice(0, i).trim()] = part.slice(i + 1).trim();
      }
    }
  }
  return out;
}

function cookie(name, value, maxAge) {
  return name + '=' + value + '; Path=/; Max-Age=' + maxAge + '; Secure; HttpOnly; SameSite=Lax';
}

function redirect(location, setCookies) {
  return respond(302, '', setCookies, location);
}

function respond(status, body, setCookies, location) {
  const headers = {
    'cache-control': [{ key: 'Cache-Control', value: 'no-store' }],
    'content-type': [{ key: 'Content-Type', value: 'text/plain; charset=utf-8' }],
  };
  if (location) {
    headers.location = [{ key: 'Location', value: location }];
  }
  if (setCookies && setCookies.length) {
    headers['set-cookie'] = setCookies.map((value) => ({ key: 'Set-Cookie', value }));
  }
  return { status: String(status), headers, body };
}

function random() {
  return crypto.randomBytes(32).toString('base64url');
}

function same(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function now() {
  return Math.floor(Date.now() / 1000);
}
