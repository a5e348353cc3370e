// The public and global symbol hash tables (GSI), rebuilt as lld writes them
// (llvm/lib/DebugInfo/PDB/Native/GSIStreamBuilder.cpp): every name goes into bucket
// hashStringV1(name) % 4096; the hash records are laid out bucket by bucket, each bucket
// sorted by gsiRecordCmp (shorter names first, then case-insensitive for ASCII) and then
// by record offset; a bitmap of the non-empty buckets and, for each, the offset of its
// first record as a 12-byte-per-record "HROffsetCalc". Public records are also sorted by
// name in the symbol record stream, and the publics stream ends with an address map.
import { hashStringV1 } from './hash.js';

/** IPHR_HASH: the number of buckets. */
export const IPHR_HASH = 4096;
/** The bitmap has a bit for IPHR_HASH + 1 buckets, in 32-bit words. */
export const BITMAP_WORDS = Math.floor((IPHR_HASH + 32) / 32);
export const BITMAP_BYTES = BITMAP_WORDS * 4;
/** struct GSIHashHeader: VerSignature, VerHdr, HrSize, NumBuckets. */
export const GSI_HEADER_SIZE = 16;
export const GSI_SIGNATURE = 0xffffffff;
export const GSI_VERSION = 0xeffe0000 + 19990810;
/** struct PublicsStreamHeader in front of the publics' GSI hash header. */
export const PUBLICS_HEADER_SIZE = 28;
/** struct PSHashRecord: Off (record offset + 1), CRef. */
const HASH_RECORD_SIZE = 8;
/** HROffsetCalc: the size of a hash record with 32-bit pointers, as bucket offsets count it. */
const SIZEOF_HROFFSETCALC = 12;

/** A symbol record as the tables see it: its name and its offset in the symbol record stream. */
export interface GsiEntry {
  name: Buffer;
  symOffset: number;
}

/** The hash part of a GSI stream: hash records, bitmap and bucket offsets. */
export interface GsiHash {
  records: Buffer;
  bitmap: Buffer;
  buckets: Buffer;
}

const isAscii = (b: Buffer) => b.every((c) => c < 0x80);
const lower = (c: number) => (c >= 0x41 && c <= 0x5a ? c + 32 : c);

/** gsiRecordCmp (caseInsensitiveComparePchPchCchCch in gsi.cpp). */
export function gsiRecordCmp(a: Buffer, b: Buffer): number {
  if (a.length !== b.length) return a.length < b.length ? -1 : 1;
  if (!isAscii(a) || !isAscii(b)) return Buffer.compare(a, b);
  for (let i = 0; i < a.length; i++) {
    const x = lower(a[i]);
    const y = lower(b[i]);
    if (x !== y) return x < y ? -1 : 1;
  }
  return 0;
}

/** GSIHashStreamBuilder::finalizeBuckets for entries in their record order. */
export function buildGsiHash(entries: readonly GsiEntry[]): GsiHash {
  const bucketOf = entries.map((e) => hashStringV1(e.name) % IPHR_HASH);
  const starts = new Uint32Array(IPHR_HASH);
  for (const b of bucketOf) starts[b]++;
  let sum = 0;
  for (let i = 0; i < IPHR_HASH; i++) {
    const size = starts[i];
    starts[i] = sum;
    sum += size;
  }
  const cursors = Uint32Array.from(starts);
  const order = new Array<number>(entries.length);
  entries.forEach((_, i) => (order[cursors[bucketOf[i]]++] = i));
  const records = Buffer.alloc(entries.length * HASH_RECORD_SIZE);
  for (let b = 0; b < IPHR_HASH; b++) {
    const slice = order.slice(starts[b], cursors[b]);
    slice.sort((x, y) => gsiRecordCmp(entries[x].name, entries[y].name) || entries[x].symOffset - entries[y].symOffset);
    slice.forEach((e, k) => {
      const at = (starts[b] + k) * HASH_RECORD_SIZE;
      records.writeUInt32LE(entries[e].symOffset + 1, at);
      records.writeUInt32LE(1, at + 4);
    });
  }
  const bitmap = Buffer.alloc(BITMAP_BYTES);
  const buckets: number[] = [];
  for (let w = 0; w < BITMAP_WORDS; w++) {
    let word = 0;
    for (let j = 0; j < 32; j++) {
      const b = w * 32 + j;
      if (b >= IPHR_HASH || starts[b] === cursors[b]) continue;
      word |= 1 << j;
      buckets.push(starts[b] * SIZEOF_HROFFSETCALC);
    }
    bitmap.writeUInt32LE(word >>> 0, w * 4);
  }
  const bucketBytes = Buffer.alloc(buckets.length * 4);
  buckets.forEach((v, i) => bucketBytes.writeUInt32LE(v, i * 4));
  return { records, bitmap, buckets: bucketBytes };
}

/** A public as computeAddrMap and the name sort see it. */
export interface PublicEntry extends GsiEntry {
  segment: number;
  offset: number;
}

/** Publics are written sorted by name (StringRef operator<: bytes, then length). */
export const byName = (a: PublicEntry, b: PublicEntry) => Buffer.compare(a.name, b.name);

/** computeAddrMap: the record offsets of the publics sorted by segment, offset and name. */
export function addrMap(publics: readonly PublicEntry[]): Buffer {
  const idx = publics.map((_, i) => i);
  idx.sort((x, y) => {
    const l = publics[x];
    const r = publics[y];
    return l.segment - r.segment || l.offset - r.offset || Buffer.compare(l.name, r.name);
  });
  const out = Buffer.alloc(idx.length * 4);
  idx.forEach((i, k) => out.writeUInt32LE(publics[i].symOffset, k * 4));
  return out;
}
