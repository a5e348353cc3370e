import t from 'tap';
import { copyFileSync, mkdirSync, openSync, readFileSync, readSync, closeSync, readdirSync, existsSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { coff } from '../../src/formats/coff/index.js';
import { cli, have, output, samples, sha256, tempDir, expectRefused, type Corrupt } from '../helpers.js';

// Real samples: samples/pe/README.md says how each was made, samples/pe/DIFFS.txt which
// bytes differ between the a and b builds.

interface PairCase {
  dir: string;
  file: string;
  /** Both builds already identical (TimeDateStamp 0 and deterministic archive headers). */
  identical?: boolean;
  kind: 'object' | 'archive';
  /** File offsets of the only bytes that may differ between a and b (DIFFS.txt). */
  differs?: [number, number][];
}

const pairs: PairCase[] = [
  { dir: 'pe/clang-obj', file: 'main.obj', kind: 'object', differs: [[4, 8]] },
  { dir: 'pe/clang-obj', file: 'helper.obj', kind: 'object', differs: [[4, 8]] },
  { dir: 'pe/clang-obj', file: 'main-x86.obj', kind: 'object', differs: [[4, 8]] },
  { dir: 'pe/clang-obj-brepro', file: 'main.obj', kind: 'object', identical: true },
  { dir: 'pe/gas-bigobj', file: 'big.o', kind: 'object', identical: true },
  { dir: 'pe/llvm-cvtres', file: 'res.obj', kind: 'object', differs: [[4, 8]] },
  // Only the members' COFF TimeDateStamps differ: llvm-lib writes deterministic headers.
  { dir: 'pe/llvm-lib', file: 'lib.lib', kind: 'archive', differs: [[0xa6, 0xaa], [0xa38, 0xa3c]] },
  { dir: 'pe/lld-dll', file: 'foo.lib', kind: 'archive', identical: true },
  { dir: 'pe/mingw-dll', file: 'libfoo.dll.a', kind: 'archive', identical: true },
  { dir: 'pe/mingw-dll', file: 'libfoo.a', kind: 'archive' },
];

/** a/<file> and b/<file> of one pair alone in a temp dir (the sample dirs also hold PEs and PDBs). */
function pairCopy(t: Parameters<typeof tempDir>[0], c: PairCase): { dir: string; a: string; b: string } {
  const dir = tempDir(t);
  for (const side of ['a', 'b']) {
    mkdirSync(path.join(dir, side));
    copyFileSync(path.join(samples, c.dir, side, c.file), path.join(dir, side, c.file));
  }
  return { dir, a: path.join(dir, 'a', c.file), b: path.join(dir, 'b', c.file) };
}

function differingRanges(x: Buffer, y: Buffer): number[] {
  const out: number[] = [];
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) out.push(i);
  return out;
}

const LLVM = ['llvm-readobj', 'llvm-objdump', 'llvm-ar'];
const missingLlvm = LLVM.filter((tool) => !have(tool));

