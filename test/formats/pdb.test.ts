// The PDB planner over the real PE/PDB samples. The PE side of the link is simulated:
// the planner gets the values a PE would publish ('timestamp', 'guid', 'age') through
// the `links` map, exactly as the engine hands them over.
import t from 'tap';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { processFile, type EngineOptions } from '../../src/core/engine.js';
import { FormatError, SkipFile } from '../../src/core/errors.js';
import { buildPlan, changedPatches, type Plan } from '../../src/core/plan.js';
import { BufferSource, RangeReader } from '../../src/core/reader.js';
import { pdb } from '../../src/formats/pdb/index.js';
import { readMsf, streamRanges, type Msf } from '../../src/formats/pdb/msf.js';
import { guidText } from '../../src/formats/shared/guid.js';
import { have, samples, sh, tempDir } from '../helpers.js';

const opts: EngineOptions = { mode: 'normalize', epoch: 0, clamp: false, formats: [pdb], setMtime: false, recompress: 'auto', settings: {} };

const u32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v);
  return b;
};

/** What a normalized PE would publish. */
const TIMESTAMP = 1234567890;
const GUID = Buffer.from('00112233445566778899aabbccddeeff', 'hex');
const GUID_TEXT = '{33221100-5544-7766-8899-AABBCCDDEEFF}';
const links = new Map([
  ['timestamp', u32(TIMESTAMP)],
  ['guid', GUID],
  ['age', u32(1)],
]);

async function plan(bytes: Buffer, l: ReadonlyMap<string, Buffer> = links): Promise<Plan> {
  return buildPlan(new BufferSource(bytes), pdb, [pdb], opts, l);
}

/** The plan's changed patches laid over a copy of the bytes. */
function apply(bytes: Buffer, p: Plan): Buffer {
  const out = Buffer.from(bytes);
  for (const patch of changedPatches(p)) patch.bytes.copy(out, patch.offset);
  return out;
}

async function pdbKey(bytes: Buffer): Promise<string | undefined> {
  return pdb.link!.key(RangeReader.of(new BufferSource(bytes)));
}

/** The RSDS CodeView record of an executable: GUID and Age (a plain scan is enough for the samples). */
function rsds(exe: Buffer): { guid: Buffer; age: number } {
  const at = exe.indexOf('RSDS', 0, 'latin1');
  if (at < 0) throw new Error('no RSDS record');
  return { guid: exe.subarray(at + 4, at + 20), age: exe.readUInt32LE(at + 20) };
}

/** Stream header fields, read through the MSF layout. */
async function headers(bytes: Buffer): Promise<{ msf: Msf; signature: number; age: number; guid: Buffer; dbiAge: number }> {
  const reader = RangeReader.of(new BufferSource(bytes));
  const msf = await readMsf(reader);
  const at = (stream: number, off: number) => streamRanges(msf, stream, off, 1)[0].fileOffset;
  return {
    msf,
    signature: bytes.readUInt32LE(at(1, 4)),
    age: bytes.readUInt32LE(at(1, 8)),
    guid: bytes.subarray(at(1, 12), at(1, 12) + 16),
    dbiAge: bytes.readUInt32LE(at(3, 8)),
  };
}

function pdbutilSummary(file: string): { code: number; signature?: number; age?: number; guid?: string; blocks?: number; stderr: string } {
  const r = sh('llvm-pdbutil', ['dump', '--summary', file]);
  const out = r.stdout.toString();
  const field = (name: string) => out.match(new RegExp(`^\\s*${name}: (.*)$`, 'm'))?.[1].trim();
  const num = (name: string) => (field(name) === undefined ? undefined : Number(field(name)));
  return { code: r.code, signature: num('Signature'), age: num('Age'), guid: field('GUID'), blocks: num('Number of blocks'), stderr: r.stderr };
}

interface PairCase {
  dir: string;
  exe: string;
  pdb: string;
  /** a and b PDBs are byte-identical before (lld's PDB has no time in it). */
  identical: boolean;
}

const pairs: PairCase[] = [
  { dir: 'pe/lld-exe', exe: 'app.exe', pdb: 'app.pdb', identical: true },
  { dir: 'pe/lld-exe-reguid', exe: 'app.exe', pdb: 'app.pdb', identical: false },
  { dir: 'pe/lld-exe32', exe: 'app.exe', pdb: 'app.pdb', identical: true },
  { dir: 'pe/lld-dll', exe: 'foo.dll', pdb: 'foo.pdb', identical: true },
  { dir: 'pe/lld-exe-brepro', exe: 'app.exe', pdb: 'app.pdb', identical: true },
  { dir: 'pe/mingw-exe-pdb', exe: 'app.exe', pdb: 'app.pdb', identical: false },
];

