// `unstamp explain <a> <b>`: the fields unstamp fixes, the bytes that would still differ
// after normalization, where they lie and why, on real builds. samples/explain/ holds
// two builds made by samples/make-explain-samples.sh (clang + lld-link of a program
// with __DATE__, __TIME__ and __FILE__; Info-ZIP archives of text stamped with the
// build time; a GNU ar archive), and one more pair is built here when the tools exist.
import t from 'tap';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recognize } from '../src/diff/causes.js';
import { cli, have, output, samples, tempDir } from './helpers.js';

const ex = path.join(samples, 'explain');

interface Remaining {
  offset: number;
  length: number;
  differingBytes: number;
  location: string;
  cause: string;
  causes: { kind: string; text: string }[];
  a: string;
  b: string;
}
interface Pair {
  path?: string;
  a: string;
  b: string;
  format?: string;
  sizeA: number;
  sizeB: number;
  identicalBefore: boolean;
  identicalAfter: boolean;
  fixedFields: { field: string; offsetA: number; offsetB: number; a: string; b: string; new: string }[];
  remaining: Remaining[];
  remainingRanges: number;
  remainingBytes: number;
  skipped?: { a?: string; b?: string };
  error?: { side: string; message: string };
}
interface Report {
  unstamp: number;
  command: string;
  directories: boolean;
  pairs: Pair[];
  onlyInA: string[];
  onlyInB: string[];
  summary: Record<string, number>;
  exitCode: number;
}

function json(args: string[]): Report {
  const r = cli(['explain', '--json', ...args]);
  const report = JSON.parse(r.stdout) as Report;
  if (report.exitCode !== r.code) throw new Error(`exitCode ${report.exitCode} in the report, ${r.code} from the process`);
  return report;
}

/** The one remaining range whose cause names `kind`. */
function range(p: Pair, kind: string): Remaining {
  const found = p.remaining.filter((r) => r.causes.some((c) => c.kind === kind));
  if (found.length !== 1) throw new Error(`${found.length} ranges with cause ${kind} in ${p.a}: ${JSON.stringify(p.remaining.map((r) => r.cause))}`);
  return found[0];
}

const inside = (r: Remaining, offset: number) => offset >= r.offset && offset < r.offset + r.length;

t.test('one file: explain <file> is unchanged', async (t) => {
  const r = cli(['explain', path.join(samples, 'pe/lld-exe/a/app.exe')]);
  t.equal(r.code, 0);
  t.match(r.stdout, /app\.exe: pe, 2560 bytes; 4 fields found, 3 would change/);
  t.match(r.stdout, /0x80 +COFF TimeDateStamp: 1614834367 .* -> /);
});

t.test('two builds that differ only in fields unstamp rewrites: exit 0, the fields listed', async (t) => {
  const a = path.join(samples, 'pe/lld-exe/a/app.exe');
  const b = path.join(samples, 'pe/lld-exe/b/app.exe');
  const r = cli(['explain', a, b]);
  t.equal(r.code, 0, r.stderr);
  t.match(r.stdout, /^same after +.*app\.exe vs .*app\.exe +\[pe, 2560 bytes\]: identical after normalization; 2 fields differ/m);
  t.match(r.stdout, /0x80 +COFF TimeDateStamp: a 1614834367 \(2021-03-04 05:06:07 UTC\), b 1694344333 \(2023-09-10 11:12:13 UTC\) -> \d+/);
  t.match(r.stdout, /debug directory\[0\] \(CodeView\) TimeDateStamp: a 1614834367/);
  t.notMatch(r.stdout, /still differ/);

  const j = json([a, b]);
  t.equal(j.command, 'explain');
  t.equal(j.directories, false);
  t.equal(j.exitCode, 0);
  const [p] = j.pairs;
  t.equal(p.format, 'pe');
  t.equal(p.identicalBefore, false);
  t.equal(p.identicalAfter, true);
  t.same(p.remaining, []);
  t.same(
    p.fixedFields.map((f) => [f.field, f.offsetA, f.offsetB]),
    [
      ['COFF TimeDateStamp', 0x80, 0x80],
      ['debug directory[0] (CodeView) TimeDateStamp', 0x604, 0x604],
    ],
  );
  // The common new value is the one `unstamp explain <file>` gives each side.
  const single = JSON.parse(cli(['explain', '--json', b]).stdout).files[0].fields.find((f: { field: string }) => f.field === 'COFF TimeDateStamp');
  t.equal(p.fixedFields[0].new, single.new);
  t.equal(p.fixedFields[0].b, single.old);

  // ar: 17 header fields, a member nested inside included.
  const ar = json([path.join(samples, 'ar/gnu/a/libdemo.a'), path.join(samples, 'ar/gnu/b/libdemo.a')]);
  t.equal(ar.exitCode, 0);
  t.equal(ar.pairs[0].fixedFields.length, 17);
  t.ok(ar.pairs[0].fixedFields.some((f) => f.field === 'member add.o ar_uid' && f.a === '1000' && f.b === '4321' && f.new === '0'));
});