for (const c of pairs) {
  t.test(`${c.dir}/${c.file}: pair made identical, still valid, payload unchanged, idempotent`, async (t) => {
    const { dir, a, b } = pairCopy(t, c);
    const before = { a: readFileSync(a), b: readFileSync(b) };
    if (c.identical) t.ok(before.a.equals(before.b), 'both builds are already identical');
    else t.notOk(before.a.equals(before.b), 'the two builds differ before');
    if (c.differs) {
      const allowed = (i: number) => c.differs!.some(([from, to]) => i >= from && i < to);
      t.ok(differingRanges(before.a, before.b).every(allowed), 'they differ only in the TimeDateStamps DIFFS.txt lists');
    }

    const tools = missingLlvm.length === 0;
    const view = (file: string) => ({
      headers: output('llvm-readobj', ['--file-headers', file]),
      disassembly: output('llvm-objdump', ['-d', '-r', '-t', file]),
      members: c.kind === 'archive' ? output('llvm-ar', ['t', file]) : '',
    });
    const viewBefore = tools ? view(a) : undefined;

    const check = cli(['check', dir]);
    t.equal(check.code, c.identical ? 0 : 1, `check exits ${c.identical ? 0 : 1} before`);
    t.ok(readFileSync(a).equals(before.a) && readFileSync(b).equals(before.b), 'check writes nothing');

    const r = cli([dir]);
    t.equal(r.code, 0, r.stderr);
    const after = { a: readFileSync(a), b: readFileSync(b) };
    t.ok(after.a.equals(after.b), 'byte-identical after');
    t.equal(after.a.length, before.a.length, 'size unchanged');
    if (c.kind === 'object' && !c.identical) {
      t.same(differingRanges(before.a, after.a), [4, 5, 6, 7], 'only IMAGE_FILE_HEADER.TimeDateStamp (0x4..0x7) was rewritten');
      t.equal(after.a.readUInt32LE(4), 0, 'TimeDateStamp is 0 with the default epoch');
    }

    if (!tools) {
      t.skip(`llvm-readobj, llvm-objdump and llvm-ar checks: ${missingLlvm.join(', ')} not installed`);
    } else {
      const viewAfter = view(a);
      t.equal(viewAfter.disassembly, viewBefore!.disassembly, 'llvm-objdump -d -r -t: the same code, relocations and symbols');
      t.equal(viewAfter.members, viewBefore!.members, 'llvm-ar t lists the same members');
      t.notMatch(viewAfter.headers, /TimeDateStamp: (?!1970-01-01 00:00:00 \(0x0\))/, 'llvm-readobj reads every TimeDateStamp as 0');
      t.equal(viewAfter.headers.replace(/TimeDateStamp: .*/g, ''), viewBefore!.headers.replace(/TimeDateStamp: .*/g, ''), 'llvm-readobj --file-headers: nothing else changed');
    }

    const again = cli(['--json', dir]);
    t.equal(again.code, 0);
    t.equal(JSON.parse(again.stdout).summary.bytesChanged, 0, 'second run changes 0 bytes');
    t.equal(cli(['check', dir]).code, 0, 'check exits 0 after');
  });
}

t.test('a .lib: each member object is normalized in place inside the archive', async (t) => {
  const { a } = pairCopy(t, pairs.find((p) => p.file === 'lib.lib')!);
  const report = JSON.parse(cli(['check', '--json', a]).stdout);
  const changed = report.files[0].fields.filter((f: { changed: boolean }) => f.changed);
  t.same(
    changed.map((f: { field: string; offset: number }) => [f.field, f.offset]),
    [
      ['main.obj: IMAGE_FILE_HEADER.TimeDateStamp', 0xa6],
      ['helper.obj: IMAGE_FILE_HEADER.TimeDateStamp', 0xa38],
    ],
    'the two member TimeDateStamps, at the file offsets DIFFS.txt gives',
  );
  t.equal(report.files[0].format, 'ar');
});

t.test('an import library: short import objects and the descriptor objects are recognized', async (t) => {
  const dir = tempDir(t);
  const lib = path.join(dir, 'foo.lib');
  copyFileSync(path.join(samples, 'pe/lld-dll/a/foo.lib'), lib);
  const before = readFileSync(lib);
  const epoch = 1234567890;
  const r = cli(['--json', '--epoch', String(epoch), lib]);
  t.equal(r.code, 0, r.stderr);
  const fields: { field: string; offset: number }[] = JSON.parse(r.stdout).files[0].fields;
  const stamps = fields.filter((f) => f.field.endsWith('TimeDateStamp'));
  t.same(
    stamps.map((f) => f.field.replace(/^foo\.dll: /, '')),
    ['IMAGE_FILE_HEADER.TimeDateStamp', 'IMAGE_FILE_HEADER.TimeDateStamp', 'IMAGE_FILE_HEADER.TimeDateStamp', 'IMPORT_OBJECT_HEADER.TimeDateStamp', 'IMPORT_OBJECT_HEADER.TimeDateStamp', 'IMPORT_OBJECT_HEADER.TimeDateStamp'],
    'import descriptor, NULL import descriptor and NULL thunk objects, then the three import objects (add, counter, next_counter)',
  );
  const after = readFileSync(lib);
  for (const f of stamps) t.equal(after.readUInt32LE(f.offset), epoch, `${f.field} at 0x${f.offset.toString(16)} holds the epoch`);
  // An import object's TimeDateStamp is at +8 of its member data: 00 00 ff ff 00 00 <machine> <stamp>.
  for (const f of stamps.filter((s) => s.field.includes('IMPORT'))) t.same([...after.subarray(f.offset - 8, f.offset - 4)], [0, 0, 0xff, 0xff]);
  // The ar_date of every header (0 before) gets the epoch too.
  const dates = fields.filter((f) => f.field.endsWith(' ar_date'));
  const changed = differingRanges(before, after);
  t.ok(changed.length > 0 && changed.every((i) => [...stamps.map((f) => [f.offset, 4]), ...dates.map((f) => [f.offset, 12])].some(([o, n]) => i >= o && i < o + n)), 'nothing but the TimeDateStamps and ar_date fields changed');
  if (missingLlvm.length > 0) t.skip(`tool checks: ${missingLlvm.join(', ')} not installed`);
  else {
    t.equal(output('llvm-ar', ['t', lib]), output('llvm-ar', ['t', path.join(samples, 'pe/lld-dll/a/foo.lib')]), 'llvm-ar t: same members');
    const headers = output('llvm-readobj', ['--file-headers', lib]);
    t.equal((headers.match(/Format: COFF-import-file/g) ?? []).length, 3, 'llvm-readobj still reads the three import objects');
    t.equal((headers.match(/TimeDateStamp: 2009-02-13 23:31:30 \(0x499602D2\)/g) ?? []).length, 3, 'and the three regular objects, with the new TimeDateStamp');
  }
});

