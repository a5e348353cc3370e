// The pieces --remap-path rebuilds a PDB with, checked against what lld 14 itself wrote:
// the committed C++ pair of samples/remap/msvc-cpp (made by make-remap-samples.sh) and
// values read from the remap test project's PDB. Each rebuild function, given the names
// lld had, must give back lld's bytes; only then do its results for new names mean
// anything. The end-to-end runs (real builds in two folders) are in test/remap.test.ts.
import t from 'tap';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { BufferSource, RangeReader } from '../../src/core/reader.js';
import { literalName, literalOfName } from '../../src/formats/coff/literals.js';
import { addrMap, buildGsiHash, byName, GSI_HEADER_SIZE, PUBLICS_HEADER_SIZE, type PublicEntry } from '../../src/formats/pdb/gsi.js';
import { hashStringV1, hashTypeRecord, jamCrc0 } from '../../src/formats/pdb/hash.js';
import { readMsf, readStream, type Msf } from '../../src/formats/pdb/msf.js';
import { globalName } from '../../src/formats/pdb/remap.js';
import { stringMapOrder } from '../../src/formats/pdb/stringmap.js';
import { anonymousNamespaceToken, xxHash64 } from '../../src/formats/shared/xxhash64.js';
import { samples } from '../helpers.js';

const latin1 = (s: string) => Buffer.from(s, 'latin1');

t.test('hash functions: the values lld 14 wrote for the remap test project (clang for Windows, side a)', async (t) => {
  // /names of main.pdb (7 buckets): "" at offset 1 in bucket 1, main.c in bucket 6, greet.c in bucket 2.
  t.equal(hashStringV1(latin1('')) % 7, 1);
  t.equal(hashStringV1(latin1('/tmp/unstamp-remap-AAAA/main.c')) % 7, 6);
  t.equal(hashStringV1(latin1('/tmp/unstamp-remap-AAAA/greet.c')) % 7, 2);
  // Side b: main.c hashes to bucket 1 too (taken by ""), so lld probed on to bucket 2.
  t.equal(hashStringV1(latin1('/tmp/unstamp-remap-BBBB/main.c')) % 7, 1);
  // The DataCrc lld wrote for greet.obj's string literal section.
  t.equal(jamCrc0(latin1('/tmp/unstamp-remap-AAAA/greet.c\0')), 2185494539);
  // The IPI hash stream value of LF_STRING_ID "/tmp/unstamp-remap-AAAA" (NumHashBuckets 0x3ffff).
  const rec = Buffer.concat([Buffer.from([0x1e, 0x00, 0x05, 0x16, 0, 0, 0, 0]), latin1('/tmp/unstamp-remap-AAAA\0')]);
  t.equal(hashTypeRecord(rec)! % 0x3ffff, 0x24085);
});

t.test('xxHash64 and the anonymous namespace token', async (t) => {
  // The reference vectors of XXH64 (seed 0).
  t.equal(xxHash64(Buffer.alloc(0)), 0xef46db3751d8e999n);
  t.equal(xxHash64(latin1('abc')), 0x44bc2cf5ad770999n);
  // clang 14 named the anonymous namespace of containers.cpp after its path; the sample holds it.
  const token = anonymousNamespaceToken(latin1('/tmp/unstamp-remap-AAAA/cpp/lib/containers.cpp'));
  t.equal(token, '?A0x86FAA6A3@');
  t.ok(readFileSync(path.join(samples, 'remap', 'msvc-cpp', 'a', 'app.pdb')).includes(latin1(`.?AUHidden@${token}shapes@@`)), 'the sample PDB names the type with it');
});

t.test('string literal names: the bytes they spell, back', async (t) => {
  const narrow = latin1('/tmp/unstamp-remap-AAAA/greet.c\0');
  const name = literalName(narrow, false);
  t.equal(name, '??_C@_0CA@GELBKKFJ@?1tmp?1unstamp?9remap?9AAAA?1greet?4c?$AA@', 'the name clang gave the literal');
  t.same(literalOfName(name), { wide: false, length: 32, bytes: narrow, complete: true });
  const exactly32 = latin1(`${'x'.repeat(31)}:\0`);
  t.same(literalOfName(literalName(exactly32, false))?.bytes, exactly32, '32 characters: the terminator is implied');
  const long = latin1(`square in /tmp/unstamp-remap-AAAA/cpp/lib/containers.cpp\0`);
  const cut = literalOfName(literalName(long, false))!;
  t.equal(cut.complete, false, 'a longer literal: only its start is spelled');
  t.same(cut.bytes, long.subarray(0, 32));
  const wide = Buffer.from('C:\\Build\\\u00e9t\u00e9.c\0', 'utf16le');
  t.same(literalOfName(literalName(wide, true)), { wide: true, length: wide.length, bytes: wide, complete: true }, 'a wide literal (characters spelled big-endian)');
  const odd = Buffer.from([0x41, 0xe9, 0x00, 0x7f, 0x2c, 0x27, 0x00]);
  t.same(literalOfName(literalName(odd, false))?.bytes, odd, 'bytes escaped every way the mangling knows');
  t.equal(literalOfName('?greet_file@@YAPEBDXZ'), undefined, 'not a literal');
});

/** Bytes [offset, offset+length) of a stream of the sample. */
async function stream(r: RangeReader, msf: Msf, i: number, offset = 0, length = msf.streams[i].size - offset): Promise<Buffer> {
  return readStream(r, msf, i, offset, length, `stream ${i}`);
}

