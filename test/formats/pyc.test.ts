import t from 'tap';
import { cpSync, readFileSync, readdirSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { cli, cliProcess, copySample, expectRefused, have, samples, sh, tempDir } from '../helpers.js';

const PY = '/usr/bin/python3';

/** Python's own view of a pyc: its flags, its header, and whether marshal loads its code. */
function inspect(pyc: string, source?: string): { flags: number; hashOk: boolean | null; code: string } {
  const code = [
    'import importlib.util, json, marshal, sys',
    'data = open(sys.argv[1], "rb").read()',
    'assert data[:4] == importlib.util.MAGIC_NUMBER, "not this Python\'s magic"',
    'flags = int.from_bytes(data[4:8], "little")',
    'co = marshal.loads(data[16:])',
    'ok = None',
    'if len(sys.argv) > 2 and flags & 1: ok = importlib.util.source_hash(open(sys.argv[2], "rb").read()) == data[8:16]',
    'print(json.dumps({"flags": flags, "hashOk": ok, "code": co.co_name}))',
  ].join('\n');
  const r = sh(PY, ['-c', code, pyc, ...(source ? [source] : [])]);
  if (r.code !== 0) throw new Error(`python rejected ${pyc}: ${r.stderr}`);
  return JSON.parse(r.stdout.toString());
}

/**
 * git keeps no mtimes: give each source the mtime its pyc records, as the build left it
 * (py_compile wrote the source's mtime into the header).
 */
function restoreSourceTimes(dir: string, pairs: [string, string][]): void {
  for (const [pyc, source] of pairs) {
    const mtime = readFileSync(path.join(dir, pyc)).readUInt32LE(8);
    utimesSync(path.join(dir, source), mtime, mtime);
  }
}

/** Import pkg.mod (or mod) from `root` with python3 -v: what the importer says about the pyc. */
function importVerbose(root: string, module: string, extra: string[] = []): string {
  const r = sh('env', [`PYTHONPATH=${root}`, 'PYTHONDONTWRITEBYTECODE=', PY, ...extra, '-v', '-c', `import ${module}`], root);
  if (r.code !== 0) throw new Error(`import ${module}: ${r.stderr}`);
  return r.stderr.split('\n').filter((l) => l.includes(root)).join('\n');
}

const pycs = ['pkg/__pycache__/mod.cpython-311.pyc', 'pkg/__pycache__/mod.cpython-311.opt-1.pyc'];

t.test('pyc/pycache: timestamp pycs beside their source become checked hash pycs; identical; Python loads them and keeps them', async (t) => {
  const dir = copySample(t, 'pyc/pycache');
  for (const s of ['a', 'b']) restoreSourceTimes(path.join(dir, s), pycs.map((p) => [p, 'pkg/mod.py']));
  for (const p of pycs) t.not(readFileSync(path.join(dir, 'a', p)).toString('hex'), readFileSync(path.join(dir, 'b', p)).toString('hex'), `${p}: the builds differ before`);
  const a = path.join(dir, 'a');
  t.match(importVerbose(a, 'pkg.mod'), /mod\.cpython-311\.pyc matches .*pkg\/mod\.py/, 'before: Python accepts the timestamp pyc (the source mtime is the recorded one)');

  const run = cli(['-v', dir]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /flags: 0 \(timestamp\) -> 3 \(checked hash-based\)/);
  t.match(run.stdout, /mtime and source size -> source hash: mtime 1577934245 \(2020-01-02 03:04:05 UTC\), source size 77 -> SipHash-1-3 of \.\.\/mod\.py: [0-9a-f]{16}/);
  t.equal(run.stderr, '', 'no warning');
  for (const p of pycs) {
    const pa = path.join(dir, 'a', p);
    t.ok(readFileSync(pa).equals(readFileSync(path.join(dir, 'b', p))), `${p}: byte-identical after`);
    t.same(inspect(pa, path.join(a, 'pkg/mod.py')), { flags: 3, hashOk: true, code: '<module>' }, `${p}: flags 3, importlib.util.source_hash matches, marshal loads the code`);
  }

  // Python rewrites a pyc it finds stale: after importing, the pycs must be the same bytes.
  const after = pycs.map((p) => readFileSync(path.join(a, p)));
  // Any source mtime will do now: a hash pyc does not look at it.
  utimesSync(path.join(a, 'pkg/mod.py'), 1234567890, 1234567890);
  const log = importVerbose(a, 'pkg.mod');
  t.match(log, /mod\.cpython-311\.pyc matches .*pkg\/mod\.py/, 'python3 -v: the pyc matches its source');
  t.notMatch(log, /bad mtime|stale|wrote|hash mismatch/, 'not stale, not rewritten');
  t.match(importVerbose(a, 'pkg.mod', ['-O']), /mod\.cpython-311\.opt-1\.pyc matches/, 'python3 -O loads the opt-1 pyc too');
  for (const [i, p] of pycs.entries()) t.ok(readFileSync(path.join(a, p)).equals(after[i]), `${p}: unchanged by the imports`);
  t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
  t.equal(JSON.parse(cli(['--json', dir]).stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
});

t.test('pyc/legacy: mod.pyc beside mod.py (compileall -b) is converted the same way', async (t) => {
  const dir = copySample(t, 'pyc/legacy');
  for (const s of ['a', 'b']) restoreSourceTimes(path.join(dir, s), [['mod.pyc', 'mod.py']]);
  t.equal(cli([dir]).code, 0);
  const a = path.join(dir, 'a', 'mod.pyc');
  t.ok(readFileSync(a).equals(readFileSync(path.join(dir, 'b', 'mod.pyc'))), 'byte-identical after');
  t.same(inspect(a, path.join(dir, 'a', 'mod.py')), { flags: 3, hashOk: true, code: '<module>' });
});

t.test('pyc/no-source: only the mtime -> the epoch, with the warning; identical; marshal still loads it', async (t) => {
  const dir = copySample(t, 'pyc/no-source');
  const run = cli(['-v', dir]);
  t.equal(run.code, 0, run.stderr);
  t.match(run.stdout, /mtime: 1577934245 \(2020-01-02 03:04:05 UTC\) -> 0 \(1970-01-01 00:00:00 UTC\)/);
  // Outside __pycache__, the source of mod.cpython-311.pyc would be mod.cpython-311.py (the legacy layout).
  t.match(run.stderr, /warning: timestamp pyc without its source \(no regular file mod\.cpython-311\.py beside it\): mtime set to the epoch; Python recompiles it unless the source's mtime is the epoch too/);
  const a = path.join(dir, 'a', 'mod.cpython-311.pyc');
  t.ok(readFileSync(a).equals(readFileSync(path.join(dir, 'b', 'mod.cpython-311.pyc'))), 'byte-identical after');
  t.same(inspect(a), { flags: 0, hashOk: null, code: '<module>' });
  t.equal(readFileSync(a).readUInt32LE(8), 0);
  t.equal(readFileSync(a).readUInt32LE(12), 77, 'the source size is kept');
  t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
});

t.test('pyc/checked-hash: already deterministic and correct: clean, nothing written', async (t) => {
  const dir = copySample(t, 'pyc/checked-hash');
  const p = path.join(dir, 'a', pycs[0]);
  const before = readFileSync(p);
  t.ok(before.equals(readFileSync(path.join(dir, 'b', pycs[0]))), 'py_compile CHECKED_HASH: the builds are identical');
  const r = cli(['--json', 'check', dir]);
  t.equal(r.code, 0, r.stderr);
  const file = JSON.parse(r.stdout).files.find((f: { path: string }) => f.path === p);
  t.equal(file.status, 'clean');
  t.match(file.notes, [/checked hash-based pyc: its hash matches \.\.\/mod\.py/]);
  t.ok(readFileSync(p).equals(before));
});

t.test('a checked hash pyc whose source changed is warned about and left alone (never made valid)', async (t) => {
  const dir = copySample(t, 'pyc/checked-hash');
  const a = path.join(dir, 'a');
  writeFileSync(path.join(a, 'pkg/mod.py'), 'GREETING = "changed"\n');
  const before = readFileSync(path.join(a, pycs[0]));
  const r = cli([a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /checked hash-based pyc: its hash [0-9a-f]{16} is not the SipHash-1-3 of \.\.\/mod\.py: Python recompiles it; left as it is/);
  t.ok(readFileSync(path.join(a, pycs[0])).equals(before), 'untouched');
});

t.test('a stale timestamp pyc (the source has another mtime) is not turned into a hash pyc', async (t) => {
  const dir = copySample(t, 'pyc/pycache');
  const a = path.join(dir, 'a');
  utimesSync(path.join(a, 'pkg/mod.py'), 1600000000, 1600000000);
  const r = cli(['-v', a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /its source \.\.\/mod\.py has another mtime or size than the pyc records \(mtime 1600000000 .*, size 77\): Python recompiles it anyway; only its mtime was set/);
  t.same(inspect(path.join(a, pycs[0])), { flags: 0, hashOk: null, code: '<module>' });
  t.equal(readFileSync(path.join(a, pycs[0])).readUInt32LE(8), 0);
});

t.test('a source that is a symlink is not followed: the pyc is treated as without its source', async (t) => {
  const dir = copySample(t, 'pyc/pycache');
  const a = path.join(dir, 'a');
  restoreSourceTimes(a, [[pycs[0], 'pkg/mod.py']]);
  const outside = tempDir(t);
  cpSync(path.join(a, 'pkg/mod.py'), path.join(outside, 'mod.py'), { preserveTimestamps: true });
  sh('rm', [path.join(a, 'pkg/mod.py')]);
  symlinkSync(path.join(outside, 'mod.py'), path.join(a, 'pkg/mod.py'));
  const r = cli([a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /timestamp pyc without its source \(no regular file \.\.\/mod\.py beside it\)/);
  t.equal(inspect(path.join(a, pycs[0])).flags, 0);
});

t.test('a FIFO where the source should be does not hang the run: the pyc is treated as without its source', { skip: !have('mkfifo') && 'mkfifo is not installed' }, async (t) => {
  const dir = copySample(t, 'pyc/pycache');
  const a = path.join(dir, 'a');
  sh('rm', [path.join(a, 'pkg/mod.py')]);
  t.equal(sh('mkfifo', [path.join(a, 'pkg/mod.py')]).code, 0);
  const r = cli([a]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stderr, /timestamp pyc without its source \(no regular file \.\.\/mod\.py beside it\)/);
});

t.test('the source is found from __pycache__ given alone, and from a pyc named inside it', async (t) => {
  const dir = copySample(t, 'pyc/pycache');
  const a = path.join(dir, 'a');
  restoreSourceTimes(a, pycs.map((p) => [p, 'pkg/mod.py']));
  t.equal(cli([path.join(a, 'pkg/__pycache__')]).code, 0);
  t.equal(inspect(path.join(a, pycs[0]), path.join(a, 'pkg/mod.py')).hashOk, true, 'the walk root __pycache__: its parent holds the source');
  const r = cliProcess(['mod.cpython-311.opt-1.pyc'], { cwd: path.join(a, 'pkg/__pycache__') });
  t.equal(r.code, 0, r.stderr);
  t.equal(inspect(path.join(a, pycs[1]), path.join(a, 'pkg/mod.py')).hashOk, true, 'a relative name inside __pycache__');
});

t.test('pyc/zip-stored: a pyc member gets the epoch mtime with the archive warning; unzip and marshal accept it', { skip: !have('unzip') && 'unzip is not installed' }, async (t) => {
  const dir = copySample(t, 'pyc/zip-stored');
  const r = cli(['-v', dir]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /pkg\/__pycache__\/mod\.cpython-311\.pyc: mtime: 1577934245 .* -> 0/);
  t.match(r.stderr, /timestamp pyc without its source \(inside an archive\)/);
  const a = path.join(dir, 'a', 'app.zip');
  t.ok(readFileSync(a).equals(readFileSync(path.join(dir, 'b', 'app.zip'))), 'byte-identical after');
  t.equal(sh('unzip', ['-tqq', a]).code, 0, 'unzip -t accepts it');
  const code = 'import marshal, sys, zipfile; d = zipfile.ZipFile(sys.argv[1]).read("pkg/__pycache__/mod.cpython-311.pyc"); print(d[8:12].hex(), marshal.loads(d[16:]).co_name)';
  const m = sh(PY, ['-c', code, a]);
  t.equal(m.stdout.toString().trim(), '00000000 <module>', `zipfile reads the member (CRC checked), mtime 0, marshal loads it: ${m.stderr}`);
});

t.test('pycs this version does not handle are skipped with the reason; broken headers are refused', async (t) => {
  const dir = tempDir(t);
  const good = readFileSync(path.join(samples, 'pyc/no-source/a/mod.cpython-311.pyc'));
  const withMagic = (m: number) => {
    const b = Buffer.from(good);
    b.writeUInt16LE(m, 0);
    return b;
  };
  writeFileSync(path.join(dir, 'py36.pyc'), withMagic(3379));
  writeFileSync(path.join(dir, 'future.pyc'), withMagic(3900));
  const r = JSON.parse(cli(['--json', dir]).stdout);
  const by = Object.fromEntries(r.files.map((f: { path: string }) => [path.basename(f.path), f]));
  t.equal(by['py36.pyc'].status, 'skipped');
  t.match(by['py36.pyc'].reason, /Python 3\.6 pyc \(magic 3379\): a header from before PEP 552 \(3\.7\), left alone/);
  t.equal(by['future.pyc'].status, 'skipped');
  t.match(by['future.pyc'].reason, /pyc magic 3900 is not a known CPython magic/);
  t.ok(readFileSync(path.join(dir, 'py36.pyc')).equals(withMagic(3379)), 'untouched');
});

const badFlags = Buffer.from(readFileSync(path.join(samples, 'pyc/no-source/a/mod.cpython-311.pyc')));
badFlags.writeUInt32LE(4, 4);
for (const c of [
  { name: 'flags with an undefined bit', bytes: badFlags, message: /pyc flags at 0x4 are 0x4: only bits 0 \(hash-based\) and 1 \(check_source\) are defined/ },
  { name: 'a header cut short', bytes: Buffer.from('a70d0d0a00000000', 'hex'), message: /pyc header at 0x0 \(16 bytes\) runs past the end \(size 0x8\)/ },
]) {
  t.test(`refused: ${c.name}`, async (t) => expectRefused(t, { ...c, file: 'bad.pyc' }, 'pyc/no-source/a/mod.cpython-311.pyc'));
}

t.test('every sample pyc is the magic of the python3 that made it', async (t) => {
  const magic = sh(PY, ['-c', 'import importlib.util,sys; sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())']).stdout.toString();
  const dir = path.join(samples, 'pyc/no-source/a');
  for (const f of readdirSync(dir)) t.equal(readFileSync(path.join(dir, f)).subarray(0, 4).toString('hex'), magic, f);
});
