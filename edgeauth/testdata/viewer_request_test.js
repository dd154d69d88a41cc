// Runs the viewer-request function variants in Node (node:test) with Node's crypto and an in-memory
// KeyValueStore; driven by edgeauth_test.go (TestViewerRequestNode), which writes the cases file.
'use strict';
const test = require('node:test');
const assert = require('node:assert');
const fs = require('node:fs');
const vm = require('node:vm');
const crypto = require('node:crypto');

const { users, cases } = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));

// load evaluates the code as CloudFront does: the documented module import becomes the runtime module.
function load(source) {
  const cloudfront = {
    kvs: () => ({
      get: async (key) => {
        if (!Object.prototype.hasOwnProperty.call(users, key)) throw new Error('key not found');
        return users[key];
      },
    }),
  };
  const modules = { crypto, cloudfront };
  const code = source.replace(/^import (\w+) from '(cloudfront|crypto)';$/gm, "const $1 = require('$2');");
  const sandbox = { require: (name) => modules[name] };
  vm.runInNewContext(code + '\n;this.handler = handler;', sandbox);
  return sandbox.handler;
}

for (const c of cases) {
  test(c.name, async () => {
    const handler = load(c.source);
    const headers = {};
    for (const [k, v] of Object.entries(c.headers || {})) headers[k] = { value: v };
    const out = await handler({ version: '1.0', context: { eventType: 'viewer-request' },
      request: { method: 'GET', uri: '/', querystring: {}, headers, cookies: {} } });
    if (c.status) {
      assert.strictEqual(out.statusCode, c.status);
      assert.match(out.headers['www-authenticate'].value, /^Basic realm="/);
      return;
    }
    assert.strictEqual(out.statusCode, undefined);
    assert.strictEqual(out.uri, '/');
    const fwd = out.headers['x-forwarded-host'];
    assert.strictEqual(fwd ? fwd.value : '', c.forward);
    const auth = out.headers['x-forwarded-authorization'];
    assert.strictEqual(auth ? auth.value : '', c.forwardAuth);
    for (const name of Object.keys(out.headers)) {
      assert.ok(!name.startsWith('x-opendash-'), 'the viewer\'s ' + name + ' passed on');
    }
  });
}