t.test('--epoch: llvm-readobj reads the value written into a regular object and a /bigobj header', { skip: !have('llvm-readobj') && 'llvm-readobj is not installed' }, async (t) => {
  const dir = tempDir(t);
  for (const rel of ['pe/clang-obj/a/main-x86.obj', 'pe/gas-bigobj/a/big.o']) copyFileSync(path.join(samples, rel), path.join(dir, path.basename(rel)));
  t.equal(cli(['--epoch', '2000-01-01', dir]).code, 0);
  for (const f of ['main-x86.obj', 'big.o']) {
    t.match(output('llvm-readobj', ['--file-headers', path.join(dir, f)]), /TimeDateStamp: 2000-01-01 00:00:00 \(0x386D4380\)/, f);
  }
  t.equal(readFileSync(path.join(dir, 'big.o')).readUInt32LE(8), 946684800, 'the /bigobj TimeDateStamp is at offset 8');
});

t.test('--clamp keeps an older TimeDateStamp and lowers a newer one', async (t) => {
  const { dir, a, b } = pairCopy(t, pairs[0]);
  const olderA = readFileSync(a).readUInt32LE(4);
  const epoch = 1650000000;
  t.ok(olderA < epoch && readFileSync(b).readUInt32LE(4) > epoch, 'build a predates the epoch, build b does not');
  t.equal(cli(['--clamp', '--epoch', String(epoch), dir]).code, 0);
  t.equal(readFileSync(a).readUInt32LE(4), olderA);
  t.equal(readFileSync(b).readUInt32LE(4), epoch);
});

t.test('explain names the field and notes the CodeView section left alone', async (t) => {
  const r = cli(['explain', path.join(samples, 'pe/clang-obj/b/main.obj')]);
  t.equal(r.code, 0);
  t.match(r.stdout, /coff, 2389 bytes; 1 field found, 1 would change \(4 bytes\)/);
  t.match(r.stdout, /0x4 +IMAGE_FILE_HEADER\.TimeDateStamp: 1694344333 \(2023-09-10 11:12:13 UTC\) -> 0 \(1970-01-01 00:00:00 UTC\)/);
  t.match(r.stdout, /section \.debug\$S \(CodeView\) kept as written/);
  t.match(cli(['explain', path.join(samples, 'pe/gas-bigobj/a/big.o')]).stdout, /0x8 +ANON_OBJECT_HEADER_BIGOBJ\.TimeDateStamp: 0 /);
});

// --- detection -------------------------------------------------------------------------

const coffSamples = ['pe/clang-obj', 'pe/clang-obj-brepro', 'pe/gas-bigobj', 'pe/llvm-cvtres'];

function head(file: string): { head: Buffer; size: number } {
  const size = statSync(file).size;
  const buf = Buffer.alloc(Math.min(512, size));
  const fd = openSync(file, 'r');
  try {
    readSync(fd, buf, 0, buf.length, 0);
  } finally {
    closeSync(fd);
  }
  return { head: buf, size };
}

