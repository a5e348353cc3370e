// The report as a stream (README "JSON report", "Exit codes"): --json goes out file by file
// with per-file fields capped, so a tree of any size reports; a write error on stdout other
// than a closed pipe stops the run cleanly (exit 3) instead of killing it mid-tree.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, copyFileSync, cpSync, createReadStream, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { createInterface } from 'node:readline';
import path from 'node:path';
import { bin, cli, samples, sha256, tempDir } from './helpers.js';
import { normalizeTree } from '../src/index.js';

const env = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '' };
const MINGW_LIB = '/usr/x86_64-w64-mingw32/lib';
const noMingw = !existsSync(MINGW_LIB) && `${MINGW_LIB} not found (gcc-mingw-w64 not installed)`;

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI with stdout on the given fd, or a pipe watched by `onStdout`. */
function start(args: string[], opts: { stdout?: number; env?: NodeJS.ProcessEnv; onStdout?: (text: string, p: ReturnType<typeof spawn>) => void } = {}): Promise<Child> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...env, ...opts.env }, stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(stdout, p);
    });
    p.stderr?.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under dir -> sha256. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(path.relative(dir, path.join(e.parentPath, e.name)), sha256(path.join(e.parentPath, e.name)));
  }
  return out;
}

/** Samples that all change when normalized, in walk order: ar, gzip, a PE with its PDB, Mach-O, zips. */
const TREE = ['ar/gnu', 'gzip/gnu', 'macho/arm64-exe', 'pe/lld-exe', 'zip/jar', 'zip/python'];

function makeTree(dir: string): string {
  for (const rel of TREE) cpSync(path.join(samples, rel, 'a'), path.join(dir, rel), { recursive: true });
  return dir;
}

/** The tree before, and what a full run makes of it (made once, in a folder of its own). */
const reference = (() => {
  let made: { original: Map<string, string>; expected: Map<string, string> } | undefined;
  return () => {
    if (made) return made;
    const original = snapshot(makeTree(tempDir(t)));
    const done = makeTree(tempDir(t));
    const full = cli(['--epoch', '0', done]);
    if (full.code !== 0) throw new Error(`the reference run failed: ${full.stderr}`);
    return (made = { original, expected: snapshot(done) });
  };
})();

for (const json of [false, true]) {
  t.test(`stdout on /dev/full${json ? ' (--json)' : ''}: the files in flight finish, the rest are not started, exit 3 with one line on stderr`, { skip: !existsSync('/dev/full') && 'no /dev/full' }, async (t) => {
    const { original, expected } = reference();
    t.ok([...original].every(([f, h]) => expected.get(f) !== h), 'every file of the tree changes when normalized');
    const dir = makeTree(tempDir(t));
    const full = openSync('/dev/full', 'w');
    const r = await start(['--epoch', '0', '-j', '1', ...(json ? ['--json'] : []), dir], { stdout: full });
    closeSync(full);
    t.equal(r.code, 3, 'exit 3');
    const line = /^unstamp: stdout: write failed \(ENOSPC\); the report is incomplete; stopped after the files in flight, (\d+) files not processed\n$/.exec(r.stderr);
    t.ok(line, `one line on stderr, no stack trace: ${JSON.stringify(r.stderr)}`);
    const after = snapshot(dir);
    const torn = [...after].filter(([f, h]) => h !== original.get(f) && h !== expected.get(f)).map(([f]) => f);
    t.same(torn, [], 'every file is either untouched or fully normalized');
    const untouched = [...after].filter(([f, h]) => h === original.get(f)).length;
    t.ok(untouched > 0, `the run stopped early: ${untouched} of ${after.size} files untouched`);
    t.equal(Number(line?.[1]), untouched, 'the count on stderr is the files left untouched');
    t.equal(cli(['--epoch', '0', dir]).code, 0, 'a re-run finishes the job');
    t.same(snapshot(dir), expected);
  });
}

t.test('a reader that closes the pipe (unstamp build/ | head -1): output stops, the run goes on', async (t) => {
  const { expected } = reference();
  const dir = makeTree(tempDir(t));
  let closedAt = '';
  const r = await start(['--epoch', '0', '-j', '1', dir], {
    // Slowed down, so the files after the first are written once the pipe is closed.
    env: { UNSTAMP_DEBUG_WRITE_DELAY_MS: '20' },
    onStdout: (text, p) => {
      if (closedAt || !text.includes('\n')) return;
      closedAt = text;
      p.stdout?.destroy();
    },
  });
  t.match(closedAt, /^normalized {4}\S+libdemo\.a/, 'the reader saw the first line and closed');
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.stderr, '', 'nothing on stderr');
  t.same(snapshot(dir), expected, 'every file was normalized');
});