for (const c of pairs) {
  t.test(`${c.dir}: both PDBs made identical with the PE's values, still valid, idempotent`, async (t) => {
    const a = readFileSync(path.join(samples, c.dir, 'a', c.pdb));
    const b = readFileSync(path.join(samples, c.dir, 'b', c.pdb));
    t.equal(a.equals(b), c.identical, c.identical ? 'a and b are identical before' : 'a and b differ before');
    t.ok(pdb.detect(a.subarray(0, 512), a.length), 'detected by its magic');

    for (const [side, bytes] of [['a', a], ['b', b]] as const) {
      const exe = readFileSync(path.join(samples, c.dir, side, c.exe));
      const cv = rsds(exe);
      const h = await headers(bytes);
      t.equal(await pdbKey(bytes), `pdb70:${cv.guid.toString('hex')}`, `${side}: the pairing key is the PE's RSDS GUID, same byte order`);
      t.ok(h.guid.equals(cv.guid), `${side}: info stream GUID bytes = RSDS GUID bytes`);
      t.equal(h.age, cv.age, `${side}: info stream Age = RSDS Age`);
      t.equal(h.dbiAge, cv.age, `${side}: DBI Age = RSDS Age`);
    }

    const pa = await plan(a);
    const pb = await plan(b);
    const na = apply(a, pa);
    const nb = apply(b, pb);
    t.ok(na.equals(nb), 'byte-identical after');
    t.equal(na.length, a.length, 'size kept');
    const h = await headers(na);
    t.equal(h.signature, TIMESTAMP, 'Signature = the PE timestamp');
    t.ok(h.guid.equals(GUID), 'GUID = the PE GUID');
    t.equal(h.age, 1, 'Age = the PE age');
    t.equal(h.dbiAge, 1, 'DBI Age = the PE age');
    t.same(
      pa.patches.map((p) => p.field).sort(),
      ['DBI stream Age', 'PDB info stream Age', 'PDB info stream GUID', 'PDB info stream Signature'],
      'the four header fields are planned (and no free block: these PDBs have none)',
    );
    // Every changed byte lies inside a planned field.
    const inField = (i: number) => pa.patches.some((p) => i >= p.offset && i < p.offset + p.bytes.length);
    const changed = [...na.keys()].filter((i) => na[i] !== a[i]);
    t.ok(changed.length > 0 && changed.every(inField), `only field bytes change (${changed.length} bytes)`);

    t.equal(changedPatches(await plan(na)).length, 0, 'second run: nothing to change');

    if (!have('llvm-pdbutil')) {
      t.skip('llvm-pdbutil --summary: llvm-pdbutil is not installed', () => {});
      return;
    }
    const dir = tempDir(t);
    const file = path.join(dir, c.pdb);
    writeFileSync(file, na);
    const s = pdbutilSummary(file);
    t.equal(s.code, 0, `llvm-pdbutil accepts it ${s.stderr}`);
    t.equal(s.signature, TIMESTAMP, 'llvm-pdbutil: Signature');
    t.equal(s.age, 1, 'llvm-pdbutil: Age');
    t.equal(s.guid, GUID_TEXT, 'llvm-pdbutil: GUID');
    t.equal(guidText(GUID), GUID_TEXT, 'our GUID text matches llvm-pdbutil');
  });
}

t.test('processFile with the links: normalized in place, then clean', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.pdb');
  const original = readFileSync(path.join(samples, 'pe/lld-exe-reguid/b/app.pdb'));
  writeFileSync(file, original);
  const r = await processFile(file, opts, { links });
  t.equal(r.status, 'normalized');
  t.equal(r.format, 'pdb');
  t.equal(r.bytesChanged, 20, 'Signature (4) and GUID (16)');
  t.match(r.fields.find((f) => f.field === 'PDB info stream GUID'), { old: '{9DEB2213-FD31-4BE4-98CA-24B317FBFFE0}', new: GUID_TEXT, changed: true });
  t.match(r.fields.find((f) => f.field === 'PDB info stream Signature'), { old: /^1694344333 \(2023-09-10 11:12:13 UTC\)$/, new: /^1234567890 / });
  t.match(r.notes.join('\n'), /no free blocks to zero/);
  t.equal((await processFile(file, opts, { links })).status, 'clean', 'second run is clean');
});