t.test('detect: every COFF sample is claimed, every other sample file is not', async (t) => {
  const files = readdirSync(samples, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.relative(samples, path.join(e.parentPath, e.name)))
    .sort();
  // The objects among the Windows samples; archives of objects (.lib, .a) are ar files.
  const isCoff = (rel: string) => rel.startsWith('pe/') && /\.(obj|o)$/.test(rel);
  for (const d of coffSamples) t.ok(files.some((f) => f.startsWith(`${d}/`) && isCoff(f)), `${d} holds objects`);
  const claimed = files.filter((rel) => {
    const h = head(path.join(samples, rel));
    return coff.detect(h.head, h.size);
  });
  t.same(claimed, files.filter(isCoff), 'claimed exactly the COFF objects');
  const others = files.filter((f) => !isCoff(f));
  const kinds = ['ar/', '.gz', '.exe', '.dll', '.pdb', '.lib', '.c', '.txt'];
  for (const k of kinds) t.ok(others.some((f) => f.includes(k)), `the refused files include ${k} files`);
  t.comment(`${files.length} sample files: ${claimed.length} claimed, ${others.length} refused`);
});

t.test('detect: ELF, Mach-O, gzip, ar, zip, MZ, MSF and random bytes are refused', async (t) => {
  const magics: [string, Buffer][] = [
    ['ELF', Buffer.from('7f454c46020101', 'hex')],
    ['Mach-O 64', Buffer.from('cffaedfe07000001', 'hex')],
    ['Mach-O fat', Buffer.from('cafebabe00000002', 'hex')],
    ['gzip', Buffer.from('1f8b0800', 'hex')],
    ['ar', Buffer.from('!<arch>\n')],
    ['zip', Buffer.from('504b0304', 'hex')],
    ['MZ', Buffer.from('4d5a9000', 'hex')],
    ['MSF 7.00', Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1')],
    ['Windows .res', Buffer.from('0000000020000000ffff0000ffff0000', 'hex')],
  ];
  for (const [name, magic] of magics) {
    const buf = Buffer.concat([magic, Buffer.alloc(512 - magic.length)]);
    t.notOk(coff.detect(buf, 4096), name);
  }
  // Deterministic pseudo-random heads, of every size up to 512 bytes.
  let x = 0x12345678;
  const next = () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return x >>> 0;
  };
  const randomHead = (length: number) => {
    const buf = Buffer.alloc(length);
    for (let i = 0; i < buf.length; i++) buf[i] = next() & 0xff;
    return buf;
  };
  let claimed = 0;
  for (let n = 0; n < 20000; n++) if (coff.detect(randomHead(1 + (n % 512)), 1 << 20)) claimed++;
  t.equal(claimed, 0, 'none of 20000 random heads is claimed');

  // Near misses: a real machine type and no optional header, the rest random. What is
  // left is the first section name: printable, NUL-padded. Random bytes pass that about
  // (94/256)^8 = 3 times in 10000; every head claimed must be such a name.
  const nearMisses: Buffer[] = [];
  for (let n = 0; n < 20000; n++) {
    const buf = randomHead(60 + (n % 452));
    buf.writeUInt16LE(0x8664, 0);
    buf.writeUInt16LE(0, 16);
    if (coff.detect(buf, 1 << 20)) nearMisses.push(buf);
  }
  t.ok(nearMisses.length <= 20, `${nearMisses.length} of 20000 near misses claimed`);
  t.ok(nearMisses.every((b) => /^[\x21-\x7e]{1,8}\0*$/.test(b.toString('latin1', 20, 28))), 'each only because bytes 20..27 happen to read as a section name');
  t.notOk(coff.detect(Buffer.concat([Buffer.from('6486', 'hex'), Buffer.alloc(510)]), 4096), 'a machine type followed by zeros (no sections) is refused');
});

// --- real import libraries ---------------------------------------------------------------

const MINGW_LIB = '/usr/x86_64-w64-mingw32/lib';
const mingwLibs = existsSync(MINGW_LIB) ? readdirSync(MINGW_LIB).filter((f) => f.endsWith('.a')).sort() : [];
const STAMP = /: (IMAGE_FILE_HEADER|ANON_OBJECT_HEADER_BIGOBJ|IMPORT_OBJECT_HEADER|ANON_OBJECT_HEADER)\.TimeDateStamp$/;
/** Width of a field the report lists: a TimeDateStamp, or an ar header field. */
function width(field: string): number {
  if (STAMP.test(field)) return 4;
  const m = / ar_(date|uid|gid|mode)$/.exec(field);
  if (!m) throw new Error(`unexpected field ${field}`);
  return { date: 12, uid: 6, gid: 6, mode: 8 }[m[1] as 'date' | 'uid' | 'gid' | 'mode'];
}
/** 1 for every byte of the given fields. */
function fieldMask(size: number, fields: { field: string; offset: number }[]): Uint8Array {
  const mask = new Uint8Array(size);
  for (const f of fields) mask.fill(1, f.offset, f.offset + width(f.field));
  return mask;
}
const arTool = have('llvm-ar') ? 'llvm-ar' : have('x86_64-w64-mingw32-ar') ? 'x86_64-w64-mingw32-ar' : undefined;

