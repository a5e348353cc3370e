#!/usr/bin/env node
import { main } from '../dist/bundle/cli.js';

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err) => {
    process.stderr.write(`unstamp: internal error: ${err && err.stack ? err.stack : err}\n`);
    process.exitCode = 3;
  },
);