t.test("rebuilt from lld's own names, each table is lld's (samples/remap/msvc-cpp)", async (t) => {
  for (const side of ['a', 'b']) {
    const bytes = readFileSync(path.join(samples, 'remap', 'msvc-cpp', side, 'app.pdb'));
    const r = RangeReader.of(new BufferSource(bytes));
    const msf = await readMsf(r);
    const dbi = await stream(r, msf, 3);
    const [globalsAt, publicsAt, symAt] = [12, 16, 20].map((o) => dbi.readUInt16LE(o));
    const sym = await stream(r, msf, symAt);
    const nameAt = (off: number) => sym.subarray(off + 14, sym.indexOf(0, off + 14));

    // Publics: sorted by name from offset 0, the hash table and the address map.
    const pub = await stream(r, msf, publicsAt);
    const hrSize = pub.readUInt32LE(PUBLICS_HEADER_SIZE + 8);
    const numBuckets = pub.readUInt32LE(PUBLICS_HEADER_SIZE + 12);
    const publics: PublicEntry[] = [];
    for (let i = 0; i < hrSize / 8; i++) {
      const off = pub.readUInt32LE(PUBLICS_HEADER_SIZE + GSI_HEADER_SIZE + i * 8) - 1;
      publics.push({ name: nameAt(off), symOffset: off, segment: sym.readUInt16LE(off + 12), offset: sym.readUInt32LE(off + 8) });
    }
    publics.sort(byName);
    t.same(publics.map((p) => p.symOffset), [...publics.map((p) => p.symOffset)].sort((a, b) => a - b), `${side}: the publics lie in name order`);
    const h = buildGsiHash(publics);
    const start = PUBLICS_HEADER_SIZE + GSI_HEADER_SIZE;
    t.ok(Buffer.concat([h.records, h.bitmap, h.buckets]).equals(pub.subarray(start, start + hrSize + numBuckets)), `${side}: publics hash records, bitmap and bucket offsets as lld wrote them`);
    const mapAt = PUBLICS_HEADER_SIZE + pub.readUInt32LE(0);
    t.ok(addrMap(publics).equals(pub.subarray(mapAt, mapAt + publics.length * 4)), `${side}: the address map as lld wrote it`);

    // Globals: the same buckets over S_PROCREF / S_GDATA32 / S_UDT / S_CONSTANT names (records in stream order).
    const glob = await stream(r, msf, globalsAt);
    const gSize = glob.readUInt32LE(8);
    const globals = [];
    for (let i = 0; i < gSize / 8; i++) {
      const off = glob.readUInt32LE(GSI_HEADER_SIZE + i * 8) - 1;
      globals.push({ name: globalName(sym, off, sym.readUInt16LE(off) + 2)!, symOffset: off });
    }
    globals.sort((a, b) => a.symOffset - b.symOffset);
    const g = buildGsiHash(globals);
    t.ok(Buffer.concat([g.records, g.bitmap, g.buckets]).equals(glob.subarray(GSI_HEADER_SIZE, GSI_HEADER_SIZE + gSize + glob.readUInt32LE(12))), `${side}: globals hash as lld wrote it (${globals.length} globals)`);

    // /names: the strings in offset order, placed in the StringMap's order with linear probing.
    const names = await stream(r, msf, 14);
    t.equal(names.readUInt32LE(0), 0xeffeeffe, `${side}: stream 14 is /names`);
    const size = names.readUInt32LE(8);
    const count = names.readUInt32LE(12 + size);
    const stored = names.subarray(16 + size, 16 + size + count * 4);
    const offsets = [...new Set(Array.from({ length: count }, (_, i) => stored.readUInt32LE(i * 4)).filter((o) => o !== 0))].sort((a, b) => a - b);
    const strings = offsets.map((o) => names.subarray(12 + o, names.indexOf(0, 12 + o)));
    const buckets = Buffer.alloc(count * 4);
    for (const k of stringMapOrder(strings)) {
      let slot = hashStringV1(strings[k]) % count;
      while (buckets.readUInt32LE(slot * 4) !== 0) slot = (slot + 1) % count;
      buckets.writeUInt32LE(offsets[k], slot * 4);
    }
    t.ok(buckets.equals(stored), `${side}: /names buckets as lld wrote them (${strings.length} strings)`);

    // DBI file info: the names buffer in the StringMap's order of the names in first-use order.
    const sizes = [24, 28, 32, 36].map((o) => dbi.readInt32LE(o));
    const at = 64 + sizes[0] + sizes[1] + sizes[2];
    const modules = dbi.readUInt16LE(at);
    let files = 0;
    for (let m = 0; m < modules; m++) files += dbi.readUInt16LE(at + 4 + modules * 2 + m * 2);
    const offsAt = at + 4 + modules * 4;
    const namesAt = offsAt + files * 4;
    const used = [...new Set(Array.from({ length: files }, (_, f) => dbi.readUInt32LE(offsAt + f * 4)))];
    const firstUse = used.map((o) => dbi.subarray(namesAt + o, dbi.indexOf(0, namesAt + o)));
    const laidOut = stringMapOrder(firstUse).map((k) => firstUse[k].toString('latin1'));
    const inBuffer = [...used].sort((a, b) => a - b).map((o) => dbi.toString('latin1', namesAt + o, dbi.indexOf(0, namesAt + o)));
    t.same(laidOut, inBuffer, `${side}: DBI file info names in lld's order (${firstUse.length} names)`);
  }
});