t.test(
  `mingw-w64 import libraries (${mingwLibs.length} in ${MINGW_LIB}): check finds no failure`,
  { skip: mingwLibs.length === 0 && `${MINGW_LIB}/*.a not present (Debian: apt-get install mingw-w64-x86-64-dev)` },
  async (t) => {
    const started = Date.now();
    const r = cli(['check', '--json', '-v', ...mingwLibs.map((f) => path.join(MINGW_LIB, f))]);
    const seconds = (Date.now() - started) / 1000;
    const report = JSON.parse(r.stdout);
    t.equal(report.summary.failed, 0, 'no library failed');
    t.not(r.code, 3);
    t.ok(report.files.every((f: { format: string }) => f.format === 'ar'), 'every library is read as an ar archive');
    let members = 0;
    let objects = 0;
    for (const f of report.files as { fields: { field: string }[] }[]) {
      for (const x of f.fields) {
        if (/^member .* ar_mode$/.test(x.field)) members++;
        if (STAMP.test(x.field)) objects++;
      }
    }
    t.equal(objects, members, 'every member is a COFF object whose TimeDateStamp was found');
    t.comment(`${report.files.length} libraries, ${(report.summary.bytesScanned / 1048576).toFixed(1)} MiB, ${members} members, ${objects} COFF objects, checked in ${seconds.toFixed(1)} s`);
  },
);

t.test(
  'mingw-w64 import libraries: 50 copies normalized, still valid, code unchanged, and back',
  { skip: (mingwLibs.length === 0 && `${MINGW_LIB}/*.a not present`) || (!arTool && 'neither llvm-ar nor x86_64-w64-mingw32-ar is installed') },
  async (t) => {
    const dir = tempDir(t);
    const step = Math.max(1, Math.floor(mingwLibs.length / 50));
    const picked = mingwLibs.filter((_, i) => i % step === 0).slice(0, 50);
    for (const f of picked) copyFileSync(path.join(MINGW_LIB, f), path.join(dir, f));
    const copies = picked.map((f) => path.join(dir, f));
    const original = new Map(copies.map((f) => [f, readFileSync(f)]));
    const listing = new Map(copies.map((f) => [f, output(arTool!, ['t', f])]));
    const objdump = have('llvm-objdump');
    // One llvm-objdump run over all copies: code, relocations and symbols, member by member.
    const code = objdump ? output('llvm-objdump', ['-d', '-r', '-t', ...copies]) : '';

    // Debian builds them with TimeDateStamp 0: a non-zero epoch makes every object change.
    const epoch = 1700000000;
    const started = Date.now();
    const r = cli(['--json', '-v', '--epoch', String(epoch), dir]);
    const seconds = (Date.now() - started) / 1000;
    t.equal(r.code, 0, r.stderr);
    const report = JSON.parse(r.stdout);
    t.equal(report.summary.failed, 0);
    t.equal(report.summary.normalized, picked.length, 'every copy normalized');

    let objects = 0;
    let members = 0;
    let outside = 0;
    for (const f of report.files as { path: string; fields: { field: string; offset: number; changed: boolean }[] }[]) {
      const stamps = f.fields.filter((x) => STAMP.test(x.field));
      objects += stamps.length;
      members += listing.get(f.path)!.split('\n').filter(Boolean).length;
      const after = readFileSync(f.path);
      for (const s of stamps) if (after.readUInt32LE(s.offset) !== epoch) outside++;
      const before = original.get(f.path)!;
      // Each changed byte lies in a field the report lists (COFF TimeDateStamp or ar header field).
      const listed = fieldMask(before.length, f.fields.filter((x) => x.changed));
      outside += differingRanges(before, after).filter((i) => !listed[i]).length;
      if (after.length !== before.length) outside++;
    }
    t.equal(outside, 0, 'only the reported fields changed, every TimeDateStamp holds the epoch, sizes unchanged');
    t.equal(objects, members, `every member (${members}) was a COFF object and was rewritten`);
    for (const f of copies) {
      if (output(arTool!, ['t', f]) !== listing.get(f)) t.fail(`${arTool} t lists other members for ${path.basename(f)}`);
    }
    if (objdump) t.ok(output('llvm-objdump', ['-d', '-r', '-t', ...copies]) === code, 'llvm-objdump -d -r -t output unchanged (code, relocations, symbols)');
    t.pass(`${arTool} t lists the same members for all ${copies.length} copies`);
    if (!objdump) t.skip('llvm-objdump -d -r -t comparison: llvm-objdump is not installed');

    // Back to epoch 0: the objects are byte-for-byte the originals again; only the ar
    // headers keep their normalized date, uid, gid and mode.
    t.equal(cli(['--epoch', '0', dir]).code, 0);
    const final = JSON.parse(cli(['check', '--json', '-v', '--epoch', '0', dir]).stdout);
    t.equal(final.summary.bytesChanged, 0, 'clean at epoch 0');
    let memberBytes = 0;
    for (const f of final.files as { path: string; fields: { field: string; offset: number }[] }[]) {
      const before = original.get(f.path)!;
      const arHeaders = fieldMask(before.length, f.fields.filter((x) => / ar_(date|uid|gid|mode)$/.test(x.field)));
      memberBytes += differingRanges(before, readFileSync(f.path)).filter((i) => !arHeaders[i]).length;
    }
    t.equal(memberBytes, 0, 'no byte of any member differs from the original');
    t.comment(`${copies.length} libraries, ${members} members, all COFF objects; normalized in ${seconds.toFixed(2)} s`);
  },
);

