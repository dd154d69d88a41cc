// The OpenID Connect provider as the sign-in function (index.js) sees it: its discovery document and JWKS,
// each cached for CACHE_MAX_AGE, and the checks of an ID token and of who may enter. Nothing a token says
// can make these throw: only failing to reach the provider does.
'use strict';
const crypto = require('crypto');
const config = require('./config.json');

const CLOCK_SKEW = 60; // seconds of clock difference tolerated on exp and nbf
const CACHE_MAX_AGE = 3600; // seconds the discovery document and the JWKS are trusted
const JWKS_REFETCH = 60; // an unknown kid refetches the JWKS at most this often

let provider = null; // { doc, at }: the discovery document
let keys = new Map(); // kid -> KeyObject: a Map, so that kid "__proto__" or "constructor" finds nothing
let keysAt = 0; // when the JWKS was last fetched (or tried)

module.exports = { CLOCK_SKEW, discover, verify, allowed, verifiedEmail, groupsOf, decodeJSON, same, now };

// verify checks an ID token at the callback: { claims } when it holds, else { why }.
async function verify(token, nonce) {
  const parts = token.split('.');
  const head = parts.length === 3 ? decodeJSON(parts[0]) : null;
  const claims = head ? decodeJSON(parts[1]) : null;
  if (!head || !claims) {
    return { why: 'not a JWT with JSON objects' };
  }
  if (head.alg !== 'RS256') {
    return { why: 'alg ' + short(head.alg) + ' is not RS256' };
  }
  const key = await keyFor(typeof head.kid === 'string' ? head.kid : '');
  let signed = false;
  try {
    signed = key !== null && crypto.verify('RSA-SHA256', Buffer.from(parts[0] + '.' + parts[1]), key,
      Buffer.from(parts[2], 'base64url'));
  } catch (err) {
    signed = false;
  }
  const t = now();
  const aud = Array.isArray(claims.aud) ? claims.aud : [claims.aud];
  const email = verifiedEmail(claims);
  const why = !signed ? 'bad signature or unknown key ' + short(head.kid)
    : claims.iss !== config.issuer ? 'issuer ' + short(claims.iss)
    // OpenID Connect Core 3.1.3.7: the client among the audiences, and no other audience we do not trust.
    : aud.length !== 1 || aud[0] !== config.clientId ? 'audience ' + short(claims.aud)
    : claims.azp !== undefined && claims.azp !== config.clientId ? 'authorized party ' + short(claims.azp)
    : typeof claims.exp !== 'number' || claims.exp + CLOCK_SKEW < t ? 'expired'
    : typeof claims.nbf === 'number' && claims.nbf - CLOCK_SKEW > t ? 'not yet valid'
    : typeof claims.nonce !== 'string' || !same(claims.nonce, nonce) ? 'nonce'
    : typeof claims.sub !== 'string' || !claims.sub || claims.sub.length > 255 ? 'no subject'
    : !allowed(email, groupsOf(claims)) ? 'user not allowed: ' + short(email || claims.sub)
    : '';
  return why ? { why } : { claims };
}

// allowed applies the allow-list: a verified email or its domain, or a group; or everyone when told so.
function allowed(email, groups) {
  if (config.allowAnyUser) {
    return true;
  }
  const domain = email.slice(email.lastIndexOf('@') + 1);
  return (email !== '' && (config.allowedEmails.includes(email) || config.allowedEmailDomains.includes(domain))) ||
    groups.some((g) => config.allowedGroups.includes(g));
}

// verifiedEmail is the lower-cased email when the provider vouches for it (email_verified true, or "true"
// as Cognito's userinfo sends it); missing, false, "false", 0 or null vouch for nothing. So is an "email" that
// is not one plain address: the allow-list reads the domain after the last '@', and a verified
// "mallory@evil.example,alice@example.com" (or one with a NUL or a space before "@example.com") was mailed
// to mallory too.
function verifiedEmail(claims) {
  const ok = claims.email_verified === true || claims.email_verified === 'true';
  return ok && typeof claims.email === 'string' && PLAIN_ADDRESS.test(claims.email) ? claims.email.toLowerCase() : '';
}

// One address: one '@' between a local part and a domain, none of them spaces, controls or the characters
// that separate, quote or comment addresses (RFC 5322), at most 254 characters (RFC 5321's path limit).
// Letters beyond ASCII stay allowed (RFC 6531).
const PLAIN_ADDRESS = /^(?=.{3,254}$)[^\s\p{Cc}@"(),:;<>[\]\\]+@[^\s\p{Cc}@"(),:;<>[\]\\]+$/u;

function groupsOf(claims) {
  return [].concat(claims['cognito:groups'] || [], claims.groups || []).filter((g) => typeof g === 'string' && g);
}

async function discover() {
  if (!provider || now() - provider.at > CACHE_MAX_AGE) {
    try {
      const res = await fetch(config.issuer.replace(/\/$/, '') + '/.well-known/openid-configuration');
      if (!res.ok) {
        throw new Error('discovery answered ' + res.status);
      }
      const doc = await res.json();
      if (!doc || doc.issuer !== config.issuer || typeof doc.authorization_endpoint !== 'string' ||
          typeof doc.token_endpoint !== 'string' || typeof doc.jwks_uri !== 'string') {
        throw new Error('the discovery document names issuer ' + short(doc && doc.issuer) + ' (configured ' +
          config.issuer + ') or lacks an endpoint');
      }
      provider = { doc, at: now() };
    } catch (err) {
      if (!provider) {
        throw err;
      }
      console.error('opendash auth: keeping the discovery document of', provider.at, err);
    }
  }
  return provider.doc;
}

// keyFor finds a signing key by kid, refetching the JWKS after CACHE_MAX_AGE, or for an unknown kid at most
// once every JWKS_REFETCH seconds.
async function keyFor(kid) {
  const before = keysAt;
  if (now() - before > CACHE_MAX_AGE || (!keys.has(kid) && now() - before > JWKS_REFETCH)) {
    keysAt = now();
    try {
      const res = await fetch((await discover()).jwks_uri);
      if (!res.ok) {
        throw new Error('JWKS answered ' + res.status);
      }
      const fresh = new Map();
      for (const jwk of (await res.json()).keys || []) {
        if (jwk && jwk.kty === 'RSA' && (!jwk.use || jwk.use === 'sig')) {
          try {
            fresh.set(typeof jwk.kid === 'string' ? jwk.kid : '', crypto.createPublicKey({ key: jwk, format: 'jwk' }));
          } catch (err) {
            console.error('opendash auth: skipping an unreadable JWKS key', short(jwk.kid));
          }
        }
      }
      keys = fresh;
    } catch (err) {
      if (!keys.size) {
        throw err;
      }
      console.error('opendash auth: keeping the JWKS fetched at', before, err);
    }
  }
  return keys.get(kid) || null;
}

function decodeJSON(b64url) {
  try {
    const v = JSON.parse(Buffer.from(b64url, 'base64url').toString());
    return v && typeof v === 'object' && !Array.isArray(v) ? v : null;
  } catch (err) {
    return null;
  }
}

// short is a claim as the log shows it: JSON, cut to 100 characters.
function short(v) {
  const s = JSON.stringify(v === undefined ? null : v);
  return s.length > 100 ? s.slice(0, 100) + '...' : s;
}

function same(a, b) {
  const x = Buffer.from(String(a));
  const y = Buffer.from(String(b));
  return x.length === y.length && crypto.timingSafeEqual(x, y);
}

function now() {
  return Math.floor(Date.now() / 1000);
}
