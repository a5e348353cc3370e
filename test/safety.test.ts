// Crash safety, concurrency and file-system edge cases (README "Safety"): the run can be
// interrupted or killed at any moment and a re-run converges to exactly the bytes of an
// uninterrupted run; two runs at once corrupt nothing; names of any bytes work; files
// over 4 GiB work; read-only files and unreadable directories are reported, not forced.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  cpSync,
  existsSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  utimesSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { bin, cli, samples, tempDir } from './helpers.js';
import { mulberry32 } from './fuzz-harness.mjs';
import pMap from 'p-map';

/** One of each kind of write: ar, gzip, PE+PDB pairs, a DLL with import libs, Mach-O thin and fat, nested and reordered zips. */
const TREE = ['ar/gnu', 'gzip/gnu', 'pe/lld-exe', 'pe/mingw-exe-pdb', 'pe/mingw-dll', 'macho/arm64-exe', 'macho/fat', 'zip/nested', 'zip/jar', 'zip/python'];
const ARGS = ['--epoch', '0', '--zip-order', 'name', '-j', '2'];

function makeTree(dir: string): string {
  for (const rel of TREE) cpSync(path.join(samples, rel, 'a'), path.join(dir, rel), { recursive: true });
  return dir;
}

/** Every file under dir (temporary files included) -> sha256. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!e.isFile()) continue;
    const p = path.join(e.parentPath, e.name);
    out.set(path.relative(dir, p), createHash('sha256').update(readFileSync(p)).digest('hex'));
  }
  return out;
}

interface Child {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Start the CLI; `onStart` gets the process to signal. */
function start(args: string[], env: NodeJS.ProcessEnv, onStart?: (kill: (s: NodeJS.Signals) => void, stdout: () => string) => void): Promise<Child> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    onStart?.((s) => p.kill(s), () => stdout);
  });
}

const slow = (ms: number) => ({ UNSTAMP_DEBUG_WRITE_DELAY_MS: String(ms) });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Resolves once `ready()` holds: for a file a debug hook of the program creates. */
async function until(ready: () => boolean): Promise<void> {
  while (!ready()) await sleep(5);
}

t.test('kill -9 at random moments: a re-run always converges to the uninterrupted bytes', async (t) => {
  const N = Number(process.env.UNSTAMP_KILL_N ?? 24);
  const original = snapshot(makeTree(tempDir(t)));
  const expectedDir = makeTree(tempDir(t));
  const clean = cli([...ARGS, expectedDir]);
  t.equal(clean.code, 0, `the uninterrupted run succeeds: ${clean.stderr}`);
  const expected = snapshot(expectedDir);
  t.ok([...expected].some(([f, h]) => original.get(f) !== h), 'the tree has files to change');

  // How long a slowed-down run takes when three run at once, as the kills below do, to
  // spread the kills over all of it (timed alone, every kill landed before the writes).
  const KILLS_AT_ONCE = 3;
  const timings = await Promise.all(
    Array.from({ length: KILLS_AT_ONCE }, async () => {
      const timing = makeTree(tempDir(t));
      const began = Date.now();
      const full = await start([...ARGS, timing], slow(4));
      return { ms: Date.now() - began, code: full.code, bytes: snapshot(timing) };
    }),
  );
  const span = Math.max(...timings.map((x) => x.ms));
  t.same(timings.map((x) => x.code), [0, 0, 0], 'slowed-down runs succeed');
  t.ok(timings.every((x) => x.bytes.size === expected.size && [...x.bytes].every(([f, h]) => expected.get(f) === h)), 'and write the same bytes');

  const rnd = mulberry32(0x6b111);
  const moments = Array.from({ length: N }, () => Math.floor(rnd() * span));
  let torn = 0;
  let problems = 0;
  // Three kills at a time: a slowed-down run mostly waits on its timers, so they overlap
  // without changing what each one tests.
  await pMap(
    moments.keys(),
    async (k) => {
      const at = moments[k];
      const dir = makeTree(tempDir(t));
      await start([...ARGS, dir], slow(4), (kill) => setTimeout(() => kill('SIGKILL'), at));
      const after = snapshot(dir);
      // A file neither as it was nor as it ends up: the kill landed inside its writes.
      const midFile = [...after].filter(([f, h]) => h !== original.get(f) && h !== expected.get(f)).map(([f]) => f);
      if (midFile.length > 0) torn++;
      const rerun = await start([...ARGS, dir], {});
      const final = snapshot(dir);
      const wrong = [...new Set([...final.keys(), ...expected.keys()])].filter((f) => final.get(f) !== expected.get(f));
      if (rerun.code !== 0 || wrong.length > 0) {
        problems++;
        t.fail(`kill ${k} at ${at} ms (mid-write: ${midFile.join(', ') || 'none'}): re-run exit ${rerun.code}, differs: ${wrong.join(', ')}\n${rerun.stderr}`);
      }
    },
    { concurrency: KILLS_AT_ONCE },
  );
  t.equal(problems, 0, `${N} kills between 0 and ${span} ms, all converged`);
  t.ok(torn > 0, `${torn} of the ${N} kills landed in the middle of a file's writes`);
});