t.test('without its executable a PDB is skipped and left untouched', async (t) => {
  const dir = tempDir(t);
  const file = path.join(dir, 'app.pdb');
  const original = readFileSync(path.join(samples, 'pe/lld-exe-reguid/a/app.pdb'));
  writeFileSync(file, original);
  const alone = await processFile(file, opts);
  t.equal(alone.status, 'skipped');
  t.equal(alone.reason, "no executable with this PDB's GUID {7C8E8D40-60B4-473B-B2A2-EB63CB41F93A} is in this run; left alone (normalize the PE and its PDB together)");
  t.same(alone.warnings, [alone.reason], 'with a warning');
  // Paired, but the executable published nothing (it failed or was skipped).
  const unpublished = await processFile(file, opts, { links: new Map() });
  t.equal(unpublished.status, 'skipped');
  t.equal(unpublished.reason, 'its executable was not normalized in this run; left alone');
  t.ok(readFileSync(file).equals(original), 'byte-for-byte untouched');
  await t.rejects(plan(original, new Map()), SkipFile, 'the planner itself throws SkipFile');
});

t.test('a PDB older than VC70 has no GUID: no key, skipped', async (t) => {
  const bytes = Buffer.from(readFileSync(path.join(samples, 'pe/lld-exe/a/app.pdb')));
  const { msf } = await headers(bytes);
  bytes.writeUInt32LE(19970604, streamRanges(msf, 1, 0, 4)[0].fileOffset); // VC98
  t.equal(await pdbKey(bytes), undefined);
  await t.rejects(plan(bytes), { name: 'SkipFile', message: /Version 19970604 is older than VC70 \(20000404\)/ });
});

t.test('mingw (GNU ld 2.40): a used block its free block map calls free is kept', async (t) => {
  const bytes = readFileSync(path.join(samples, 'pe/mingw-exe-pdb/a/app.pdb'));
  const p = await plan(bytes);
  t.notOk(p.patches.some((f) => f.field.startsWith('free block')), 'no block is zeroed');
  t.match(p.notes.join('\n'), /marks block 152 \(stream 109\) free although the directory uses it; kept as it is/);
});

/** lld-exe's PDB plus one more block (19) full of stale bytes; lld's map already calls block 19 free. */
function withStaleBlock(fill: number): Buffer {
  const original = readFileSync(path.join(samples, 'pe/lld-exe/a/app.pdb'));
  const bs = original.readUInt32LE(32);
  const extra = Buffer.alloc(bs, fill);
  extra.fill(0, 0, 96); // some zero bytes in it too
  const bytes = Buffer.concat([original, extra]);
  bytes.writeUInt32LE(original.readUInt32LE(40) + 1, 40); // NumBlocks
  return bytes;
}

t.test('free blocks with stale data are zeroed, the rest kept', async (t) => {
  const x = withStaleBlock(0xab);
  const y = withStaleBlock(0x5c);
  const px = await plan(x);
  const free = px.patches.filter((p) => p.field.startsWith('free block'));
  t.same(
    free.map((p) => ({ field: p.field, offset: p.offset, old: p.old, new: p.new })),
    [{ field: 'free block 19', offset: 19 * 4096, old: 'stale data (4000 non-zero bytes)', new: 'zeros' }],
  );
  t.match(px.notes.join('\n'), /1 free block zeroed, 1 of them held stale data/);
  const nx = apply(x, px);
  const ny = apply(y, await plan(y));
  t.ok(nx.subarray(19 * 4096).equals(Buffer.alloc(4096)), 'the block is zeros');
  t.ok(nx.equals(ny), 'two files differing only in a free block become identical');
  t.equal(changedPatches(await plan(nx)).length, 0, 'second run: nothing to change');
  if (!have('llvm-pdbutil')) {
    t.skip('llvm-pdbutil --summary: llvm-pdbutil is not installed', () => {});
    return;
  }
  const file = path.join(tempDir(t), 'app.pdb');
  writeFileSync(file, nx);
  const s = pdbutilSummary(file);
  t.equal(s.code, 0, `llvm-pdbutil accepts it ${s.stderr}`);
  t.equal(s.blocks, 20);
});

