// Tests for forwarded_host.js; run by component/functions_test.go (go test) with node.
// CloudFront Functions have no module system: the file is evaluated as a script and handler called.
'use strict';
const assert = require('node:assert');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');

const code = fs.readFileSync(path.join(__dirname, 'forwarded_host.js'), 'utf8');
const sandbox = {};
vm.runInNewContext(code, sandbox);

function run(headers) {
  return sandbox.handler({ request: { method: 'GET', uri: '/', querystring: {}, headers: headers, cookies: {} } });
}

const cases = [
  ['copies the viewer host', { host: { value: 'dash.example.com' } },
    { host: { value: 'dash.example.com' }, 'x-forwarded-host': { value: 'dash.example.com' } }],
  ['replaces a spoofed x-forwarded-host', { host: { value: 'd1.cloudfront.net' }, 'x-forwarded-host': { value: 'evil.test' } },
    { host: { value: 'd1.cloudfront.net' }, 'x-forwarded-host': { value: 'd1.cloudfront.net' } }],
  ['drops x-forwarded-host without a host', { 'x-forwarded-host': { value: 'evil.test' } }, {}],
  ['keeps other headers', { host: { value: 'a.test' }, accept: { value: 'text/html' } },
    { host: { value: 'a.test' }, accept: { value: 'text/html' }, 'x-forwarded-host': { value: 'a.test' } }],
];
let failed = 0;
for (const [name, headers, want] of cases) {
  try {
    const request = run(headers);
    assert.deepStrictEqual(JSON.parse(JSON.stringify(request.headers)), want);
    assert.strictEqual(request.uri, '/');
  } catch (err) {
    failed++;
    console.error('FAIL ' + name + ': ' + err.message);
  }
}
// CloudFront Functions take at most 10 KB of code.
if (Buffer.byteLength(code) > 10240) {
  failed++;
  console.error('FAIL forwarded_host.js is over CloudFront\'s 10 KB limit');
}
console.log((cases.length - failed) + ' passed, ' + failed + ' failed');
process.exit(failed ? 1 : 0);
