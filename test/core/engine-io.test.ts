// The engine's file handling: each folder held once and let go, every handle closed at the
// end (written files synced and closed), and the same bytes whatever the sync mode.
import t from 'tap';
import { chmodSync, cpSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { normalizeFile, normalizeTree, checkTree, type SyncMode } from '../../src/index.js';
import { have, samples, sh, sha256, tempDir } from '../helpers.js';

const GZ = path.join(samples, 'gzip/gnu/a/hello.txt.gz');
const AR = path.join(samples, 'ar/gnu/a/libdemo.a');
const JAR = path.join(samples, 'zip/jar/a/demo.jar');

/** 50 folders (more than are kept open at once), files of three kinds in each and beside them. */
function tree(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  for (let i = 0; i < 50; i++) {
    const sub = path.join(dir, `d${String(i).padStart(2, '0')}`, 'inner');
    mkdirSync(sub, { recursive: true });
    cpSync(GZ, path.join(sub, 'x.gz'));
    cpSync(AR, path.join(sub, '..', 'lib.a'));
    // After the folder inner in walk order: its parent's files come before and after it.
    cpSync(GZ, path.join(sub, '..', 'z.gz'));
  }
  cpSync(JAR, path.join(dir, 'app.jar'));
  return dir;
}

const openFds = () => (process.platform === 'linux' ? readdirSync('/proc/self/fd').length : 0);

/** Every file under dir -> sha256. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(path.relative(dir, path.join(e.parentPath, e.name)), sha256(path.join(e.parentPath, e.name)));
  }
  return out;
}

t.test('a tree of many folders: the bytes of one file at a time, and no handle left open', async (t) => {
  // What each kind becomes on its own.
  const alone = tempDir(t);
  const expected = new Map<string, string>();
  for (const [name, src] of [['x.gz', GZ], ['lib.a', AR], ['app.jar', JAR]] as const) {
    cpSync(src, path.join(alone, name));
    const r = await normalizeFile(path.join(alone, name), { epoch: 0, settings: { 'zip-order': 'name' }, sync: 'each' });
    t.equal(r.status, 'normalized', `${name} alone: ${r.error?.message ?? ''}`);
    expected.set(name, sha256(path.join(alone, name)));
  }
  const results = new Map<SyncMode, Map<string, string>>();
  for (const sync of ['end', 'each', 'none'] as const) {
    const dir = tree(t);
    const before = openFds();
    const r = await normalizeTree([dir], { epoch: 0, settings: { 'zip-order': 'name' }, sync, jobs: 3 });
    t.equal(openFds(), before, `${sync}: every folder and file handle is closed when the run returns`);
    t.equal(r.summary.normalized, 151, `${sync}: ${r.summary.failed} failed ${r.files.find((f) => f.error)?.error?.message ?? ''}`);
    const got = snapshot(dir);
    const wrong = [...got].filter(([f, h]) => h !== expected.get(path.basename(f).replace('z.gz', 'x.gz')));
    t.same(wrong, [], `${sync}: every file has the bytes it gets on its own`);
    results.set(sync, got);
    const again = await checkTree([dir], { epoch: 0, settings: { 'zip-order': 'name' } });
    t.equal(again.summary.clean, 151, `${sync}: a check finds them all clean`);
    t.equal(openFds(), before, `${sync}: and closes everything too`);
  }
  t.same(results.get('each'), results.get('end'));
  t.same(results.get('none'), results.get('end'));
});

t.test('a clean read-only file is reported clean, not refused: only a file that changes is written', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'x.gz');
  cpSync(GZ, file);
  t.equal((await normalizeFile(file, { epoch: 0 })).status, 'normalized');
  chmodSync(file, 0o444);
  const bytes = readFileSync(file);
  const r = await normalizeTree([dir], { epoch: 0 });
  t.equal(r.summary.clean, 1, r.files[0].error?.message ?? '');
  t.ok(readFileSync(file).equals(bytes), 'the bytes are as they were');
  t.equal(statSync(file).mode & 0o777, 0o444, 'and the mode');
});

t.test('a FIFO or a device named as a path is skipped as not a regular file, and does not hang the run', { skip: !have('mkfifo') && 'mkfifo is not installed' }, async (t) => {
  const dir = tempDir(t);
  const fifo = path.join(dir, 'pipe.gz');
  t.equal(sh('mkfifo', [fifo]).code, 0);
  // A FIFO with no writer, opened for reading as a file is, would block the run here.
  const r = await normalizeTree([fifo, '/dev/null'], { epoch: 0 });
  t.same(
    r.files.map((f) => [f.path, f.status, f.reason]),
    [
      [fifo, 'skipped', 'not a regular file'],
      ['/dev/null', 'skipped', 'not a regular file'],
    ],
  );
  t.equal(r.summary.failed, 0);
});