for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
  t.test(`${signal}: the file being written finishes, the rest are not started, exit ${code} with the summary`, async (t) => {
    const original = snapshot(makeTree(tempDir(t)));
    const expectedDir = makeTree(tempDir(t));
    cli([...ARGS, expectedDir]);
    const expected = snapshot(expectedDir);
    const dir = makeTree(tempDir(t));
    const r = await start([...ARGS, '-j', '1', dir], slow(30), (kill, stdout) => {
      const wait = setInterval(() => {
        if (/^normalized/m.test(stdout())) {
          clearInterval(wait);
          kill(signal);
        }
      }, 5);
    });
    t.equal(r.code, code, `exit ${code}`);
    t.match(r.stderr, new RegExp(`${signal}: finishing the files being written`));
    t.match(r.stdout, new RegExp(`interrupted by ${signal}, [1-9]\\d* files not processed`), 'the summary says what was left');
    const after = snapshot(dir);
    const torn = [...after].filter(([f, h]) => h !== original.get(f) && h !== expected.get(f));
    t.same(torn, [], 'every file is either as it was or fully normalized');
    t.ok([...after].some(([f, h]) => h === original.get(f) && h !== expected.get(f)), 'some files were not started');
    t.equal(cli([...ARGS, dir]).code, 0);
    t.same(snapshot(dir), expected, 'a re-run finishes the job');
  });
}

t.test('two runs on the same tree at once corrupt nothing', async (t) => {
  const expectedDir = makeTree(tempDir(t));
  cli([...ARGS, expectedDir]);
  const expected = snapshot(expectedDir);
  for (let round = 0; round < 4; round++) {
    const dir = makeTree(tempDir(t));
    const [a, b] = await Promise.all([start([...ARGS, dir], slow(1 + round)), sleep(round * 40).then(() => start([...ARGS, dir], slow(1)))]);
    for (const r of [a, b]) {
      t.ok(r.code === 0 || r.code === 3, `round ${round}: exit ${r.code}`);
      t.notMatch(r.stderr, /internal error/);
      // The only failure allowed is the one that says the other run got there first.
      for (const line of r.stderr.split('\n').filter((l) => /; left untouched$/.test(l))) t.match(line, /changed on disk while it was being (planned|rewritten)|its PDB .* could not be normalized/);
    }
    t.same(snapshot(dir), expected, `round ${round}: the tree holds exactly the normalized bytes`);
    t.equal(cli(['check', ...ARGS, dir]).code, 0, 'and a check finds nothing left to do');
  }
});

t.test('a file changed between planning and writing is not written', async (t) => {
  const dir = tempDir(t);
  const marker = path.join(tempDir(t), 'planned');
  const file = path.join(dir, 'libdemo.a');
  cpSync(path.join(samples, 'ar/gnu/a/libdemo.a'), file);
  // The run stops once the plan is made, before it opens the file to write; another writer
  // then gives the file a new mtime (same size), and the run is let go.
  const run = start(['--epoch', '0', file], { UNSTAMP_DEBUG_BEFORE_WRITE: marker });
  await until(() => existsSync(marker));
  const st = statSync(file);
  utimesSync(file, st.atime, new Date(st.mtimeMs + 5000));
  writeFileSync(`${marker}.go`, '');
  const r = await run;
  t.equal(r.code, 3);
  t.match(r.stderr, /libdemo\.a: changed on disk while it was being planned \(size, mtime or inode moved\); not written, run unstamp on it again; left untouched/);
  t.ok(readFileSync(file).equals(readFileSync(path.join(samples, 'ar/gnu/a/libdemo.a'))), 'the bytes are untouched');
});

t.test('a read-only file is reported and left alone, even for root', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'hello.txt.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), file);
  chmodSync(file, 0o444);
  const before = readFileSync(file);
  const r = cli(['--epoch', '0', dir]);
  t.equal(r.code, 3);
  t.match(r.stderr, /hello\.txt\.gz: read-only \(mode 0444\); make it writable to normalize it; left untouched/);
  t.ok(readFileSync(file).equals(before));
  t.equal(statSync(file).mode & 0o777, 0o444, 'no silent chmod');
  t.equal(cli(['check', '--epoch', '0', dir]).code, 1, 'check still reports what would change');
});