// --- corrupt objects -----------------------------------------------------------------------

const mainObj = readFileSync(path.join(samples, 'pe/clang-obj/a/main.obj'));
const bigObj = readFileSync(path.join(samples, 'pe/gas-bigobj/a/big.o'));
const fooLib = readFileSync(path.join(samples, 'pe/lld-dll/a/foo.lib'));
const libLib = readFileSync(path.join(samples, 'pe/llvm-lib/a/lib.lib'));
/** The first short import object of foo.lib ("add" from foo.dll): its member data at 0x460, 32 bytes. */
const importObj = fooLib.subarray(0x460, 0x480);

function edit(src: Buffer, f: (b: Buffer) => void): Buffer {
  const b = Buffer.from(src);
  f(b);
  return b;
}

t.test('the real samples the mutations start from', async (t) => {
  // main.obj: 8 sections; .text raw data at 0x154, its 1 relocation at 0x16a; 21 symbols at 0x7ba; string table at 0x934.
  t.same([mainObj.length, mainObj.readUInt16LE(2), mainObj.readUInt32LE(8), mainObj.readUInt32LE(12)], [0x955, 8, 0x7ba, 21]);
  t.same([mainObj.readUInt32LE(0x28), mainObj.readUInt32LE(0x2c), mainObj.readUInt16LE(0x34)], [0x154, 0x16a, 1]);
  t.equal(mainObj.readUInt32LE(0x934), 0x955 - 0x934, 'the string table runs to the end of the file');
  t.same([...importObj.subarray(0, 8)], [0, 0, 0xff, 0xff, 0, 0, 0x64, 0x86]);
  t.equal(importObj.subarray(20).toString('latin1'), 'add\0foo.dll\0');
  t.same([bigObj.readUInt16LE(4), bigObj.readUInt32LE(44), bigObj.readUInt32LE(48), bigObj.readUInt32LE(52)], [2, 6, 0x186, 16]);
  t.same([...libLib.subarray(0xa2, 0xa6)], [0x64, 0x86, 8, 0], 'lib.lib: member main.obj data at 0xa2');
});

