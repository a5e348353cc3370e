// bin/unstamp.js loads the CLI through V8's code cache (src/code-cache.cts): written by a first
// run, used by the next, and never a reason for a run to fail or to print anything else.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import vm from 'node:vm';
import { bin, root, samples, tempDir } from './helpers.js';

const { loadCli } = createRequire(import.meta.url)(path.join(root, 'dist', 'code-cache.cjs')) as {
  loadCli: (bundle?: string) => { main: unknown } | undefined;
};

/** bin/unstamp.js with exactly this environment besides PATH (no HOME unless given). */
function unstamp(args: string[], env: Record<string, string>, cwd?: string) {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, env: { PATH: process.env.PATH ?? '', UNSTAMP_DEBUG_CODE_CACHE: '1', ...env }, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, said: r.stderr.split('\n').filter((l) => l.startsWith('unstamp: code cache: ')) };
}

const cacheFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.v8cache'));
const mode = (p: string) => statSync(p).mode & 0o777;
/** A run's report without its duration. */
const report = (stdout: string) => stdout.replace(/; [\d.]+ s$/m, '');

t.test('written by the first run, used by the second; folder 0700, file 0600', async (t) => {
  const dir = path.join(tempDir(t), 'deep', 'cache');
  const empty = tempDir(t);
  const first = unstamp([empty], { UNSTAMP_CACHE_DIR: dir });
  t.equal(first.code, 0, first.stderr);
  t.match(first.said.join('\n'), /none at .*\.v8cache \(ENOENT\)\n.*compiling .*unstamp\.cjs; the cache is written after the run\n.*wrote .*\.v8cache \(\d+ bytes\)/);
  t.match(first.stdout, /^unstamp: 0 files scanned/, 'nothing but the report on stdout');
  t.equal(mode(dir), 0o700, 'the cache folder is private');
  const [file] = cacheFiles(dir);
  t.match(file, /^unstamp-[0-9a-f]{16}-node\d+\.\d+\.\d+-[a-z0-9]+(-[0-9a-f]{8})?\.v8cache$/);
  t.equal(mode(path.join(dir, file)), 0o600, 'and so is its file');

  const second = unstamp([empty], { UNSTAMP_CACHE_DIR: dir });
  t.equal(second.code, 0, second.stderr);
  t.same(second.said, [`unstamp: code cache: used ${path.join(dir, file)}`], 'used, and not written again');
  t.equal(report(second.stdout), report(first.stdout));
});