t.test('a directory the user cannot read is reported and the walk goes on', async (t) => {
  const nobody = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, '--version']);
  if (process.getuid?.() !== 0 || nobody.status !== 0) return t.skip('needs root and setpriv to run as an unprivileged user');
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  mkdirSync(path.join(dir, 'closed'));
  mkdirSync(path.join(dir, 'open'));
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), path.join(dir, 'closed', 'x.gz'));
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), path.join(dir, 'open', 'y.gz'));
  spawnSync('chown', ['-R', '65534:65534', dir]);
  chmodSync(path.join(dir, 'closed'), 0o000);
  const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, '--epoch', '0', dir], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.equal(r.status, 3, 'exit 3: something was not processed');
  t.match(r.stderr, /closed: cannot read this directory \(EACCES\); its files were not processed; left untouched/);
  t.match(r.stdout, /normalized +.*open\/y\.gz/, 'the readable directory was still normalized');
  const ro = path.join(dir, 'open', 'y.gz');
  cpSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), ro);
  spawnSync('chown', ['65534:65534', ro]);
  chmodSync(ro, 0o444);
  const denied = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, '--epoch', '0', ro], {
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  t.equal(denied.status, 3);
  t.match(denied.stderr, /y\.gz: read-only \(mode 0444\)/, 'an unprivileged user gets the same message');
});

t.test('names with spaces, newlines and bytes that are not UTF-8', async (t) => {
  const dir = tempDir(t);
  const sample = readFileSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'));
  const names = ['with space.gz', 'new\nline.gz'];
  for (const n of names) writeFileSync(path.join(dir, n), sample);
  const raw = Buffer.concat([Buffer.from(dir + '/latin1-'), Buffer.from([0xe9, 0xff]), Buffer.from('.gz')]);
  writeFileSync(raw, sample);

  const json = cli(['check', '--json', '--epoch', '0', dir]);
  t.equal(json.code, 1);
  const report = JSON.parse(json.stdout) as { files: { path: string; pathHex?: string; status: string }[] };
  t.equal(report.files.length, 3, 'valid JSON with every file');
  t.ok(report.files.every((f) => f.status === 'would-change'));
  const hexed = report.files.find((f) => f.pathHex);
  t.equal(hexed?.pathHex, raw.toString('hex'), 'the exact bytes of the non-UTF-8 name');
  t.ok(report.files.some((f) => f.path === path.join(dir, 'new\nline.gz')), 'a newline survives in JSON');

  const human = cli(['-v', '--epoch', '0', dir]);
  t.equal(human.code, 0);
  t.match(human.stdout, /normalized +"[^\n]*\/latin1-\\xe9\\xff\.gz"/, 'non-UTF-8 bytes printed as \\x escapes');
  t.match(human.stdout, /normalized +"[^\n]*\/new\\nline\.gz"/, 'a newline printed as \\n, one file per line');
  t.match(human.stdout, /normalized +[^\n]*\/with space\.gz /, 'spaces as they are');
  t.ok(readFileSync(raw).subarray(4, 8).equals(Buffer.alloc(4)), 'the file with the non-UTF-8 name was normalized');
  t.equal(cli(['check', '--epoch', '0', dir]).code, 0);
});

t.test('a 0-byte file is skipped, not an error', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'empty.a'), '');
  const r = cli(['-v', dir]);
  t.equal(r.code, 0);
  t.match(r.stdout, /skipped +.*empty\.a: unknown format/);
});

t.test('a file over 4 GiB: 64-bit offsets in reads and writes', async (t) => {
  // A real zip behind a 4.5 GiB sparse stub (an SFX whose offsets were not adjusted):
  // every zip field sits past 2^32 and must be found and written there.
  const dir = tempDir(t);
  const zip = readFileSync(path.join(samples, 'zip/infozip/a/demo.zip'));
  const small = path.join(dir, 'small.zip');
  writeFileSync(small, zip);
  t.equal(cli(['--epoch', '0', small]).code, 0);
  const big = path.join(dir, 'big.zip');
  const stub = 4.5 * 2 ** 30;
  const fd = openSync(big, 'w');
  ftruncateSync(fd, stub);
  writeSync(fd, zip, 0, zip.length, stub);
  closeSync(fd);
  t.equal(statSync(big).size, stub + zip.length);
  const r = cli(['-v', '--epoch', '0', big]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /normalized +.*big\.zip +\[zip\]/);
  const tail = Buffer.alloc(zip.length);
  const rfd = openSync(big, 'r');
  const { readSync } = await import('node:fs');
  readSync(rfd, tail, 0, zip.length, stub);
  closeSync(rfd);
  t.ok(tail.equals(readFileSync(small)), 'the zip past 4 GiB holds the same bytes as the same zip normalized on its own');
  t.match(r.stdout, /0x1[0-9a-f]{8} /, 'fields are reported at offsets past 2^32');
  t.equal(statSync(big).size, stub + zip.length, 'same size');
});