const corrupt: Corrupt[] = [
  { name: 'NumberOfSections absurd', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt16LE(0xffff, 2)), message: /IMAGE_FILE_HEADER at 0x0: NumberOfSections 65535 is more than 65279, the most a regular object can have/ },
  { name: 'section table past EOF', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt16LE(1000, 2)), message: /the section table at 0x14 \(NumberOfSections 1000, 40 bytes each\) runs past the end of the object \(size 0x955\)/ },
  { name: 'truncated inside the section table', file: 'bad.obj', bytes: mainObj.subarray(0, 300), message: /the section table at 0x14 \(NumberOfSections 8, 40 bytes each\) runs past the end of the object \(size 0x12c\)/ },
  { name: 'symbol table past EOF', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt32LE(0x900, 8)), message: /the symbol table at 0x900 \(NumberOfSymbols 21, 18 bytes each\) runs past the end of the object \(size 0x955\)/ },
  { name: 'NumberOfSymbols absurd', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt32LE(0x10000000, 12)), message: /the symbol table at 0x7ba \(NumberOfSymbols 268435456, 18 bytes each\) runs past/ },
  { name: 'symbols but no symbol table', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt32LE(0, 8)), message: /NumberOfSymbols is 21 but PointerToSymbolTable is 0/ },
  { name: 'truncated string table', file: 'bad.obj', bytes: mainObj.subarray(0, 0x934 + 10), message: /string table at 0x934: its size 0x21 runs past the end of the object \(size 0x93e\)/ },
  { name: 'section data past EOF', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt32LE(0x950, 0x28)), message: /section 1 \("\.text"\) header at 0x14: raw data at 0x950 \(SizeOfRawData 0x16\) runs past the end of the object/ },
  { name: 'relocations past EOF', file: 'bad.obj', bytes: edit(mainObj, (b) => b.writeUInt16LE(0x1000, 0x34)), message: /section 1 \("\.text"\) header at 0x14: 4096 relocations at 0x16a run past the end of the object/ },
  { name: 'bigobj Version 1', file: 'bad.o', bytes: edit(bigObj, (b) => b.writeUInt16LE(1, 4)), message: /ANON_OBJECT_HEADER_BIGOBJ at 0x0: Version 1 is below 2/ },
  { name: 'bigobj section table past EOF', file: 'bad.o', bytes: edit(bigObj, (b) => b.writeUInt32LE(0x7fffffff, 44)), message: /the section table at 0x38 \(NumberOfSections 2147483647, 40 bytes each\) runs past/ },
  { name: 'bigobj symbol table past EOF', file: 'bad.o', bytes: edit(bigObj, (b) => b.writeUInt32LE(0x2e0, 48)), message: /the symbol table at 0x2e0 \(NumberOfSymbols 16, 20 bytes each\) runs past the end of the object \(size 0x2eb\)/ },
  { name: 'import object SizeOfData past end', file: 'add.obj', bytes: edit(importObj, (b) => b.writeUInt32LE(0x40, 12)), message: /IMPORT_OBJECT_HEADER at 0x0: SizeOfData 0x40 runs past the end of the object \(size 0x20\)/ },
  { name: 'import object names truncated', file: 'add.obj', bytes: edit(importObj.subarray(0, 26), (b) => b.writeUInt32LE(6, 12)), message: /import object DLL name at 0x18 has no terminating NUL before the end \(size 0x1a\)/ },
  { name: 'import object without DLL name', file: 'add.obj', bytes: edit(importObj.subarray(0, 24), (b) => b.writeUInt32LE(4, 12)), message: /the DLL name at 0x18 is missing: SizeOfData ends the object at 0x18/ },
  { name: 'import object truncated header', file: 'add.obj', bytes: importObj.subarray(0, 12), message: /IMPORT_OBJECT_HEADER at 0x0 \(20 bytes\) runs past the end \(size 0xc\)/ },
  { name: 'import object Type 3', file: 'add.obj', bytes: edit(importObj, (b) => b.writeUInt16LE(0x0007, 18)), message: /Type 3 \(TypeInfo 0x7\) is not CODE \(0\), DATA \(1\) or CONST \(2\)/ },
  { name: 'import object NameType 5', file: 'add.obj', bytes: edit(importObj, (b) => b.writeUInt16LE(0x0014, 18)), message: /NameType 5 \(TypeInfo 0x14\) is not one of 0\.\.4/ },
  { name: 'a .lib whose member object is broken', file: 'bad.lib', bytes: edit(libLib, (b) => b.writeUInt16LE(0xffff, 0xa4)), message: /member main\.obj \(coff at 0xa2\): IMAGE_FILE_HEADER at 0x0: NumberOfSections 65535 is more than 65279/ },
  { name: 'an import library whose import object is broken', file: 'bad.lib', bytes: edit(fooLib, (b) => b.writeUInt32LE(0xff, 0x46c)), message: /member foo\.dll \(coff at 0x460\): IMPORT_OBJECT_HEADER at 0x0: SizeOfData 0xff runs past the end of the object \(size 0x20\)/ },
];