t.test('PE built twice with __DATE__, __TIME__ and __FILE__: located by section and RVA, causes named', async (t) => {
  const a = path.join(ex, 'a/app.exe');
  const b = path.join(ex, 'b/app.exe');
  const r = cli(['explain', a, b]);
  t.equal(r.code, 1, 'exit 1: still differs');
  t.match(r.stdout, /^DIFFERS +.*\[pe, 2560 bytes\]: 4 ranges, 12 bytes still differ after normalization/m);

  const p = json([a, b]).pairs[0];
  t.equal(p.identicalAfter, false);
  t.equal(p.remainingRanges, 4);
  const bytesA = readFileSync(a);
  const bytesB = readFileSync(b);

  const date = range(p, '__DATE__');
  t.match(date.causes[0].text, /"Nov 24 2026" vs "Nov 25 2026"/);
  t.ok(inside(date, bytesA.indexOf('Nov 24 2026') + 5), 'the range holds the day that differs');
  t.ok(inside(date, bytesB.indexOf('Nov 25 2026') + 5));
  const time = range(p, '__TIME__');
  t.match(time.causes[0].text, /"12:34:56" vs "08:09:10"/);
  t.equal(time.offset, bytesA.indexOf('12:34:56'));
  const file = range(p, 'build path');
  t.match(file.causes[0].text, /"\/tmp\/unstamp-explain\/a\/stamp\.c" vs "\/tmp\/unstamp-explain\/b\/stamp\.c"/);

  // The TimeDateStamp unstamp computes from the content differs, because the content does.
  const stamp = range(p, 'derived');
  t.equal(stamp.offset, 0x80);
  t.match(stamp.location, /COFF file header/);
  t.match(stamp.causes[0].text, /^COFF TimeDateStamp: computed by unstamp from the file's content/);

  // Section and RVA, checked against llvm-readobj's section table.
  for (const x of [date, time, file]) t.match(x.location, /^section \.rdata at RVA 0x[0-9a-f]+$/);
  if (have('llvm-readobj')) {
    const text = output('llvm-readobj', ['--sections', a]);
    const m = /Name: \.rdata [^]*?VirtualAddress: (0x[0-9A-Fa-f]+)[^]*?PointerToRawData: (0x[0-9A-Fa-f]+)/.exec(text);
    t.ok(m, 'llvm-readobj lists .rdata');
    const rva = Number(m![1]) + time.offset - Number(m![2]);
    t.equal(time.location, `section .rdata at RVA 0x${rva.toString(16)}`);
  }
});

t.test('zip members whose text holds the build time: located by member, causes named (stored and deflated)', async (t) => {
  const a = path.join(ex, 'a/stamp.zip');
  const b = path.join(ex, 'b/stamp.zip');
  const r = cli(['explain', a, b]);
  t.equal(r.code, 1);
  const p = json([a, b]).pairs[0];
  t.equal(p.format, 'zip');
  t.same(
    p.fixedFields.map((f) => f.field),
    ['build-info.txt: local DOS time/date', 'notes/version.txt: local DOS time/date', 'build-info.txt: central DOS time/date', 'notes/version.txt: central DOS time/date'],
  );

  const stored = p.remaining.filter((x) => x.location.startsWith('member build-info.txt (stored data)'));
  t.same(stored[0].causes.map((c) => c.kind), ['__DATE__', '__TIME__']);
  t.match(stored[0].causes[0].text, /"Nov 24 2026" vs "Nov 25 2026"/);
  t.same(stored[1].causes.map((c) => c.kind), ['build path']);

  const deflated = p.remaining.filter((x) => x.location.startsWith('member notes/version.txt (deflated data)'));
  t.ok(deflated.length >= 1);
  t.same(deflated[0].causes.map((c) => c.kind), ['__DATE__', '__TIME__']);
  t.match(deflated[0].causes[1].text, /^inflated data of member notes\/version\.txt \(deflated data\) differs at \+0x12: .*"12:34:56" vs "08:09:10"/);

  const crcs = p.remaining.filter((x) => / > CRC-32$/.test(x.location));
  t.equal(crcs.length, 4, 'the CRC-32 of both members, in the local headers and the central directory');
  for (const c of crcs) t.same(c.causes.map((x) => x.kind), ['derived']);

  // Where the members are, checked against zipinfo.
  if (have('zipinfo')) {
    const offsets = [...output('zipinfo', ['-v', a]).matchAll(/offset of local header from start of archive: +(\d+)/g)].map((m) => Number(m[1]));
    t.equal(offsets.length, 2);
    t.ok(stored[0].offset > offsets[0] && stored[0].offset < offsets[1], 'the stored text lies in the first member');
    t.ok(deflated[0].offset > offsets[1], 'the deflated text lies in the second member');
  }
  if (have('unzip')) t.match(output('unzip', ['-p', a, 'notes/version.txt']), /version 1\.0, Nov 24 2026 12:34:56/);
});

t.test('directories: paired by relative path; one-sided files listed; exit 1', async (t) => {
  const a = path.join(ex, 'a');
  const b = path.join(ex, 'b');
  const r = cli(['explain', a, b]);
  t.equal(r.code, 1);
  t.equal(r.stderr, '');
  t.match(r.stdout, /^DIFFERS +app\.exe +\[pe, 2560 bytes\]/m);
  t.match(r.stdout, /^DIFFERS +stamp\.zip +\[zip, 492 bytes\]/m);
  t.match(r.stdout, /^same after +libstamp\.a +\[ar, 1232 bytes\]: identical after normalization; 2 fields differ/m);
  t.notMatch(r.stdout, /README\.txt/, 'byte-identical pairs only with -v');
  t.match(r.stdout, /^only in a +only-a\.txt$/m);
  t.match(r.stdout, /^only in b +only-b\.txt$/m);
  t.match(r.stdout, /^unstamp: explain: 4 pairs: 2 identical after normalization \(1 byte-identical already\), 2 still differ; 1 only in a, 1 only in b; 0 failed; /m);
  t.match(cli(['explain', '-v', a, b]).stdout, /^identical +README\.txt +\[unknown format, 73 bytes\]$/m);

  const j = json([a, b]);
  t.equal(j.directories, true);
  t.equal(j.exitCode, 1);
  t.same(j.pairs.map((p) => p.path), ['README.txt', 'app.exe', 'libstamp.a', 'stamp.zip']);
  t.same(j.onlyInA, ['only-a.txt']);
  t.same(j.onlyInB, ['only-b.txt']);
  t.same({ ...j.summary, seconds: 0 }, { pairs: 4, identicalBefore: 1, identicalAfter: 2, differ: 2, onlyInA: 1, onlyInB: 1, failed: 0, seconds: 0 });
  // The text report and the JSON say the same.
  for (const p of j.pairs) {
    for (const x of p.remaining) {
      t.ok(r.stdout.includes(`0x${x.offset.toString(16)}..0x${(x.offset + x.length).toString(16)}`), `${p.path} range at ${x.offset} in the text`);
      t.ok(r.stdout.includes(x.location), x.location);
      for (const c of x.causes) t.ok(r.stdout.includes(c.text), c.text);
    }
  }
  t.same(json([path.join(ex, 'a/app.exe'), path.join(ex, 'b/app.exe')]).pairs[0].remaining, j.pairs[1].remaining, 'a pair explains the same alone or in its directory');
});

t.test('directories that become identical: exit 0 (PE and PDB normalized together)', async (t) => {
  for (const v of ['pe/lld-exe', 'pe/mingw-exe-pdb', 'pe/lld-exe-reguid', 'zip/nested', 'macho/fat']) {
    const r = cli(['explain', path.join(samples, v, 'a'), path.join(samples, v, 'b')]);
    t.equal(r.code, 0, `${v}: ${r.stdout}${r.stderr}`);
    t.match(r.stdout, /0 still differ; 0 only in a, 0 only in b; 0 failed/);
  }
  const j = json([path.join(samples, 'pe/lld-exe-reguid/a'), path.join(samples, 'pe/lld-exe-reguid/b')]);
  const pdb = j.pairs.find((p) => p.path === 'app.pdb')!;
  t.equal(pdb.format, 'pdb');
  t.same(pdb.fixedFields.map((f) => f.field), ['PDB info stream Signature', 'PDB info stream GUID']);
});

t.test('one-sided files alone make the result 1', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(samples, 'pe/lld-exe/a'), path.join(dir, 'a'), { recursive: true });
  cpSync(path.join(samples, 'pe/lld-exe/b'), path.join(dir, 'b'), { recursive: true });
  rmSync(path.join(dir, 'b/app.pdb'));
  mkdirSync(path.join(dir, 'b/sub'));
  writeFileSync(path.join(dir, 'b/sub/extra.txt'), 'x');
  const r = cli(['explain', path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(r.code, 1);
  t.match(r.stdout, /^only in a +app\.pdb$/m);
  t.match(r.stdout, /^only in b +sub\/extra\.txt$/m);
  t.match(r.stdout, /1 identical after normalization, 0 still differ; 1 only in a, 1 only in b/);
  const j = json([path.join(dir, 'a'), path.join(dir, 'b')]);
  t.same([j.onlyInA, j.onlyInB, j.exitCode], [['app.pdb'], ['sub/extra.txt'], 1]);
});

t.test('a file that fails to parse: exit 3, named on stderr; the other pairs still compared', async (t) => {
  const dir = tempDir(t);
  cpSync(path.join(ex, 'a'), path.join(dir, 'a'), { recursive: true });
  cpSync(path.join(ex, 'b'), path.join(dir, 'b'), { recursive: true });
  const bad = path.join(dir, 'b/stamp.zip');
  truncateSync(bad, 300); // the end of central directory record is gone
  const r = cli(['explain', path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(r.code, 3);
  t.match(r.stderr, new RegExp(`^unstamp: ${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: no end of central directory record.*; cannot compare it$`, 'm'));
  t.match(r.stdout, /^DIFFERS +app\.exe/m);
  t.match(r.stdout, /; 1 failed; /);
  const j = json([path.join(dir, 'a'), path.join(dir, 'b')]);
  t.equal(j.exitCode, 3);
  const zip = j.pairs.find((p) => p.path === 'stamp.zip')!;
  t.equal(zip.error?.side, 'b');
  t.equal(j.summary.failed, 1);

  t.equal(cli(['explain', path.join(ex, 'a/app.exe'), path.join(dir, 'missing.exe')]).code, 3, 'a file that does not exist');
  const usage = cli(['explain', path.join(ex, 'a'), path.join(ex, 'a/app.exe')]);
  t.equal(usage.code, 2, 'a directory and a file');
  t.match(usage.stderr, /is a directory and .* is not/);
  t.equal(cli(['explain', 'x', 'y', 'z']).code, 2, 'three paths');
});

t.test('a PDB stream and a fat Mach-O slice are named (checked against llvm-pdbutil)', async (t) => {
  const dir = tempDir(t);
  for (const side of ['a', 'b']) cpSync(path.join(samples, 'pe/lld-exe/a'), path.join(dir, side), { recursive: true });
  // One byte of stream 4 (IPI) changed in b: a difference unstamp does not fix.
  let blockSize = 4096;
  let block = 15;
  if (have('llvm-pdbutil')) {
    blockSize = Number(/Block Size: (\d+)/.exec(output('llvm-pdbutil', ['dump', '--summary', path.join(dir, 'a/app.pdb')]))![1]);
    block = Number(/Stream +4 \(.*\): \[IPI Stream\]\s+Blocks: \[(\d+)/.exec(output('llvm-pdbutil', ['dump', '--streams', '--stream-blocks', path.join(dir, 'a/app.pdb')]))![1]);
  }
  const pdb = readFileSync(path.join(dir, 'b/app.pdb'));
  pdb[block * blockSize + 0x40] ^= 0xff;
  writeFileSync(path.join(dir, 'b/app.pdb'), pdb);
  const j = json([path.join(dir, 'a'), path.join(dir, 'b')]);
  const p = j.pairs.find((x) => x.path === 'app.pdb')!;
  t.equal(p.remainingRanges, 1);
  t.equal(p.remaining[0].offset, block * blockSize + 0x40);
  t.equal(p.remaining[0].location, 'stream 4 (IPI) at stream offset 0x40');

  if (!have('llvm-objdump')) return t.skip('the fat file part needs llvm-objdump');
  const fat = path.join(samples, 'macho/fat/a/libdemo.dylib');
  const bytes = readFileSync(fat);
  const copy = path.join(dir, 'fat-b.dylib');
  // The last byte of the second slice's __TEXT,__text section.
  const slices = [...output('llvm-objdump', ['--macho', '--universal-headers', fat]).matchAll(/offset (\d+)/g)].map((m) => Number(m[1]));
  t.equal(slices.length, 2);
  const flip = slices[1] + 0x3000 + 0x10;
  bytes[flip] ^= 0xff;
  writeFileSync(copy, bytes);
  const m = json([fat, copy]).pairs[0];
  const located = m.remaining.find((x) => inside(x, flip))!;
  t.match(located.location, /^slice (arm64|x86_64) > segment __/);
});

t.test('a build made here, twice, at two clocks (clang + lld-link under faketime)', async (t) => {
  const missing = ['clang', 'lld-link', 'faketime'].filter((x) => !have(x));
  if (missing.length > 0) return t.skip(`needs ${missing.join(', ')}`);
  const dir = tempDir(t);
  const src = path.join(dir, 'v.c');
  writeFileSync(src, 'const char v[] = "built " __DATE__ " at " __TIME__;\nint mainCRTStartup(void) { return v[0]; }\n');
  for (const [side, clock] of [['a', '2030-01-02 03:04:05'], ['b', '2030-01-09 03:04:59']]) {
    mkdirSync(path.join(dir, side));
    const run = (cmd: string, args: string[]) => {
      const r = spawnSync('faketime', ['-f', clock, cmd, ...args], { cwd: path.join(dir, side), env: { ...process.env, NO_FAKE_STAT: '1', TZ: 'UTC' } });
      if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    };
    run('clang', ['--target=x86_64-pc-windows-msvc', '-O0', '-c', src, '-o', 'v.obj']);
    run('lld-link', ['/nodefaultlib', '/entry:mainCRTStartup', '/subsystem:console', '/out:v.exe', 'v.obj']);
  }
  const j = json([path.join(dir, 'a/v.exe'), path.join(dir, 'b/v.exe')]);
  t.equal(j.exitCode, 1);
  const p = j.pairs[0];
  // By default the TimeDateStamp is a hash of the content, which differs: it stays different.
  t.equal(range(p, 'derived').offset, 0x80);
  t.same(p.fixedFields, []);
  // With --pe-timestamp epoch it is fixed: the two link times, then the epoch.
  const epoch = json(['--pe-timestamp', 'epoch', path.join(dir, 'a/v.exe'), path.join(dir, 'b/v.exe')]).pairs[0];
  t.match(epoch.fixedFields[0], { field: 'COFF TimeDateStamp', offsetA: 0x80, a: /^1893553445 \(2030-01-02 03:04:05 UTC\)$/, b: /^1894158299 /, new: /^0 / });
  t.notOk(epoch.remaining.some((x) => x.offset === 0x80));
  const date = range(p, '__DATE__');
  t.match(date.causes[0].text, /"Jan  2 2030" vs "Jan  9 2030"/);
  t.match(date.location, /^section \.rdata at RVA 0x/);
  t.match(range(p, '__TIME__').causes[0].text, /"03:04:05" vs "03:04:59"/);
});

t.test('files of no known format are compared as they are; different sizes are said', async (t) => {
  const dir = tempDir(t);
  for (const [side, day, user] of [['a', '24', 'alice'], ['b', '25', 'bobby']]) {
    mkdirSync(path.join(dir, side));
    writeFileSync(path.join(dir, side, 'v.txt'), `version 1\nbuilt 2026-11-${day}T12:00:00Z in /home/${user}/src/proj\n`);
  }
  const j = json([path.join(dir, 'a'), path.join(dir, 'b')]);
  const p = j.pairs[0];
  t.same(p.skipped, { a: 'unknown format', b: 'unknown format' });
  t.same(p.remaining.map((x) => [x.location, x.cause]), [
    ['a file of no format unstamp knows', 'ISO date'],
    ['a file of no format unstamp knows', 'build path'],
  ]);
  t.match(cli(['explain', path.join(dir, 'a'), path.join(dir, 'b')]).stdout, /note: not normalized by unstamp \(unknown format\); compared as they are/);

  const a = path.join(samples, 'zip/infozip/a/demo.zip');
  const b = path.join(samples, 'zip/python/b/demo.zip');
  const r = cli(['explain', a, b]);
  t.equal(r.code, 1);
  t.match(r.stdout, /\[zip, 1148 vs 843 bytes\]: sizes differ \(1148 vs 843 bytes\); compared member by member: 0 of 5 members differ after normalization$/m);
  // Two archivers: the members lie elsewhere, so they are compared by name, and hold the same bytes.
  t.match(r.stdout, /every member holds the same bytes: the archives differ in their headers, tables or compression/);
  t.notMatch(r.stdout, /bytes were compared up to the shorter one/);
  const q = json([a, b]).pairs[0] as Pair & { byMember?: { compared: number; differ: string[] } };
  t.same([q.sizeA, q.sizeB, q.identicalAfter], [1148, 843, false]);
  t.same(q.byMember, { compared: 5, differ: [], onlyInA: [], onlyInB: [] });
  t.same(q.remaining, []);

  // A file of no known format of another size: compared up to the shorter one.
  const dir2 = tempDir(t);
  writeFileSync(path.join(dir2, 'x'), 'abcdef\n');
  writeFileSync(path.join(dir2, 'y'), 'abcdefgh\n');
  t.match(cli(['explain', path.join(dir2, 'x'), path.join(dir2, 'y')]).stdout, /sizes differ: a is 7 bytes, b is 9; bytes were compared up to the shorter one/);
});

t.test('causes recognized from bytes', async (t) => {
  const now = Date.UTC(2026, 0, 1) / 1000;
  const at = (a: Buffer, b: Buffer) => {
    let from = 0;
    while (a[from] === b[from]) from++;
    let to = a.length;
    while (a[to - 1] === b[to - 1]) to--;
    return recognize({ a, b, offset: 0x1000, from, to }, now).map((c) => c.kind);
  };
  const s = (x: string) => Buffer.from(`\0\0${x}\0\0`, 'latin1');
  t.same(at(s('Nov 24 2026'), s('Nov 25 2026')), ['__DATE__']);
  t.same(at(s('v 12:34:56'), s('v 08:09:10')), ['__TIME__']);
  t.same(at(s('Sun Sep 16 01:03:52 1973'), s('Sun Sep 16 01:04:52 1973')), ['__TIMESTAMP__']);
  t.same(at(s('on Thu Mar 04 05:06:07 UTC 2021 -->'), s('on Sun Sep 10 11:12:13 UTC 2023 -->')), ['date'], 'date(1), Java Date.toString()');
  t.same(at(s('built on Thursday, March 4, 2021'), s('built on Sunday, September 10, 2023')), ['date'], 'a date in words');
  t.same(at(s('2026-11-24T12:34:56Z'), s('2026-11-25T12:34:56Z')), ['ISO date']);
  t.same(at(s('/home/ci/build-1234/src/x.c'), s('/home/ci/build-9876/src/x.c')), ['build path']);
  t.same(at(Buffer.from('\0C:\\work\\a1\\x.c\0', 'utf16le'), Buffer.from('\0C:\\work\\b2\\x.c\0', 'utf16le')), ['build path'], 'UTF-16 (Windows) paths');
  t.same(at(s('{0A1B2C3D-1111-2222-3333-444455556666}'), s('{0A1B2C3D-1111-2222-3333-999955556666}')), ['GUID']);
  const guid = (g: string) => Buffer.concat([Buffer.alloc(4), Buffer.from(g, 'hex'), Buffer.alloc(4)]);
  t.same(at(guid('8d6e9f1a2b3c4d5e6f708192a3b4c5d6'), guid('17e3c1b05a4f9e8d7c6b5a4938271605')), ['GUID']);
  const u32 = (v: number) => {
    const b = Buffer.alloc(12);
    b.writeUInt32LE(v, 4);
    return b;
  };
  t.same(at(u32(now - 86400), u32(now)), ['timestamp'], 'a Unix time near now, in no known field');
  t.same(at(u32(0x12345678), u32(0x12345699)), [], 'a number far from now is not a time');
  t.same(at(s('abcdefgh'), s('abcxefgh')), [], 'otherwise unknown');
});

t.test('causes recognized from bytes: Unix times side by side, and only up to a day ahead of now', async (t) => {
  const now = Date.UTC(2026, 0, 1) / 1000;
  const rec = (a: Buffer, b: Buffer, offset = 0x1000) => {
    let from = 0;
    while (a[from] === b[from]) from++;
    let to = a.length;
    while (a[to - 1] === b[to - 1]) to--;
    return recognize({ a, b, offset, from, to }, now);
  };
  const times = (...v: number[]) => {
    const b = Buffer.alloc(8 + v.length * 4);
    v.forEach((x, i) => b.writeUInt32LE(x, 4 + i * 4));
    return b;
  };
  // An inode's atime, ctime and mtime: 11 differing bytes that used to pass for a GUID.
  const three = rec(times(now - 90000, now - 90000, now - 90000), times(now - 3600, now - 3600, now - 3600));
  t.same(three.map((c) => c.kind), ['timestamp']);
  t.match(three[0].text, /3 such values side by side/);
  t.same(rec(times(now - 86400), times(now + 7200)).map((c) => c.kind), ['timestamp'], 'a time a few hours ahead (a clock skew) still counts');
  t.same(rec(times(now - 86400), times(now + 30 * 86400)).map((c) => c.kind), [], 'a month ahead is not a build time');
  // Unaligned, in a short range: a packed header field.
  const packed = (v: number) => {
    const b = Buffer.alloc(11);
    b.writeUInt32BE(v, 3);
    return b;
  };
  t.same(rec(packed(now - 86400), packed(now)).map((c) => c.kind), ['timestamp'], 'at an odd offset, big-endian');
});

t.test('PNG pair (ImageMagick, before normalization): every differing field named, identical after', async (t) => {
  const a = path.join(samples, 'png/imagemagick/a/image.png');
  const b = path.join(samples, 'png/imagemagick/b/image.png');
  const p = json([a, b]).pairs[0];
  t.equal(p.format, 'png');
  t.same([p.identicalBefore, p.identicalAfter], [false, true]);
  t.same(
    p.fixedFields.map((f) => f.field),
    ['tIME', 'tIME CRC', 'tEXt "date:create"', 'tEXt CRC', 'tEXt "date:modify"', 'tEXt CRC'],
  );
  t.equal(p.remaining.length, 0);
});

t.test('a region the format names wins over guessing: PNG tIME and date chunks, uImage ih_time, when unstamp does not rewrite them', async (t) => {
  // --formats leaves the files alone; the structure is still read to say where bytes lie.
  const png = json(['--formats', 'no-png', path.join(samples, 'png/imagemagick/a/image.png'), path.join(samples, 'png/imagemagick/b/image.png')]).pairs[0];
  t.equal(png.remaining.length, 3);
  const [time, create, modify] = png.remaining;
  t.equal(time.cause, 'timestamp + derived', 'the tIME chunk is a timestamp (its CRC derived), not a GUID');
  t.match(time.location, /^PNG chunk tIME \(last-modification time\) > tIME data … through .* > tIME CRC$/);
  t.match(time.causes[0].text, /^tIME data: a timestamp field of the format/);
  for (const [r, key] of [[create, 'date:create'], [modify, 'date:modify']] as const) {
    t.equal(r.cause, 'timestamp + derived + ISO date', `${key}: named, and its value read as an ISO date`);
    t.match(r.location, new RegExp(`^PNG chunk tEXt "${key}"`));
  }
  t.notOk(png.remaining.some((r) => /GUID/.test(r.cause)), 'no GUID');
  const u = json(['--formats', 'no-uimage', path.join(samples, 'uimage/mkimage/a/uImage'), path.join(samples, 'uimage/mkimage/b/uImage')]).pairs[0];
  t.equal(u.remaining.length, 1);
  t.equal(u.remaining[0].cause, 'timestamp + derived');
  t.match(u.remaining[0].causes[0].text, /^ih_time \(creation time\): a timestamp field/);
  t.match(u.remaining[0].causes[1].text, /^ih_hcrc \(header CRC\): computed from the uImage header/);
});

t.test('a file of no known format: every Unix time near now is found as a timestamp (two ext2 images)', { skip: !have('mke2fs') && 'mke2fs (e2fsprogs) is not installed' }, async (t) => {
  const dir = tempDir(t);
  // e2fsprogs' own test hook fixes the clock; the UUID and hash seed are fixed too, so only times differ.
  const now = Math.floor(Date.now() / 1000);
  const images = [now - 30 * 86400, now - 29 * 86400].map((time, i) => {
    const file = path.join(dir, `${'ab'[i]}.img`);
    writeFileSync(file, Buffer.alloc(256 * 1024));
    const r = spawnSync('mke2fs', ['-q', '-F', '-t', 'ext2', '-b', '1024', '-N', '16', '-m', '0', '-U', '01234567-89ab-cdef-0123-456789abcdef', '-E', 'hash_seed=01234567-89ab-cdef-0123-456789abcdef,root_owner=0:0', file], {
      env: { ...process.env, E2FSPROGS_FAKE_TIME: String(time) },
    });
    t.equal(r.status, 0, r.stderr?.toString());
    return file;
  });
  const p = json(images).pairs[0];
  t.equal(p.format, undefined, 'no format unstamp knows');
  t.ok(p.remaining.length >= 5, `${p.remaining.length} ranges differ (superblock times, inode times)`);
  t.same(
    p.remaining.filter((r) => r.cause !== 'timestamp').map((r) => `${r.offset}: ${r.cause}`),
    [],
    'every range is a timestamp, none a GUID (an inode\'s atime, ctime and mtime side by side)',
  );
  t.ok(p.remaining.some((r) => /3 such values side by side/.test(r.causes[0].text)));
});