/**
 * A small synthetic MSF with 512-byte blocks and more than 8 × 512 blocks, so its free
 * block map spans two FPM blocks (1 and 513). Streams: 1 (info) in block 5, 3 (DBI) in
 * block 6; directory in block 4, block map in block 3.
 */
function syntheticMsf(free: readonly number[], stale: readonly number[]): Buffer {
  const bs = 512;
  const numBlocks = 4200;
  const f = Buffer.alloc(bs * numBlocks);
  Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1').copy(f, 0);
  const sizes = [0, 28, 0xffffffff, 64];
  const lists = [5, 6];
  const dirBytes = 4 + 4 * sizes.length + 4 * lists.length;
  [bs, 1, numBlocks, dirBytes, 0, 3].forEach((v, i) => f.writeUInt32LE(v, 32 + 4 * i));
  f.writeUInt32LE(4, 3 * bs);
  [sizes.length, ...sizes, ...lists].forEach((v, i) => f.writeUInt32LE(v, 4 * bs + 4 * i));
  [20000404, 1600000000, 3].forEach((v, i) => f.writeUInt32LE(v, 5 * bs + 4 * i));
  Buffer.from('ffeeddccbbaa99887766554433221100', 'hex').copy(f, 5 * bs + 12);
  [0xffffffff, 19990903, 3].forEach((v, i) => f.writeUInt32LE(v, 6 * bs + 4 * i));
  // The FPM bitmap is contiguous over blocks 1 and 513: bit b is byte b>>3 of that sequence.
  for (const b of free) {
    const byte = b >> 3;
    const at = (byte < bs ? 1 * bs : 513 * bs - bs) + byte;
    f[at] |= 1 << (b & 7);
  }
  for (const b of stale) f.fill(0x77, b * bs + 10, b * bs + 20);
  return f;
}

t.test('a free block map over two FPM blocks: the free blocks after 4096 are found too', async (t) => {
  const bytes = syntheticMsf([100, 4150, 513, 1026, 5], [100, 4150, 4151]);
  const p = await plan(bytes);
  t.same(
    p.patches.map((x) => [x.field, x.old]),
    [
      ['PDB info stream Signature', '1600000000 (2020-09-13 12:26:40 UTC)'],
      ['PDB info stream Age', '3'],
      ['PDB info stream GUID', '{CCDDEEFF-AABB-8899-7766-554433221100}'],
      ['DBI stream Age', '3'],
      ['free block 100', 'stale data (10 non-zero bytes)'],
      ['free block 4150', 'stale data (10 non-zero bytes)'],
    ],
    'blocks 100 and 4150 are zeroed; 4151 is in use per the map; 513 and 1026 are FPM blocks',
  );
  const notes = p.notes.join('\n');
  t.match(notes, /marks block 5 \(stream 1\) free although the directory uses it/);
  t.match(notes, /2 free blocks zeroed, 2 of them held stale data/);
  t.match(notes, /blocks are marked in use but belong to no stream; left alone/);
  const out = apply(bytes, p);
  t.ok(out.subarray(4150 * 512, 4151 * 512).equals(Buffer.alloc(512)), 'block 4150 zeroed');
  t.equal(out[4151 * 512 + 10], 0x77, 'block 4151 kept');
  t.equal(changedPatches(await plan(out)).length, 0, 'second run: nothing to change');
});

t.test('a stream header inside a directory block is refused, not patched', async (t) => {
  // 130 streams: StreamSizes[127] (nil, 0xffffffff) opens the second directory block, 5.
  // The DBI stream's block list points at block 5 too, so its "VersionSignature" is -1 and
  // its "Age" is StreamSizes[129]: writing the Age would rewrite the directory.
  const bs = 512;
  const f = Buffer.alloc(bs * 8);
  Buffer.from('Microsoft C/C++ MSF 7.00\r\n\x1aDS\0\0\0', 'latin1').copy(f, 0);
  const sizes = Array.from({ length: 130 }, (_, i) => (i === 1 ? 28 : i === 3 ? 64 : i === 2 || i === 127 ? 0xffffffff : 0));
  const dir = Buffer.alloc(2 * bs);
  [sizes.length, ...sizes, 6, 5].forEach((v, i) => dir.writeUInt32LE(v, 4 * i));
  [bs, 1, 8, 4 + 4 * sizes.length + 8, 0, 3].forEach((v, i) => f.writeUInt32LE(v, 32 + 4 * i));
  f.writeUInt32LE(4, 3 * bs);
  f.writeUInt32LE(5, 3 * bs + 4);
  dir.copy(f, 4 * bs);
  f.writeUInt32LE(20000404, 6 * bs);
  f.fill(0xff, 1 * bs, 3 * bs); // every block "free": none is zeroed, all are in use
  await t.rejects(plan(f), {
    name: 'FormatError',
    message: /DBI stream Age at 0xa08: stream 3 puts it in block 5, which also holds the stream directory; blocks cannot be shared/,
  });
});