t.test('the default folder: $XDG_CACHE_HOME/unstamp, else ~/.cache/unstamp', async (t) => {
  const home = tempDir(t);
  const empty = tempDir(t);
  t.equal(unstamp([empty], { HOME: home, XDG_CACHE_HOME: path.join(home, 'xdg') }).code, 0);
  t.equal(cacheFiles(path.join(home, 'xdg', 'unstamp')).length, 1, 'in XDG_CACHE_HOME');
  t.notOk(existsSync(path.join(home, '.cache')));
  t.equal(unstamp([empty], { HOME: home, XDG_CACHE_HOME: 'relative/path' }).code, 0);
  t.equal(cacheFiles(path.join(home, '.cache', 'unstamp')).length, 1, 'a relative XDG_CACHE_HOME is ignored, as the XDG spec says: ~/.cache');
  t.equal(mode(path.join(home, '.cache', 'unstamp')), 0o700);
  const none = unstamp([empty], {});
  t.equal(none.code, 0);
  t.match(none.said.join('\n'), /off \(no HOME/, 'no HOME: no cache');
});

t.test('a damaged cache is not used (the run is the same) and is replaced', async (t) => {
  const dir = tempDir(t);
  const empty = tempDir(t);
  t.equal(unstamp([empty], { UNSTAMP_CACHE_DIR: dir }).code, 0);
  const [name] = cacheFiles(dir);
  const file = path.join(dir, name);
  const good = readFileSync(file);
  const damages: [string, Buffer][] = [
    ['a byte flipped in the middle', Buffer.from(good).fill(good[good.length >> 1] ^ 0xff, good.length >> 1, (good.length >> 1) + 1)],
    ['cut short', good.subarray(0, good.length >> 1)],
    ['empty', Buffer.alloc(0)],
    ['not a cache at all', Buffer.from('hello\n')],
  ];
  for (const [what, bytes] of damages) {
    writeFileSync(file, bytes);
    const r = unstamp([empty], { UNSTAMP_CACHE_DIR: dir });
    t.equal(r.code, 0, `${what}: the run succeeds`);
    t.match(r.stdout, /^unstamp: 0 files scanned/);
    t.match(r.said.join('\n'), /is damaged \(header, length or CRC\): not used\n.*compiling .*\n.*wrote /, `${what}: noticed and replaced`);
    t.same(unstamp([empty], { UNSTAMP_CACHE_DIR: dir }).said, [`unstamp: code cache: used ${file}`], `${what}: the new one is used`);
  }

  // Intact, but V8's data for another script: V8 refuses it (its check of the source).
  const other = new vm.Script('(function () { return 1; })').createCachedData();
  const header = Buffer.from(good.subarray(0, 16));
  header.writeUInt32LE((await import('node:zlib')).crc32(other), 8);
  header.writeUInt32LE(other.length, 12);
  writeFileSync(file, Buffer.concat([header, other]));
  const refused = unstamp([empty], { UNSTAMP_CACHE_DIR: dir });
  t.equal(refused.code, 0);
  t.match(refused.said.join('\n'), /refused by V8: compiled, and replacing it\n.*wrote /);
  t.same(unstamp([empty], { UNSTAMP_CACHE_DIR: dir }).said, [`unstamp: code cache: used ${file}`]);
});

t.test('no cache (the ES module bundle runs): UNSTAMP_CACHE_DIR empty, a folder that cannot be made or written, or one others may write to', async (t) => {
  const home = tempDir(t);
  const empty = tempDir(t);
  const off = unstamp([empty], { HOME: home, UNSTAMP_CACHE_DIR: '' });
  t.equal(off.code, 0);
  t.same(off.said, ['unstamp: code cache: off (UNSTAMP_CACHE_DIR is empty)']);
  t.same(readdirSync(home), [], 'nothing written anywhere');

  const aFile = path.join(home, 'file');
  writeFileSync(aFile, '');
  const under = unstamp([empty], { UNSTAMP_CACHE_DIR: path.join(aFile, 'cache') });
  t.equal(under.code, 0);
  t.match(under.said.join('\n'), /not using .*file\/cache: ENOTDIR/);
  t.match(under.stdout, /^unstamp: 0 files scanned/);

  const shared = path.join(home, 'shared');
  mkdirSync(shared);
  chmodSync(shared, 0o777);
  const open = unstamp([empty], { UNSTAMP_CACHE_DIR: shared });
  t.equal(open.code, 0);
  t.match(open.said.join('\n'), /not using .*shared: writable by others \(mode 777\)/);
  t.same(readdirSync(shared), []);

  // A folder this user cannot write to (root can write anywhere but on a read-only mount).
  if (process.getuid?.() !== 0) {
    const locked = path.join(home, 'locked');
    mkdirSync(locked, { mode: 0o500 });
    const r = unstamp([empty], { UNSTAMP_CACHE_DIR: locked });
    t.equal(r.code, 0);
    t.match(r.said.join('\n'), /not using .*locked: cannot write there \(EACCES\)/);
  }
});

t.test('the same report and the same bytes with the cache and without it', async (t) => {
  const dir = tempDir(t);
  const runs = ['off', 'first', 'cached'].map((how) => {
    const work = tempDir(t);
    cpSync(path.join(samples, 'ar'), path.join(work, 'ar'), { recursive: true });
    cpSync(path.join(samples, 'gzip'), path.join(work, 'gzip'), { recursive: true });
    const r = unstamp(['-v', 'ar', 'gzip'], { UNSTAMP_CACHE_DIR: how === 'off' ? '' : dir }, work);
    t.equal(r.code, 0, `${how}: ${r.stderr}`);
    const bytes = (['ar', 'gzip'] as const).flatMap((d) => readdirSync(path.join(work, d), { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => readFileSync(path.join(e.parentPath, e.name)).toString('base64')));
    return { said: r.said, stdout: report(r.stdout), bytes, stderr: r.stderr.split('\n').filter((l) => !l.startsWith('unstamp: code cache: ')).join('\n') };
  });
  t.match(runs[2].said.join('\n'), /used /, 'the third run used the cache');
  for (const r of runs.slice(1)) {
    t.equal(r.stdout, runs[0].stdout, 'stdout');
    t.equal(r.stderr, runs[0].stderr, 'stderr');
    t.same(r.bytes, runs[0].bytes, 'the files written');
  }
  t.match(runs[0].stdout, /normalized/);
});

t.test('keeps the 3 newest cache files of the folder, removes old temporary files, and touches nothing else', async (t) => {
  const dir = tempDir(t);
  const empty = tempDir(t);
  const old = ['unstamp-0000000000000001-node1.0.0-x64.v8cache', 'unstamp-0000000000000002-node1.0.0-x64.v8cache', 'unstamp-0000000000000003-node1.0.0-x64.v8cache'];
  old.forEach((f, i) => {
    writeFileSync(path.join(dir, f), 'old');
    utimesSync(path.join(dir, f), 1000 + i, 1000 + i);
  });
  writeFileSync(path.join(dir, 'notes.txt'), 'mine');
  // A temporary file left by a killed write: removed once an hour old; a recent one may be another run's.
  const leftover = 'unstamp-0000000000000004-node1.0.0-x64.v8cache.12345.tmp';
  const recent = 'unstamp-0000000000000004-node1.0.0-x64.v8cache.12346.tmp';
  writeFileSync(path.join(dir, leftover), 'half');
  utimesSync(path.join(dir, leftover), 1000, 1000);
  writeFileSync(path.join(dir, recent), 'half');
  const r = unstamp([empty], { UNSTAMP_CACHE_DIR: dir });
  t.equal(r.code, 0);
  t.same(cacheFiles(dir).sort(), [...old.slice(1), cacheFiles(dir).find((f) => !old.includes(f))].sort(), 'the oldest removed');
  t.equal(cacheFiles(dir).length, 3);
  t.ok(existsSync(path.join(dir, 'notes.txt')));
  t.notOk(existsSync(path.join(dir, leftover)), 'an old temporary file removed');
  t.ok(existsSync(path.join(dir, recent)), 'a recent one kept');
  t.match(r.said.join('\n'), /removed the older unstamp-0000000000000001-/);
});

t.test('loadCli: a bundle that cannot be read or is not ours gives undefined (bin/unstamp.js then imports the ES modules)', async (t) => {
  const dir = tempDir(t);
  process.env.UNSTAMP_CACHE_DIR = path.join(dir, 'cache');
  t.teardown(() => delete process.env.UNSTAMP_CACHE_DIR);
  t.equal(loadCli(path.join(dir, 'missing.cjs')), undefined);
  const plain = path.join(dir, 'plain.cjs');
  writeFileSync(plain, 'module.exports = { main: async () => 0 };\n');
  t.equal(loadCli(plain), undefined, 'no "// unstamp <sha256>" line');
  const throws = path.join(dir, 'throws.cjs');
  writeFileSync(throws, `// unstamp ${'0'.repeat(64)}\nthrow new Error('broken');\n`);
  t.equal(loadCli(throws), undefined, 'a bundle that throws');
  const ok = path.join(dir, 'ok.cjs');
  writeFileSync(ok, `// unstamp ${'1'.repeat(64)}\nmodule.exports = { main: async () => 7 };\n`);
  t.type(loadCli(ok)?.main, 'function');
  process.env.UNSTAMP_CACHE_DIR = '';
  t.equal(loadCli(ok), undefined, 'no cache folder to use: the ES modules start faster than the whole script compiled');
});

t.test('bin/unstamp.js falls back to the ES module bundle when the CommonJS one is missing', async (t) => {
  // A copy of bin/ and dist/ without dist/bundle/unstamp.cjs (and the package.json they read).
  const copy = tempDir(t);
  cpSync(path.join(root, 'bin'), path.join(copy, 'bin'), { recursive: true });
  cpSync(path.join(root, 'dist'), path.join(copy, 'dist'), { recursive: true, filter: (src) => !src.endsWith('unstamp.cjs') });
  cpSync(path.join(root, 'package.json'), path.join(copy, 'package.json'));
  const empty = tempDir(t);
  const r = spawnSync(process.execPath, [path.join(copy, 'bin', 'unstamp.js'), empty], { env: { PATH: process.env.PATH ?? '', UNSTAMP_DEBUG_CODE_CACHE: '1', UNSTAMP_CACHE_DIR: path.join(copy, 'cache') }, encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.match(r.stdout, /^unstamp: 0 files scanned/);
  t.match(r.stderr, /cannot read .*unstamp\.cjs/);
  t.same(readdirSync(path.join(copy, 'cache')), [], 'no cache written');
});
