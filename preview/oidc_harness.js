// Runs the OIDC Lambda@Edge function (index.js beside this file) for the local preview: one JSON line per
// viewer-request event on stdin, one JSON line per answer ({result} or {error}) on stdout, in order. The
// function's own logging goes to stderr, which the preview shows.
'use strict';
const util = require('util');
const readline = require('readline');
console.log = console.info = console.warn = console.error = (...args) => process.stderr.write(util.format(...args) + '\n');
const fn = require('./index.js');

const rl = readline.createInterface({ input: process.stdin });
let queue = Promise.resolve();
rl.on('line', (line) => {
  queue = queue.then(async () => {
    let out;
    try {
      out = { result: await fn.handler(JSON.parse(line)) };
    } catch (err) {
      out = { error: String((err && err.stack) || err) };
    }
    process.stdout.write(JSON.stringify(out) + '\n');
  });
});