t.test('streamRanges: a field across a block boundary comes back in pieces', async (t) => {
  const msf: Msf = {
    blockSize: 512,
    freeBlockMapBlock: 1,
    numBlocks: 10,
    numDirectoryBytes: 20,
    blockMapAddr: 3,
    directoryBlocks: Uint32Array.of(4),
    streams: [
      { index: 0, size: 0, nil: false, blocks: new Uint32Array(0), sizeAt: 0x804 },
      { index: 1, size: 1000, nil: false, blocks: Uint32Array.of(7, 5), sizeAt: 0x808 },
    ],
  };
  t.same(streamRanges(msf, 1, 510, 6), [
    { fileOffset: 7 * 512 + 510, length: 2, streamOffset: 510 },
    { fileOffset: 5 * 512, length: 4, streamOffset: 512 },
  ]);
  t.same(streamRanges(msf, 1, 4, 4), [{ fileOffset: 7 * 512 + 4, length: 4, streamOffset: 4 }]);
  t.throws(() => streamRanges(msf, 1, 998, 4), { message: /stream 1: bytes 0x3e6..0x3ea run past its size 1000 \(StreamSizes at 0x808\)/ });
});

// Corrupt files: each breaks one rule; processFile (with links, so it would write) must
// fail naming the offset and leave the file untouched.
const lld = readFileSync(path.join(samples, 'pe/lld-exe/a/app.pdb'));
/** lld-exe: block size 4096, 19 blocks, block map at block 3, directory in block 18. */
const BS = 4096;
const DIR = 18 * BS;
const with32 = (at: number, v: number, base: Buffer = lld) => {
  const b = Buffer.from(base);
  b.writeUInt32LE(v, at);
  return b;
};
/** Offset in the file of stream `s`'s first block index in the directory. */
function blockEntryOf(s: number): number {
  const n = lld.readUInt32LE(DIR);
  let pos = DIR + 4 + 4 * n;
  for (let i = 0; i < s; i++) {
    const size = lld.readUInt32LE(DIR + 4 + 4 * i);
    pos += size === 0xffffffff ? 0 : 4 * Math.ceil(size / BS);
  }
  return pos;
}

