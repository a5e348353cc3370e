// The write path's promises (README "Safety"): every write puts the file's times back
// never earlier than they were, to the microsecond.
import t, { type Test } from 'tap';
import { cpSync, statSync } from 'node:fs';
import path from 'node:path';
import { cli, samples, sh, tempDir } from './helpers.js';

/** A zip whose members are out of name order, with timestamps to patch: --zip-order name rewrites it. */
const UNORDERED = path.join(samples, 'zip/infozip/a/demo.zip');
const ORDER = ['--epoch', '0', '--zip-order', 'name'];

const nsStat = (file: string) => statSync(file, { bigint: true });
/** Set a time to the nanosecond (GNU touch), which Node's utimes cannot. */
const touch = (t: Test, file: string, which: '-a' | '-m', at: string) => t.equal(sh('touch', [which, '-d', `@${at}`, file]).code, 0, `touch ${which} ${at}`);

t.test('times are put back to the microsecond, rounded up, never earlier', async (t) => {
  const dir = tempDir(t);
  // In place (gzip), through a rewrite (zip), and times only (--set-mtime --clamp on a clean file).
  const gz = path.join(dir, 'hello.txt.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), gz);
  const zip = path.join(dir, 'app.zip');
  cpSync(UNORDERED, zip);
  const clean = path.join(dir, 'clean.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), clean);
  t.equal(cli(['--epoch', '0', clean]).code, 0);
  const old = path.join(dir, 'old.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), old);

  for (const f of [gz, zip, clean]) {
    touch(t, f, '-m', '1700000000.030601095');
    touch(t, f, '-a', '1700000000.123456000');
  }
  // Before 1970: Node's utimes turns a negative number into the current time.
  touch(t, old, '-m', '-5.0000015');
  touch(t, old, '-a', '-1');

  t.equal(cli([...ORDER, gz, zip, old]).code, 0);
  t.equal(cli(['--epoch', '2000000000', '--clamp', '--set-mtime', clean]).code, 0);
  for (const f of [gz, zip, clean]) {
    const st = nsStat(f);
    t.equal(st.mtimeNs, 1700000000030602000n, `${path.basename(f)}: mtime .030601095 -> .030602000`);
    t.equal(st.atimeNs, 1700000000123456000n, `${path.basename(f)}: atime on a whole microsecond, exactly`);
  }
  t.equal(nsStat(old).mtimeNs, -5000001000n, 'before 1970: -5.0000015 -> -5.000001');
  t.equal(nsStat(old).atimeNs, -1000000000n, 'before 1970: -1 exactly');
  t.equal(cli(['check', ...ORDER, gz, zip, old]).code, 0, 'all normalized');
});
