// OpenDash body hash. A Lambda function URL behind CloudFront origin access control refuses a request with a
// body unless the viewer sends x-amz-content-sha256, the hex SHA-256 of the exact bytes of the body (CloudFront
// signs the request but never hashes the body itself). This script is loaded before Dash's renderer and adds
// that header to the page's same-origin requests that carry a body, through fetch and XMLHttpRequest. It
// changes nothing else: the bytes sent are the bytes hashed. Behind the Lambda@Edge signer it is harmless (the
// signer recomputes the hash). Left alone: synchronous XMLHttpRequest and Document bodies, and requests
// to other origins; a request whose hashing fails goes out unchanged.
(function (root) {
  'use strict';
  var HEADER = 'x-amz-content-sha256';
  if (!root || root.__opendashBodyHash || !root.crypto || !root.crypto.subtle) {
    return; // crypto.subtle exists on https and localhost pages only
  }
  root.__opendashBodyHash = true;

  function hex(buffer) {
    var bytes = new Uint8Array(buffer), out = '';
    for (var i = 0; i < bytes.length; i++) {
      out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
    }
    return out;
  }

  function sha256(buffer) {
    return root.crypto.subtle.digest('SHA-256', buffer).then(hex);
  }

  function sameOrigin(url) {
    try {
      return new URL(url, root.location.href).origin === root.location.origin;
    } catch (e) {
      return false;
    }
  }

  function bodyless(method) {
    return method === 'GET' || method === 'HEAD';
  }

  var originalFetch = root.fetch;
  if (typeof originalFetch === 'function' && typeof root.Request === 'function') {
    root.fetch = function (input, init) {
      var request;
      try {
        request = new root.Request(input, init);
      } catch (e) {
        return originalFetch.apply(this, arguments); // let fetch report its own error
      }
      // From here on `request` stands for (input, init): building it used up the body of a Request input.
      if (bodyless(request.method) || !sameOrigin(request.url)) {
        return originalFetch.call(this, request);
      }
      var self = this;
      // A Request serialises every body type (strings, Blob, ArrayBuffer, FormData with its boundary,
      // URLSearchParams, streams) into the bytes fetch would send; the copy goes out with those bytes.
      return request.clone().arrayBuffer().then(function (buffer) {
        if (buffer.byteLength === 0 && !(init && init.body != null)) {
          return null; // nothing to hash
        }
        return sha256(buffer).then(function (digest) {
          return { buffer: buffer, digest: digest };
        });
      }).then(function (hashed) {
        if (!hashed) {
          return originalFetch.call(self, request);
        }
        var headers = new root.Headers(request.headers);
        headers.set(HEADER, hashed.digest);
        return originalFetch.call(self, new root.Request(request, { headers: headers, body: hashed.buffer }));
      }, function () {
        return originalFetch.call(self, request); // hashing failed: send it as it was
      });
    };
  }

  var XHR = root.XMLHttpRequest;
  if (typeof XHR === 'function' && XHR.prototype && typeof root.Response === 'function') {
    var open = XHR.prototype.open, send = XHR.prototype.send;
    var setRequestHeader = XHR.prototype.setRequestHeader, abort = XHR.prototype.abort;
    XHR.prototype.open = function (method, url, async) {
      this.__opendashBodyHash = {
        method: String(method).toUpperCase(), url: String(url), headers: {},
        async: arguments.length < 3 || !!async,
      };
      return open.apply(this, arguments);
    };
    XHR.prototype.setRequestHeader = function (name, value) {
      if (this.__opendashBodyHash) {
        this.__opendashBodyHash.headers[String(name).toLowerCase()] = true;
      }
      return setRequestHeader.apply(this, arguments);
    };
    XHR.prototype.abort = function () {
      if (this.__opendashBodyHash) {
        this.__opendashBodyHash.aborted = true;
      }
      return abort.apply(this, arguments);
    };
    XHR.prototype.send = function (body) {
      var xhr = this, state = this.__opendashBodyHash;
      if (!state || !state.async || body == null || bodyless(state.method) || !sameOrigin(state.url) ||
          state.headers[HEADER] || (typeof root.Document === 'function' && body instanceof root.Document)) {
        return send.apply(this, arguments);
      }
      var encoded;
      try {
        encoded = new root.Response(body); // the same serialisation XMLHttpRequest applies
      } catch (e) {
        return send.apply(this, arguments);
      }
      var type = encoded.headers.get('content-type');
      encoded.arrayBuffer().then(function (buffer) {
        return sha256(buffer).then(function (digest) {
          if (state.aborted) {
            return;
          }
          setRequestHeader.call(xhr, HEADER, digest);
          if (type && !state.headers['content-type']) {
            setRequestHeader.call(xhr, 'Content-Type', type); // bytes carry no type of their own
          }
          send.call(xhr, buffer);
        });
      }).catch(function () {
        if (!state.aborted) {
          send.call(xhr, body);
        }
      });
    };
  }
})(typeof globalThis !== 'undefined' ? globalThis : this);