const corrupt: { name: string; bytes: Buffer; message: RegExp }[] = [
  { name: 'truncated file', bytes: lld.subarray(0, 50000), message: /superblock at 0x28: NumBlocks 19 × BlockSize 4096 = 0x13000 bytes, more than the file holds \(size 0xc350\)/ },
  { name: 'truncated superblock', bytes: lld.subarray(0, 40), message: /MSF superblock at 0x0 \(56 bytes\) runs past the end \(size 0x28\)/ },
  { name: 'BlockSize 0', bytes: with32(32, 0), message: /superblock at 0x20: BlockSize 0 is not one of 512, 1024, 2048, 4096/ },
  { name: 'BlockSize 3', bytes: with32(32, 3), message: /superblock at 0x20: BlockSize 3 is not one of/ },
  { name: 'FreeBlockMapBlock 3', bytes: with32(36, 3), message: /superblock at 0x24: FreeBlockMapBlock 3 is neither 1 nor 2/ },
  { name: 'NumDirectoryBytes huge', bytes: with32(44, 0xfffffffc), message: /superblock at 0x2c: NumDirectoryBytes 4294967292 needs 1048576 directory blocks, more than the block map/ },
  { name: 'NumDirectoryBytes not a multiple of 4', bytes: with32(44, 125), message: /superblock at 0x2c: NumDirectoryBytes 125 is not a positive multiple of 4/ },
  { name: 'BlockMapAddr past EOF', bytes: with32(52, 0x10000), message: /BlockMapAddr at 0x34 is block 65536, past the last block \(NumBlocks 19\)/ },
  { name: 'BlockMapAddr 0', bytes: with32(52, 0), message: /BlockMapAddr at 0x34 is block 0, which holds the superblock/ },
  { name: 'directory block past NumBlocks', bytes: with32(3 * BS, 19), message: /block map entry 0 \(directory block\) at 0x3000 is block 19, past the last block/ },
  { name: 'stream block index past NumBlocks', bytes: with32(blockEntryOf(1), 0x7fffffff), message: new RegExp(`stream 1 block 0 at 0x${blockEntryOf(1).toString(16)} is block 2147483647, past the last block \\(NumBlocks 19\\)`) },
  { name: 'stream block in the free block map', bytes: with32(blockEntryOf(3), 4097 % 4096), message: /stream 3 block 0 at 0x[0-9a-f]+ is block 1, a free block map block/ },
  { name: 'truncated directory (NumStreams does not fit)', bytes: with32(44, 40), message: /stream directory at 0x12000: NumStreams 16 needs 68 bytes of stream sizes, but the directory has 40/ },
  { name: 'truncated directory (block lists do not fit)', bytes: with32(44, 80), message: /stream directory at 0x12[0-9a-f]+: stream \d+ of \d+ bytes needs \d+ block indices at directory offset 0x[0-9a-f]+, past the end of the directory \(NumDirectoryBytes 80\)/ },
  { name: 'NumStreams huge', bytes: with32(DIR, 0x40000000), message: /stream directory at 0x12000: NumStreams 1073741824 needs 4294967300 bytes/ },
  { name: 'no PDB info stream', bytes: with32(DIR, 1), message: /stream directory at 0x12000: there is no PDB info stream \(stream 1; NumStreams 1\)/ },
  { name: 'info stream too short for its GUID', bytes: with32(DIR + 8, 20), message: /stream directory at 0x12008: the PDB info stream is 20 bytes, but its Version 20000404 has a 28-byte header with a GUID/ },
  { name: 'DBI stream too short', bytes: with32(DIR + 16, 8), message: /stream directory at 0x12010: the DBI stream is 8 bytes, too short for its header/ },
];
for (const c of corrupt) {
  t.test(`corrupt PDB (${c.name}): failed, offset named, untouched`, async (t) => {
    const file = path.join(tempDir(t), 'bad.pdb');
    writeFileSync(file, c.bytes);
    const r = await processFile(file, opts, { links });
    t.equal(r.status, 'failed');
    t.match(r.error?.message, c.message);
    t.type(r.error?.offset, 'number', 'the error carries an offset');
    t.ok(readFileSync(file).equals(c.bytes), 'byte-for-byte untouched');
  });
}

t.test('mutants of the lld and mingw PDBs: never a crash, errors name an offset, success is idempotent', async (t) => {
  let seed = 0x9db;
  const rnd = () => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const pick = (n: number) => Math.floor(rnd() * n);
  const specials = [0, 1, 2, 3, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffc];
  const tally = { ok: 0, failed: 0, skipped: 0 };
  for (const rel of ['pe/lld-exe/a/app.pdb', 'pe/mingw-exe-pdb/a/app.pdb']) {
    const original = readFileSync(path.join(samples, rel));
    const bs = original.readUInt32LE(32);
    const { msf } = await headers(original);
    // Metadata: the superblock, the free block map, the block map, the directory, the stream headers.
    const hot = [0, 1, 2, msf.blockMapAddr, ...msf.directoryBlocks, msf.streams[1].blocks[0], msf.streams[3].blocks[0]];
    for (let n = 0; n < 300; n++) {
      const m = Buffer.from(original);
      const at = hot[pick(hot.length)] * bs + 4 * pick(Math.min(bs, 256) / 4);
      if (pick(2) === 0) m.writeUInt32LE(specials[pick(specials.length)], at);
      else m[at + pick(4)] ^= 1 << pick(8);
      const bytes = pick(8) === 0 ? m.subarray(0, pick(m.length)) : m;
      try {
        const p = await plan(bytes);
        tally.ok++;
        const again = await plan(apply(bytes, p));
        if (changedPatches(again).length !== 0) t.fail(`${rel} mutant ${n}: second run not clean`);
      } catch (e) {
        if (e instanceof SkipFile) tally.skipped++;
        else if (e instanceof FormatError && /0x[0-9a-f]+/.test(e.message) && typeof e.offset === 'number') tally.failed++;
        else t.fail(`${rel} mutant ${n}: ${e instanceof Error ? e.stack : String(e)}`);
      }
    }
  }
  t.ok(tally.ok > 0 && tally.failed > 0, `both outcomes reached: ${JSON.stringify(tally)}`);
});
