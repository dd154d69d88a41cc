// OpenDash viewer-request CloudFront Function (runtime cloudfront-js-2.0), body shared by every use. Go's
// edgeauth.Source puts the module imports and the CONFIG line above it, one variant per use:
//  - CONFIG.forwardHost (server behaviors): the origin request policy AllViewerExceptHostHeader drops the
//    viewer's Host (a Lambda function URL routes by Host), so it is copied to X-Forwarded-Host, where the app
//    reads it. A viewer's own X-Forwarded-Host is always replaced, never trusted. Likewise the viewer's
//    Authorization is copied to X-Forwarded-Authorization: an origin request policy never forwards
//    Authorization (https://repost.aws/knowledge-center/cloudfront-authorization-header), the origin gets
//    AWS's signature there instead (the edge signer's, or CloudFront's OAC), so an app that checks its own credentials (dash-auth's
//    BasicAuth, a Flask before_request) finds them there; opendash_handler.py hands them back to it as
//    Authorization. Not with basic auth at the edge: then the header was CloudFront's, not the app's.
//  - CONFIG.basic (auth.basic on, every behavior): the request goes on only with an Authorization header
//    whose user is in the associated KeyValueStore and whose password matches the stored salted hash
//    ("v1$<salt>$<hex HMAC-SHA256 of the password keyed by the salt>"); anything else answers 401. It runs
//    before CloudFront's cache, so cached static files are never served to an anonymous viewer. A header
//    over MAX_AUTHORIZATION characters is refused before it is decoded.
//  - Always: headers named X-OpenDash-* are the edge's to set (the OIDC sign-in puts the signed-in user's
//    identity there); a viewer's own copies are deleted so that no app can be told a forged identity.
var MAX_AUTHORIZATION = 1024;
var IDENTITY_PREFIX = 'x-opendash-';

async function handler(event) {
    var request = event.request;
    for (var name in request.headers) {
        if (name.slice(0, IDENTITY_PREFIX.length) === IDENTITY_PREFIX) {
            delete request.headers[name];
        }
    }
    if (CONFIG.basic && !(await authorized(request.headers.authorization))) {
        return {
            statusCode: 401,
            statusDescription: 'Unauthorized',
            headers: {
                'www-authenticate': { value: 'Basic realm="' + CONFIG.basic.realm + '"' },
                'cache-control': { value: 'no-store' },
            },
        };
    }
    if (CONFIG.forwardHost) {
        var host = request.headers.host;
        if (host && host.value) {
            request.headers['x-forwarded-host'] = { value: host.value };
        } else {
            delete request.headers['x-forwarded-host'];
        }
        var auth = request.headers.authorization;
        if (auth && auth.value && !CONFIG.basic) {
            request.headers['x-forwarded-authorization'] = { value: auth.value };
        } else {
            delete request.headers['x-forwarded-authorization'];
        }
    }
    return request;
}

// authorized checks a Basic Authorization header against the KeyValueStore. Users and passwords are printable
// ASCII (the component refuses others), so the decoded bytes are the string hashed at deploy.
async function authorized(header) {
    if (!header || typeof header.value !== 'string' || header.value.length > MAX_AUTHORIZATION) {
        return false;
    }
    var m = /^Basic +([A-Za-z0-9+\/]+={0,2}) *$/i.exec(header.value);
    var pair = m ? base64Decode(m[1]) : null;
    if (pair === null || !/^[\x20-\x7e]+$/.test(pair)) {
        return false;
    }
    var colon = pair.indexOf(':');
    if (colon <= 0) {
        return false;
    }
    var stored = null;
    try {
        stored = await kvs.get(pair.slice(0, colon), { format: 'string' });
    } catch (e) {
        // Unknown user: get() rejects. Hash anyway so the answer takes as long as for a wrong password.
    }
    var parts = typeof stored === 'string' ? stored.split('$') : ['v1', 'unknown-user', ''];
    if (parts.length !== 3 || parts[0] !== 'v1') {
        return false;
    }
    var got = crypto.createHmac('sha256', parts[1]).update(pair.slice(colon + 1)).digest('hex');
    return stored !== null && sameString(got, parts[2]);
}

// sameString compares in time independent of where the strings first differ.
function sameString(a, b) {
    if (a.length !== b.length) {
        return false;
    }
    var diff = 0;
    for (var i = 0; i < a.length; i++) {
        diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
    }
    return diff === 0;
}

// base64Decode returns the decoded bytes as a string of char codes 0-255, or null when s is not base64.
function base64Decode(s) {
    var alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
    var body = s.replace(/=+$/, '');
    if (s.length % 4 !== 0 || body.length % 4 === 1) {
        return null;
    }
    var out = '';
    var bits = 0;
    var n = 0;
    for (var i = 0; i < body.length; i++) {
        bits = (bits << 6) | alphabet.indexOf(body.charAt(i));
        n += 6;
        if (n >= 8) {
            n -= 8;
            out += String.fromCharCode((bits >> n) & 0xff);
        }
    }
    return out;
}