for (const c of corrupt) {
  t.test(`corrupt COFF (${c.name}) exits 3 and is left untouched`, async (t) => expectRefused(t, c, 'pe/clang-obj/b/main.obj'));
}

// Mutations of the fields detection rests on: the file is no longer a COFF object to
// unstamp, so it is skipped as an unknown format (not a failure), and never touched.
const undetected: { name: string; bytes: Buffer; reason: RegExp }[] = [
  { name: 'Machine not a machine type', bytes: edit(mainObj, (b) => b.writeUInt16LE(0x1234, 0)), reason: /^unknown format$/ },
  { name: 'Machine IMAGE_FILE_MACHINE_UNKNOWN', bytes: edit(mainObj, (b) => b.writeUInt16LE(0, 0)), reason: /^unknown format$/ },
  { name: 'SizeOfOptionalHeader not 0 (an image header)', bytes: edit(mainObj, (b) => b.writeUInt16LE(0xf0, 16)), reason: /^unknown format$/ },
  { name: 'NumberOfSections 0', bytes: edit(mainObj, (b) => b.writeUInt16LE(0, 2)), reason: /^unknown format$/ },
  { name: 'first section name not printable', bytes: edit(mainObj, (b) => b.writeUInt8(0x01, 20)), reason: /^unknown format$/ },
  { name: 'first section name with bytes after its NUL', bytes: edit(mainObj, (b) => b.writeUInt8(0x41, 27)), reason: /^unknown format$/ },
  { name: 'import object Machine not a machine type', bytes: edit(importObj, (b) => b.writeUInt16LE(0x1234, 6)), reason: /^unknown format$/ },
  { name: 'bigobj ClassID changed', bytes: edit(bigObj, (b) => (b[12] ^= 0xff)), reason: /^ANON_OBJECT_HEADER with ClassID 38a1bad1eebaa94baf20faf66aa4dcb8: an object kind unstamp does not know$/ },
];

for (const c of undetected) {
  t.test(`detection field mutated (${c.name}): skipped, untouched`, async (t) => {
    const dir = tempDir(t);
    const file = path.join(dir, 'x.obj');
    writeFileSync(file, c.bytes);
    const r = cli(['--json', file]);
    t.equal(r.code, 0, 'a skipped file is not a failure');
    const [res] = JSON.parse(r.stdout).files;
    t.equal(res.status, 'skipped');
    t.match(res.reason, c.reason);
    t.ok(readFileSync(file).equals(c.bytes), 'untouched');
  });
}

// --- /GL objects (no real sample: no MSVC here) --------------------------------------------

t.test('a cl /GL object (ANON_OBJECT_HEADER, LTCG ClassID; synthetic header): TimeDateStamp at offset 8', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'gl.obj');
  const header = Buffer.alloc(32);
  header.writeUInt16LE(0xffff, 2);
  header.writeUInt16LE(1, 4);
  header.writeUInt16LE(0x8664, 6);
  header.writeUInt32LE(1694344333, 8);
  Buffer.from('38feb30ca5d9ab4dac9bd6b6222653c2', 'hex').copy(header, 12);
  header.writeUInt32LE(16, 28);
  const bytes = Buffer.concat([header, Buffer.alloc(16, 0xab)]);
  writeFileSync(file, bytes);
  const explain = cli(['explain', file]);
  t.match(explain.stdout, /0x8 +ANON_OBJECT_HEADER\.TimeDateStamp: 1694344333 \(2023-09-10 11:12:13 UTC\) -> 0 /);
  t.match(explain.stdout, /link-time code generation object \(cl \/GL\)/);
  t.equal(cli([file]).code, 0);
  const after = readFileSync(file);
  t.same(differingRanges(bytes, after), [8, 9, 10, 11]);
  writeFileSync(file, bytes.subarray(0, 30));
  const r = cli([file]);
  t.equal(r.code, 3, 'a header cut short fails');
  t.match(r.stderr, /ANON_OBJECT_HEADER at 0x0 \(32 bytes\) runs past the end \(size 0x1e\)/);
});

t.test('sample files are unchanged by the tests', async (t) => {
  // Every test above works on copies; the committed samples keep their differences.
  t.not(sha256(path.join(samples, 'pe/clang-obj/a/main.obj')), sha256(path.join(samples, 'pe/clang-obj/b/main.obj')));
});
