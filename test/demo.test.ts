// The README's quick start: `npm run demo` shows unstamp making two sample pairs identical,
// on copies, so the checkout (and the tests that read samples/) stay as they were.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { root, sha256 } from './helpers.js';

const committed = ['samples/ar/gnu/a/libdemo.a', 'samples/ar/gnu/b/libdemo.a', 'samples/gzip/gnu/a/hello.txt.gz', 'samples/gzip/gnu/b/hello.txt.gz'];

t.test('npm run demo: the pairs differ, then are identical, and samples/ is untouched', async (t) => {
  const before = committed.map((f) => sha256(path.join(root, f)));
  const r = spawnSync(process.execPath, [path.join(root, 'scripts', 'demo.mjs')], { env: { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '' }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  const lines = r.stdout.split('\n');
  const at = (re: RegExp) => lines.findIndex((l) => re.test(l));
  const run = at(/^\$ unstamp ar\/gnu gzip\/gnu$/);
  t.ok(run > 0, 'it prints the command it runs');
  t.ok(at(/^\$ cmp ar\/gnu\/a\/libdemo\.a ar\/gnu\/b\/libdemo\.a +# differ: byte \d+$/) < run, 'the ar pair differs before');
  t.ok(at(/^\$ cmp gzip\/gnu\/a\/hello\.txt\.gz gzip\/gnu\/b\/hello\.txt\.gz +# differ: byte 5$/) < run, 'the gzip pair differs before (MTIME)');
  t.match(r.stdout, /^unstamp: 4 files scanned \(8\.5 KiB\), 4 normalized, 0 already clean, 0 skipped, 0 failed; 220 bytes rewritten; /m);
  t.ok(at(/^\$ cmp ar\/gnu\/a\/libdemo\.a ar\/gnu\/b\/libdemo\.a +# identical$/) > run, 'identical after');
  t.ok(at(/^\$ cmp gzip\/gnu\/a\/hello\.txt\.gz gzip\/gnu\/b\/hello\.txt\.gz +# identical$/) > run, 'identical after');
  t.same(committed.map((f) => sha256(path.join(root, f))), before, 'the checkout keeps its samples');
});
