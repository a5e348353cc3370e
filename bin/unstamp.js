#!/usr/bin/env node
// CommonJS (bin/package.json): the CLI is loaded by a require, through V8's code cache
// (src/code-cache.cts), with no ES module loader to start. If that cannot be done, the same
// CLI as ES modules (dist/bundle/cli.js).
let loaded;
try {
  loaded = require('../dist/code-cache.cjs').loadCli();
} catch {
  loaded = undefined;
}

(loaded ? Promise.resolve(loaded) : import('../dist/bundle/cli.js'))
  .then(({ main }) => main())
  .then(
    (code) => {
      process.exitCode = code;
    },
    (err) => {
      process.stderr.write(`unstamp: internal error: ${err && err.stack ? err.stack : err}\n`);
      process.exitCode = 3;
    },
  )
  .finally(() => loaded?.afterRun());