t.test('--json streams: the first file object is on stdout while later files are not written yet', async (t) => {
  const dir = tempDir(t);
  copyFileSync(path.join(samples, 'gzip/gnu/a/hello.txt.gz'), path.join(dir, 'a.gz'));
  for (const n of [1, 2, 3, 4]) copyFileSync(path.join(samples, 'ar/gnu/a/libdemo.a'), path.join(dir, `b${n}.a`));
  const last = path.join(dir, 'b4.a');
  const before = sha256(last);
  let seen: { lastUntouched: boolean; text: string } | undefined;
  const r = await start(['--json', '--epoch', '0', '-j', '1', dir], {
    // Each patch of each ar member is written after a delay: b4.a comes seconds after a.gz.
    env: { UNSTAMP_DEBUG_WRITE_DELAY_MS: '20' },
    onStdout: (text) => {
      if (!seen && text.includes(`"path": ${JSON.stringify(path.join(dir, 'a.gz'))}`)) seen = { lastUntouched: sha256(last) === before, text };
    },
  });
  t.equal(r.code, 0);
  t.ok(seen, 'the first file appeared on stdout');
  t.ok(seen?.lastUntouched, 'when the first file was reported, the last was not written yet');
  t.notMatch(seen?.text ?? '', /b1\.a/, 'and the report held only the first file');
  t.not(sha256(last), before, 'the last file was normalized in the end');
  const report = JSON.parse(r.stdout);
  t.equal(report.unstamp, 2, 'schema version 2');
  t.same(report.files.map((f: { path: string }) => path.basename(f.path)), ['a.gz', 'b1.a', 'b2.a', 'b3.a', 'b4.a'], 'files in walk order');
  t.match(report.summary, { scanned: 5, normalized: 5, failed: 0, notProcessed: 0 });
  t.equal(report.exitCode, 0);
  t.equal(r.stdout, JSON.stringify(report, null, 2) + '\n', 'the stream is the text JSON.stringify gives for the whole report');
});

t.test('--json lists at most 100 fields a file, with the count left out; -v lists them all', { skip: noMingw }, async (t) => {
  const dir = tempDir(t);
  const lib = path.join(dir, 'libversion.a');
  copyFileSync(path.join(MINGW_LIB, 'libversion.a'), lib);
  const all = JSON.parse(cli(['check', '--json', '-v', lib]).stdout).files[0];
  t.ok(all.fields.length > 100, `the import library has ${all.fields.length} fields`);
  t.equal(all.fieldsOmitted, 0, '-v: none left out');
  const capped = JSON.parse(cli(['check', '--json', lib]).stdout).files[0];
  t.same(capped.fields, all.fields.slice(0, 100), 'the first 100 fields, as found');
  t.equal(capped.fieldsOmitted, all.fields.length - 100, 'fieldsOmitted counts the rest');
  t.equal(capped.fieldsChanged, all.fields.filter((f: { changed: boolean }) => f.changed).length, 'fieldsChanged counts all fields changed');
  t.match(cli(['check', lib]).stdout, new RegExp(`\\[ar\\] ${capped.fieldsChanged} of ${all.fields.length} fields`), 'the same counts as the text report');
  const explained = JSON.parse(cli(['explain', '--json', lib]).stdout).files[0];
  t.equal(explained.fields.length, all.fields.length, 'explain <file> --json lists every field');
});

t.test('the library still returns every file with its fields (the CLI alone drops them once reported)', async (t) => {
  const dir = makeTree(tempDir(t));
  const { files, summary } = await normalizeTree([dir], { epoch: 0, jobs: 2 });
  t.equal(files.length, summary.scanned);
  t.ok(files.length > 0 && files.every((f) => f.fields.length > 0 && f.fields.some((x) => x.changed)), 'each file has its fields');
});

/** Peak RSS in KiB from `/usr/bin/time -v` output, if it is there. */
const peakKiB = (stderr: string) => Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(stderr)?.[1] ?? NaN);

/** Each file object of a pretty-printed report, parsed one at a time (the report may pass V8's longest string). */
async function* fileObjects(file: string): AsyncGenerator<{ fields: unknown[]; fieldsOmitted: number }> {
  let lines: string[] | undefined;
  for await (const line of createInterface({ input: createReadStream(file) })) {
    if (line === '    {') lines = [];
    if (lines) lines.push(line);
    if (lines && (line === '    }' || line === '    },')) {
      yield JSON.parse(lines.join('\n').replace(/,$/, ''));
      lines = undefined;
    }
  }
}

t.test('UNSTAMP_LARGE=1: twelve copies of mingw-w64\'s import libraries, whose report in the old shape passes 1 GiB', { skip: noMingw || (process.env.UNSTAMP_LARGE !== '1' && 'set UNSTAMP_LARGE=1 (copies 1 GB, runs minutes)'), timeout: 1800_000 }, async (t) => {
  const dir = tempDir(t);
  const libs = readdirSync(MINGW_LIB).filter((n) => n.endsWith('.a'));
  const COPIES = 12;
  for (let c = 0; c < COPIES; c++) {
    mkdirSync(path.join(dir, 'tree', `copy${c}`), { recursive: true });
    for (const n of libs) copyFileSync(path.join(MINGW_LIB, n), path.join(dir, 'tree', `copy${c}`, n));
  }
  const files = libs.length * COPIES;
  const timed = existsSync('/usr/bin/time');
  const runTo = (out: string, args: string[]) => {
    const fd = openSync(out, 'w');
    const started = Date.now();
    const cmd = timed ? ['/usr/bin/time', '-v', process.execPath] : [process.execPath];
    const r = spawnSync(cmd[0], [...cmd.slice(1), bin, ...args, path.join(dir, 'tree')], { env, stdio: ['ignore', fd, 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
    closeSync(fd);
    return { code: r.status, stderr: r.stderr, seconds: (Date.now() - started) / 1000, bytes: statSync(out).size, peak: peakKiB(r.stderr) };
  };

  // The default report: capped fields, so a size JSON.parse takes whole.
  const out = path.join(dir, 'report.json');
  const run = runTo(out, ['--json', '--epoch', '0']);
  t.equal(run.code, 0, `exit 0 (${run.stderr.split('\n').filter((l) => l.startsWith('unstamp')).join('; ')})`);
  t.ok(run.bytes < 512 * 2 ** 20, `the report is ${run.bytes} bytes`);
  const report = JSON.parse(readFileSync(out, 'utf8'));
  t.equal(report.files.length, files, `${files} files reported`);
  t.match(report.summary, { scanned: files, failed: 0, notProcessed: 0 });
  let listed = 0;
  let omitted = 0;
  let fieldBytes = 0;
  for (const f of report.files) {
    listed += f.fields.length;
    omitted += f.fieldsOmitted;
    for (const x of f.fields) fieldBytes += JSON.stringify(x, null, 2).replace(/\n/g, '\n        ').length + ',\n        '.length;
  }
  // The old shape: every field, each printed as the listed ones are, without the two new counts.
  const oldShape = run.bytes + (omitted * fieldBytes) / listed - report.files.length * ',\n      "fieldsChanged": 0,\n      "fieldsOmitted": 0'.length;
  t.ok(oldShape > 2 ** 30, `the old shape of this report: ${(oldShape / 2 ** 30).toFixed(2)} GiB (${listed + omitted} fields)`);
  if (timed) t.ok(run.peak < 1024 * 1024, `peak RSS ${(run.peak / 1024).toFixed(0)} MiB, not the report's size`);
  t.comment(`normalize --json: ${files} files, ${run.seconds.toFixed(1)} s, report ${(run.bytes / 2 ** 20).toFixed(1)} MiB, peak RSS ${(run.peak / 1024).toFixed(0)} MiB`);

  // -v lists every field: the stream itself passes 1 GiB and stays valid JSON.
  const verbose = path.join(dir, 'verbose.json');
  const all = runTo(verbose, ['check', '--json', '-v', '--epoch', '0']);
  t.equal(all.code, 0, 'check after normalize: nothing would change');
  t.ok(all.bytes > 2 ** 30, `the -v report is ${(all.bytes / 2 ** 30).toFixed(2)} GiB`);
  let count = 0;
  let fields = 0;
  for await (const f of fileObjects(verbose)) {
    count++;
    fields += f.fields.length;
    if (f.fieldsOmitted !== 0) t.fail('-v left fields out');
  }
  t.equal(count, files, 'every file object parses');
  t.equal(fields, listed + omitted, 'and holds every field');
  // The end, read alone: the whole file is longer than V8's longest string.
  const end = Buffer.alloc(4096);
  const fd = openSync(verbose, 'r');
  readSync(fd, end, 0, end.length, all.bytes - end.length);
  closeSync(fd);
  const text = end.toString('utf8');
  t.match(JSON.parse(`{${text.slice(text.indexOf('\n  "summary"'))}`), { summary: { scanned: files, failed: 0 }, exitCode: 0 }, 'the summary ends it');
  if (timed) t.ok(all.peak < 1024 * 1024, `peak RSS ${(all.peak / 1024).toFixed(0)} MiB`);
  t.comment(`check --json -v: ${all.seconds.toFixed(1)} s, report ${(all.bytes / 2 ** 30).toFixed(2)} GiB, peak RSS ${(all.peak / 1024).toFixed(0)} MiB`);
});
