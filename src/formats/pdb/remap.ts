// --remap-path in a PDB: OLD -> NEW (same length) in every stream that holds paths, then
// every table that hashes those strings computed again with the hash functions readers
// use. Streams are edited whole in memory (only when a rule is given) and then written
// back as same-length patches of the bytes that changed; anything that cannot be brought
// back into agreement in place makes the whole PDB (and so its executable) refused.
//
// What holds paths, and what follows it:
//   /names            the string buffer; its hash buckets are rebuilt (same count, the
//                     table's HashVersion hash, linear probing as LLVM's reader probes)
//   DBI               module and object names, source file names (no hash); the EC
//                     names table (a /names-style table: rebuilt the same way); the DataCrc
//                     of a section contribution that is a renamed string literal
//   TPI, IPI          LF_STRING_ID and other records: the hash value of each changed record
//                     (hashTypeRecord % NumHashBuckets) in the TPI/IPI hash stream
//   module streams    S_OBJNAME, S_ENVBLOCK, ... (no hash; C13 file checksums hash file
//                     contents, not names, and are kept)
//   symbol records    S_PUB32 names of string literals that spell a path (??_C@_...: renamed
//                     with the remapped literal's CRC), any name that holds OLD: the
//                     publics and globals hash tables are rebuilt as lld writes them
//   /LinkInfo         paths (no hash)
// References: LLVM llvm/docs/PDB/*.rst; lib/DebugInfo/PDB/Native (Hash.cpp,
// PDBStringTable(Builder).cpp, TpiHashing.cpp, TpiStreamBuilder.cpp, GSIStreamBuilder.cpp,
// DbiStream.cpp, NamedStreamMap.cpp, HashTable.h); lld/COFF/PDB.cpp.
import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext, RemapRule } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { findAll, needlesOf, shown, type Needle } from '../../core/remap.js';
import { literalName, literalOfName } from '../coff/literals.js';
import { anonymousNamespaces, stringsAround } from '../shared/xxhash64.js';
import { BITMAP_BYTES, GSI_HEADER_SIZE, GSI_SIGNATURE, PUBLICS_HEADER_SIZE, addrMap, buildGsiHash, byName, type GsiEntry, type PublicEntry } from './gsi.js';
import { hashStringV1, hashStringV2, hashTypeRecord, jamCrc0, numericLeafSize } from './hash.js';
import { blockOwner, readStream, streamRanges, type Msf } from './msf.js';
import { streamLabel } from './regions.js';
import { stringMapOrder } from './stringmap.js';
import * as S from './spec.js';

/** A stream is edited whole in memory: larger ones make the PDB refused under --remap-path. */
const MAX_EDITED_STREAM = 256 << 20;
/** Streams are searched in pieces of this many bytes (overlapping by the longest needle). */
const SEARCH_PIECE = 1 << 20;
/** Differences closer than this are written as one patch. */
const PATCH_GAP = 8;

/** A stream being edited: its bytes as they were and as they become, and what each change is. */
class Edited {
  readonly now: Buffer;
  readonly fields: { start: number; end: number; field: string }[] = [];
  constructor(
    readonly index: number,
    readonly old: Buffer,
    readonly label: string,
  ) {
    this.now = Buffer.from(old);
  }
  write(at: number, bytes: Buffer, field: string): void {
    bytes.copy(this.now, at);
    this.fields.push({ start: at, end: at + bytes.length, field });
  }
  changed(start = 0, end = this.old.length): boolean {
    return !this.old.subarray(start, end).equals(this.now.subarray(start, end));
  }
  fieldAt(at: number): string {
    for (let i = this.fields.length - 1; i >= 0; i--) if (this.fields[i].start <= at && at < this.fields[i].end) return this.fields[i].field;
    return this.label;
  }
}

/** Where the streams that matter are, from the info stream, the DBI and the TPI/IPI headers. */
interface Layout {
  named: Map<string, number>;
  dbi?: Dbi;
  tpi?: Tpi;
  ipi?: Tpi;
  /** What each stream is, for messages and for what may be edited. */
  roles: Map<number, Role>;
}

type RoleKind = 'info' | 'dbi' | 'tpi' | 'ipi' | 'names' | 'text' | 'symrec' | 'fixed';
interface Role {
  kind: RoleKind;
  label: string;
  /** Why a path in this stream cannot be remapped ('fixed' streams hold no text unstamp can edit). */
  why?: string;
}

interface Dbi {
  size: number;
  globals: number;
  publics: number;
  symRecords: number;
  modules: { at: number; stream: number; name: string }[];
  /** The section contribution substream: its offset, size and entry size (28 or 32). */
  sc: { at: number; size: number; entry: number };
  ec: { at: number; size: number };
  fileInfo: { at: number; size: number };
}

interface Tpi {
  stream: number;
  headerSize: number;
  begin: number;
  end: number;
  recordBytes: number;
  hashStream: number;
  hashKeySize: number;
  numHashBuckets: number;
  hashValues: { at: number; length: number };
  hashAdj: { at: number; length: number };
}

const NIL = 0xffff;
const STRING_TABLE_SIGNATURE = 0xeffeeffe;
const S_PUB32 = 0x110e;
const SC_VER60 = 0xeffe0000 + 19970605;
const SC_V2 = 0xeffe0000 + 20140516;
const SC_ENTRY = 28;

function fail(msf: Msf, stream: number, at: number, text: string): never {
  const s = msf.streams[stream];
  const file = s && !s.nil && at < s.size ? (streamRanges(msf, stream, at, 1)[0]?.fileOffset ?? 0) : 0;
  throw new FormatError(`${streamLabel(stream)} at stream offset ${hex(at)} (file offset ${hex(file)}): ${text}; neither the PDB nor its executable is changed`, (msf.base ?? 0) + file);
}

/** A whole stream, read block by block. */
async function load(reader: RangeReader, msf: Msf, stream: number, what: string): Promise<Buffer> {
  const s = msf.streams[stream];
  if (!s || s.nil) return Buffer.alloc(0);
  if (s.size > MAX_EDITED_STREAM) fail(msf, stream, 0, `${what} is ${s.size} bytes, more than unstamp edits in memory for --remap-path (${MAX_EDITED_STREAM} bytes)`);
  const step = msf.blockSize * 64;
  const parts: Buffer[] = [];
  for (let at = 0; at < s.size; at += step) parts.push(await readStream(reader, msf, stream, at, Math.min(step, s.size - at), what));
  return Buffer.concat(parts, s.size);
}

const u16 = (b: Buffer, at: number) => b.readUInt16LE(at);
const u32 = (b: Buffer, at: number) => b.readUInt32LE(at);

/** The info stream's named stream map (NamedStreamMap: a string buffer and a HashTable<u32>). */
function namedStreams(msf: Msf, info: Buffer): Map<string, number> {
  const out = new Map<string, number>();
  const bad = (at: number, what: string): never => fail(msf, S.STREAM_PDB, at, `the named stream map ${what}`);
  let at = S.PDB_STREAM_HEADER_SIZE;
  if (at + 4 > info.length) bad(at, 'is missing');
  const strLen = u32(info, at);
  const strings = at + 4;
  at = strings + strLen;
  if (at + 8 > info.length) bad(strings - 4, `string buffer (${strLen} bytes) runs past the stream`);
  const size = u32(info, at);
  const capacity = u32(info, at + 4);
  at += 8;
  const present: number[] = [];
  for (const bitvector of ['present', 'deleted']) {
    if (at + 4 > info.length) bad(at, `${bitvector} bit vector is cut off`);
    const words = u32(info, at);
    if (at + 4 + words * 4 > info.length) bad(at, `${bitvector} bit vector (${words} words) runs past the stream`);
    if (bitvector === 'present') {
      for (let w = 0; w < words; w++) for (let j = 0; j < 32; j++) if ((u32(info, at + 4 + w * 4) >>> j) & 1) present.push(w * 32 + j);
    }
    at += 4 + words * 4;
  }
  if (present.length !== size || present.some((b) => b >= capacity)) bad(at, `has ${present.length} present buckets, but Size is ${size} (Capacity ${capacity})`);
  if (at + size * 8 > info.length) bad(at, `entries (${size}) run past the stream`);
  for (let i = 0; i < size; i++) {
    const key = u32(info, at + i * 8);
    const value = u32(info, at + i * 8 + 4);
    if (key >= strLen) bad(at + i * 8, `entry ${i} names string offset ${key}, past its string buffer (${strLen} bytes)`);
    const nul = info.indexOf(0, strings + key);
    out.set(info.toString('latin1', strings + key, nul < 0 || nul > strings + strLen ? strings + strLen : nul), value);
  }
  return out;
}

/** The DBI header fields and substreams --remap-path needs. */
function readDbi(msf: Msf, dbi: Buffer): Dbi | undefined {
  if (dbi.length < 64 || dbi.readInt32LE(0) !== -1) return undefined;
  const sizes = [24, 28, 32, 36, 40].map((o) => dbi.readInt32LE(o));
  const ecSize = dbi.readInt32LE(52);
  const dbgSize = dbi.readInt32LE(48);
  if ([...sizes, ecSize, dbgSize].some((s) => s < 0) || 64 + sizes.reduce((a, b) => a + b, 0) + ecSize + dbgSize > dbi.length) {
    fail(msf, S.STREAM_DBI, 24, 'the DBI substream sizes run past the stream');
  }
  const [modInfoSize, scSize, secMapSize, fileInfoSize, tsmSize] = sizes;
  const modules: Dbi['modules'] = [];
  for (let at = 64; at < 64 + modInfoSize; ) {
    if (at + 64 > 64 + modInfoSize) fail(msf, S.STREAM_DBI, at, 'a module info entry is cut off');
    const a = dbi.indexOf(0, at + 64);
    const b = a < 0 ? -1 : dbi.indexOf(0, a + 1);
    if (b < 0 || b >= 64 + modInfoSize) fail(msf, S.STREAM_DBI, at, 'a module info entry has no NUL-terminated ModuleName and ObjFileName');
    modules.push({ at, stream: u16(dbi, at + 34), name: dbi.toString('utf8', at + 64, a) });
    at = (b + 1 + 3) & ~3;
  }
  const scAt = 64 + modInfoSize;
  let entry = SC_ENTRY;
  if (scSize >= 4) {
    const version = u32(dbi, scAt);
    if (version === SC_V2) entry = SC_ENTRY + 4;
    else if (version !== SC_VER60) fail(msf, S.STREAM_DBI, scAt, `the section contribution substream has version ${hex(version)}, unknown to unstamp`);
  }
  const ecAt = scAt + scSize + secMapSize + fileInfoSize + tsmSize;
  return {
    size: dbi.length,
    globals: u16(dbi, 12),
    publics: u16(dbi, 16),
    symRecords: u16(dbi, 20),
    modules,
    sc: { at: scAt, size: scSize, entry },
    ec: { at: ecAt, size: ecSize },
    fileInfo: { at: scAt + scSize + secMapSize, size: fileInfoSize },
  };
}

/** TpiStreamHeader (TPI and IPI have the same). */
function readTpi(msf: Msf, stream: number, b: Buffer, size: number): Tpi | undefined {
  if (b.length < 56) return undefined;
  const t: Tpi = {
    stream,
    headerSize: u32(b, 4),
    begin: u32(b, 8),
    end: u32(b, 12),
    recordBytes: u32(b, 16),
    hashStream: u16(b, 20),
    hashKeySize: u32(b, 24),
    numHashBuckets: u32(b, 28),
    hashValues: { at: b.readInt32LE(32), length: u32(b, 36) },
    hashAdj: { at: b.readInt32LE(48), length: u32(b, 52) },
  };
  if (t.headerSize < 56 || t.headerSize + t.recordBytes > size || t.end < t.begin) fail(msf, stream, 4, `the header (HeaderSize ${t.headerSize}, TypeRecordBytes ${t.recordBytes}) does not fit the stream's ${size} bytes`);
  return t;
}

async function readLayout(reader: RangeReader, msf: Msf): Promise<Layout> {
  const roles = new Map<number, Role>();
  const fixed = (i: number, label: string, why = 'it holds no text unstamp can edit in place') => {
    if (i !== NIL && !roles.has(i)) roles.set(i, { kind: 'fixed', label, why });
  };
  roles.set(S.STREAM_OLD_DIRECTORY, { kind: 'fixed', label: 'old stream directory', why: 'it is a copy of an earlier stream directory' });
  roles.set(S.STREAM_PDB, { kind: 'info', label: 'PDB info', why: 'the info stream (named stream map) is hashed by name, and its names are not rebuilt' });
  const info = await load(reader, msf, S.STREAM_PDB, 'PDB info stream');
  const named = namedStreams(msf, info);
  const layout: Layout = { named, roles };
  for (const [name, i] of named) {
    if (name === '/names') roles.set(i, { kind: 'names', label: '/names' });
    else if (name === '/LinkInfo') roles.set(i, { kind: 'text', label: '/LinkInfo' });
    else fixed(i, `named stream ${name}`, `unstamp does not know what the named stream ${JSON.stringify(name)} hashes`);
  }
  const dbiStream = msf.streams[S.STREAM_DBI];
  if (dbiStream && !dbiStream.nil && dbiStream.size > 0) {
    const dbi = readDbi(msf, await load(reader, msf, S.STREAM_DBI, 'DBI stream'));
    if (dbi) {
      layout.dbi = dbi;
      roles.set(S.STREAM_DBI, { kind: 'dbi', label: 'DBI' });
      if (dbi.symRecords !== NIL) roles.set(dbi.symRecords, { kind: 'symrec', label: 'symbol records' });
      fixed(dbi.globals, 'global symbol hash');
      fixed(dbi.publics, 'public symbol hash');
      for (const m of dbi.modules) if (m.stream !== NIL && !roles.has(m.stream)) roles.set(m.stream, { kind: 'text', label: `module ${m.name}` });
    }
  }
  for (const [i, kind] of [
    [S.STREAM_TPI, 'tpi'],
    [S.STREAM_IPI, 'ipi'],
  ] as const) {
    const s = msf.streams[i];
    if (!s || s.nil || s.size === 0) continue;
    if (s.size < 56) continue;
    const t = readTpi(msf, i, await readStream(reader, msf, i, 0, 56, `${kind.toUpperCase()} stream header`), s.size);
    if (!t) continue;
    layout[kind] = t;
    roles.set(i, { kind, label: kind.toUpperCase() });
    fixed(t.hashStream, `${kind.toUpperCase()} hash`);
  }
  return layout;
}

/** A string literal named by a public symbol whose bytes hold a path: its new name, and where it is. */
interface Literal {
  oldName: Buffer;
  newName: Buffer;
  segment: number;
  offset: number;
  /** The literal's bytes before and after the remap. */
  was: Buffer;
  now: Buffer;
}

/** Each record of a symbol stream from `at`: fn(offset, kind, length incl. the RecordLen field). */
function eachRecord(b: Buffer, at: number, end: number, fn: (at: number, kind: number, size: number) => void): void {
  while (at + 4 <= end) {
    const len = u16(b, at);
    if (len < 2 || at + 2 + len > end) return;
    fn(at, u16(b, at + 2), len + 2);
    at += 2 + len;
  }
}

/** The executable's remapped bytes of a section (1-based), when the PE planner changed it. */
type SectionBytes = (segment: number) => Buffer | undefined;

/**
 * NEW -> OLD for the rules whose OLD this PDB holds, to tell what the executable's bytes
 * were before its remap. `ambiguous`: a NEW two of those rules share (which OLD it was
 * cannot be told).
 */
interface Reverse {
  needles: Needle[];
  ambiguous: Set<string>;
  /** Each active rule's own NEW -> OLD needles, to try one by one where a NEW is ambiguous. */
  perRule: Needle[][];
}

const keyOf = (n: Needle) => `${n.wide ? 'w' : 'n'}:${n.from.toString('hex')}`;

function reverseOf(rules: readonly RemapRule[], found: ReadonlySet<string>): Reverse {
  const byFrom = new Map<string, Needle>();
  const ambiguous = new Set<string>();
  const perRule: Needle[][] = [];
  for (const rule of rules) {
    const own = needlesOf([rule], true);
    if (!own.some((n) => found.has(keyOf(n)))) continue;
    perRule.push(own.map((n) => ({ from: n.to, to: n.from, wide: n.wide })));
    for (const n of own) {
      const r = { from: n.to, to: n.from, wide: n.wide };
      const seen = byFrom.get(keyOf(r));
      if (seen && !seen.to.equals(r.to)) ambiguous.add(keyOf(r));
      else byFrom.set(keyOf(r), r);
    }
  }
  return { needles: [...byFrom.values()].sort((a, b) => b.from.length - a.from.length), ambiguous, perRule };
}

/** `bytes` with every NEW put back to OLD (what they were before the remap), or undefined if a NEW is ambiguous. */
function unmapped(bytes: Buffer, rev: Reverse, wide?: boolean): Buffer | undefined {
  const hits = findAll(bytes, wide === undefined ? rev.needles : rev.needles.filter((n) => n.wide === wide));
  if (hits.length === 0) return bytes;
  if (hits.some((h) => rev.ambiguous.has(keyOf(h.needle)))) return undefined;
  const out = Buffer.from(bytes);
  for (const h of hits) h.needle.to.copy(out, h.at);
  return out;
}

const AMBIGUOUS = 'two --remap-path rules give the same NEW and the PDB holds both OLDs, so which one these bytes of the executable held cannot be told';

/** [offset, offset+size) of a section's bytes, zero-filled past its raw data (as the loader fills it). */
function sectionSlice(data: Buffer, offset: number, size: number): Buffer | undefined {
  if (offset > data.length || size > 1 << 30) return undefined;
  const out = Buffer.alloc(size);
  data.copy(out, 0, offset, Math.min(data.length, offset + size));
  return out;
}

/**
 * S_PUB32 records naming string literals (??_C@_...) whose bytes the executable's remap
 * changed: their new names, with the CRC of the remapped literal. The literal's bytes come
 * from the executable (the name spells only the first 32 characters); a name that is not
 * exactly the compiler's spelling of the old bytes is left alone.
 */
function literalRenames(msf: Msf, stream: number, sym: Buffer, paths: readonly Needle[], rev: Reverse, section: SectionBytes): Literal[] {
  const out: Literal[] = [];
  const seen = new Set<string>();
  eachRecord(sym, 0, sym.length, (at, kind, size) => {
    if (kind !== S_PUB32 || size < 15) return;
    const nul = sym.indexOf(0, at + 14);
    if (nul < 0 || nul >= at + size) return;
    const name = sym.toString('latin1', at + 14, nul);
    const lit = literalOfName(name);
    if (!lit || seen.has(name)) return;
    const segment = u16(sym, at + 12);
    const offset = u32(sym, at + 8);
    const data = section(segment);
    const now = data && offset + lit.length <= data.length ? data.subarray(offset, offset + lit.length) : undefined;
    if (!now) {
      // The executable did not change this section: the literal must not hold a path either.
      const hit = findAll(lit.bytes, paths.filter((n) => n.wide === lit.wide))[0];
      if (hit) fail(msf, stream, at, `the public symbol ${name} names a string literal holding ${shown(hit.needle.from, hit.needle.wide)}, but the executable's section ${segment} holds no remapped path at ${hex(offset)}`);
      return;
    }
    // Where two rules share a NEW, the name (its CRC) tells which OLD the literal held.
    const single = unmapped(now, rev, lit.wide);
    const candidates = single ? [single] : rev.perRule.map((r) => unmapped(now, { needles: r, ambiguous: new Set(), perRule: [] }, lit.wide)!);
    const was = candidates.find((c) => c !== now && literalName(c, lit.wide) === name);
    if (!was) {
      if (!single) fail(msf, stream, at, `the public symbol ${name} names a string literal at section ${segment} offset ${hex(offset)}: ${AMBIGUOUS}`);
      return;
    }
    const renamed = literalName(now, lit.wide);
    if (renamed === name) return;
    if (renamed.length !== name.length) {
      fail(msf, stream, at, `with the path remapped the public symbol ${name} becomes ${renamed}, of another length, which cannot be written in place`);
    }
    seen.add(name);
    out.push({ oldName: Buffer.from(name, 'latin1'), newName: Buffer.from(renamed, 'latin1'), segment, offset, was, now: Buffer.from(now) });
  });
  return out;
}

/** The longest string taken as a candidate main source file name. */
const MAX_CANDIDATE = 4096;

/**
 * The first needle hit in a stream (searched in pieces), or undefined; with `seen`, each
 * NUL-terminated 8-bit string that holds a hit is added to its strings (the paths the PDB
 * records), and each needle found to its found set.
 */
async function firstHit(
  reader: RangeReader,
  msf: Msf,
  stream: number,
  needles: readonly Needle[],
  seen?: { strings: Set<string>; found: Set<string> },
): Promise<{ at: number; needle: Needle } | undefined> {
  const s = msf.streams[stream];
  const longest = needles[0]?.from.length ?? 0;
  let first: { at: number; needle: Needle } | undefined;
  for (let pos = 0; pos < s.size; pos += SEARCH_PIECE) {
    const len = Math.min(SEARCH_PIECE + longest, s.size - pos);
    const piece = await readStream(reader, msf, stream, pos, len, streamLabel(stream));
    const hits = findAll(piece, needles);
    if (hits.length > 0 && !first) first = { at: pos + hits[0].at, needle: hits[0].needle };
    if (!seen) {
      if (first) return first;
      continue;
    }
    stringsAround(piece, hits, seen.strings, MAX_CANDIDATE);
    for (const h of hits) seen.found.add(keyOf(h.needle));
  }
  return first;
}

/** Replace every needle in [start, end) of a stream being edited; `field` names what each is. */
function replaceIn(e: Edited, start: number, end: number, needles: readonly Needle[], field: (n: Needle) => string): void {
  for (const h of findAll(e.now.subarray(start, end), needles)) e.write(start + h.at, h.needle.to, field(h.needle));
}

/**
 * A PDB string table (/names, the DBI EC names) at `base`: its hash buckets rebuilt for
 * the strings they held, with linear probing from hash % NumBuckets (HashVersion 1:
 * hashStringV1, 2: hashStringV2), as LLVM's reader probes, filled in the order lld fills
 * them (PDBStringTableBuilder::writeHashTable walks its StringMap). The bucket count and
 * the NameCount stay.
 */
function rebuildStringTable(msf: Msf, e: Edited, base: number, end: number, what: string): void {
  const b = e.now;
  const bad = (at: number, text: string): never => fail(msf, e.index, at, `${what}: ${text}`);
  if (base + 12 > end) bad(base, 'its header is cut off');
  if (u32(b, base) !== STRING_TABLE_SIGNATURE) bad(base, `Signature ${hex(u32(b, base))} is not 0xeffeeffe`);
  const version = u32(b, base + 4);
  if (version !== 1 && version !== 2) bad(base + 4, `HashVersion ${version} is neither 1 nor 2`);
  const byteSize = u32(b, base + 8);
  const strings0 = base + 12;
  const countAt = strings0 + byteSize;
  if (countAt + 4 > end) bad(base + 8, `ByteSize ${byteSize} runs past the table`);
  const numBuckets = u32(b, countAt);
  const bucketsAt = countAt + 4;
  if (numBuckets === 0 || bucketsAt + numBuckets * 4 > end) bad(countAt, `NumBuckets ${numBuckets} does not fit the table`);
  const offsets = new Set<number>();
  for (let i = 0; i < numBuckets; i++) {
    const o = u32(b, bucketsAt + i * 4);
    if (o === 0) continue;
    if (o >= byteSize) bad(bucketsAt + i * 4, `bucket ${i} holds string offset ${o}, past the ${byteSize}-byte string buffer`);
    offsets.add(o);
  }
  const hash = version === 1 ? hashStringV1 : hashStringV2;
  const buckets = new Uint32Array(numBuckets);
  // The strings were inserted in offset order; lld fills the buckets in its StringMap's order.
  const sorted = [...offsets].sort((x, y) => x - y);
  const strings = sorted.map((o) => {
    const nul = b.indexOf(0, strings0 + o);
    if (nul < 0 || nul >= countAt) bad(strings0 + o, `the string at offset ${o} has no NUL inside the buffer`);
    return b.subarray(strings0 + o, nul);
  });
  for (const k of stringMapOrder(strings)) {
    const start = hash(strings[k]) % numBuckets;
    let slot = start;
    while (buckets[slot] !== 0) slot = (slot + 1) % numBuckets;
    buckets[slot] = sorted[k];
  }
  const out = Buffer.alloc(numBuckets * 4);
  buckets.forEach((o, i) => out.writeUInt32LE(o, i * 4));
  e.write(bucketsAt, out, `${what} hash buckets`);
}

/** The hash value of every changed type record, in the TPI/IPI hash stream. */
function rehashTypes(msf: Msf, e: Edited, t: Tpi, hashes: () => Edited): void {
  const name = e.index === S.STREAM_TPI ? 'TPI' : 'IPI';
  const count = t.end - t.begin;
  const changed: { k: number; at: number; size: number }[] = [];
  let at = t.headerSize;
  for (let k = 0; k < count; k++) {
    if (at + 4 > t.headerSize + t.recordBytes) fail(msf, e.index, at, `type record ${hex(t.begin + k)} is cut off`);
    const size = u16(e.old, at) + 2;
    if (size < 4 || at + size > t.headerSize + t.recordBytes) fail(msf, e.index, at, `type record ${hex(t.begin + k)} has RecordLen ${size - 2}, past TypeRecordBytes`);
    if (e.changed(at, at + size)) changed.push({ k, at, size });
    at += size;
  }
  if (changed.length === 0) return;
  if (t.hashStream === NIL) return; // no hash stream: nothing hashes the records
  if (t.hashKeySize !== 4 || t.numHashBuckets === 0) fail(msf, e.index, 24, `${name} HashKeySize ${t.hashKeySize} / NumHashBuckets ${t.numHashBuckets} are not what unstamp rebuilds`);
  if (t.hashAdj.length > 0) fail(msf, e.index, 52, `${name} has hash adjusters (${t.hashAdj.length} bytes), which unstamp does not rebuild`);
  const h = hashes();
  if (t.hashValues.at < 0 || t.hashValues.length !== count * 4 || t.hashValues.at + t.hashValues.length > h.old.length) {
    fail(msf, e.index, 32, `the ${name} hash value buffer (offset ${t.hashValues.at}, ${t.hashValues.length} bytes) does not hold one value for each of its ${count} records`);
  }
  for (const c of changed) {
    const field = t.hashValues.at + c.k * 4;
    const was = hashTypeRecord(e.old.subarray(c.at, c.at + c.size));
    const now = hashTypeRecord(e.now.subarray(c.at, c.at + c.size));
    if (was === undefined || now === undefined) fail(msf, e.index, c.at, `type record ${hex(t.begin + c.k)} cannot be hashed (a numeric leaf or name unstamp cannot read)`);
    const stored = u32(h.old, field);
    if (was % t.numHashBuckets !== stored) {
      fail(msf, h.index, field, `the hash value of ${name} record ${hex(t.begin + c.k)} is ${stored}, not the ${was % t.numHashBuckets} LLVM's hashTypeRecord gives, so unstamp cannot tell how to update it`);
    }
    const v = Buffer.alloc(4);
    v.writeUInt32LE(now % t.numHashBuckets, 0);
    h.write(field, v, `${name} hash value of record ${hex(t.begin + c.k)}`);
  }
}

/** The name of a global symbol record as GSIStreamBuilder hashes it (getSymbolName), or undefined. */
export function globalName(b: Buffer, at: number, size: number): Buffer | undefined {
  const kind = u16(b, at + 2);
  let nameAt: number;
  switch (kind) {
    case 0x1125: // S_PROCREF
    case 0x1126: // S_DATAREF
    case 0x1127: // S_LPROCREF
    case 0x1128: // S_ANNOTATIONREF
    case 0x110c: // S_LDATA32
    case 0x110d: // S_GDATA32
    case 0x1112: // S_LTHREAD32
    case 0x1113: // S_GTHREAD32
    case S_PUB32:
      nameAt = at + 14;
      break;
    case 0x1108: // S_UDT
      nameAt = at + 8;
      break;
    case 0x1107: {
      // S_CONSTANT: type, then a numeric leaf
      const n = numericLeafSize(b, at + 8);
      if (n === undefined) return undefined;
      nameAt = at + 8 + n;
      break;
    }
    default:
      return undefined;
  }
  const nul = b.indexOf(0, nameAt);
  return nul < 0 || nul >= at + size ? undefined : b.subarray(nameAt, nul);
}

/** Hash records of a GSI hash at `at` (after its GSIHashHeader): the record offsets they point at. */
function gsiOffsets(msf: Msf, e: Edited, at: number, what: string): { offsets: number[]; hrSize: number; numBuckets: number } {
  const b = e.old;
  if (at + GSI_HEADER_SIZE > b.length || u32(b, at) !== GSI_SIGNATURE) fail(msf, e.index, at, `${what}: no GSI hash header (VerSignature -1)`);
  const hrSize = u32(b, at + 8);
  const numBuckets = u32(b, at + 12);
  if (hrSize % 8 !== 0 || numBuckets < BITMAP_BYTES || at + GSI_HEADER_SIZE + hrSize + numBuckets > b.length) {
    fail(msf, e.index, at + 8, `${what}: HrSize ${hrSize} and NumBuckets ${numBuckets} do not fit the stream (${b.length} bytes) as lld writes them`);
  }
  const offsets: number[] = [];
  for (let i = 0; i < hrSize / 8; i++) offsets.push(u32(b, at + GSI_HEADER_SIZE + i * 8) - 1);
  return { offsets, hrSize, numBuckets };
}

/** The record at `off` of the symbol record stream: its size, checked. */
function recordAt(msf: Msf, sym: Edited, off: number, what: string): number {
  if (off < 0 || off + 4 > sym.old.length) fail(msf, sym.index, Math.max(0, Math.min(off, sym.old.length - 1)), `${what} points at record offset ${off}, outside the symbol record stream`);
  const size = u16(sym.old, off) + 2;
  if (off + size > sym.old.length) fail(msf, sym.index, off, `${what}: the record runs past the stream`);
  return size;
}

/** Write a rebuilt GSI hash over the old one, checking that it keeps its size. */
function writeGsi(msf: Msf, e: Edited, at: number, hrSize: number, numBuckets: number, entries: readonly GsiEntry[], what: string): void {
  const h = buildGsiHash(entries);
  if (h.records.length !== hrSize || h.bitmap.length + h.buckets.length !== numBuckets) {
    fail(msf, e.index, at + 12, `${what}: with the renamed symbols the table needs ${h.buckets.length / 4} non-empty buckets, not ${(numBuckets - BITMAP_BYTES) / 4}, and cannot be rebuilt in place`);
  }
  const base = at + GSI_HEADER_SIZE;
  e.write(base, h.records, `${what} records`);
  e.write(base + hrSize, h.bitmap, `${what} bucket bitmap`);
  e.write(base + hrSize + BITMAP_BYTES, h.buckets, `${what} bucket offsets`);
}

/** Whether `a` equals bytes [at, at+a.length) of `b`. */
const sameAt = (a: Buffer, b: Buffer, at: number) => at + a.length <= b.length && a.equals(b.subarray(at, at + a.length));

/** The globals hash table, rebuilt when a global's name changed. */
function rebuildGlobals(msf: Msf, sym: Edited, g: Edited): void {
  const what = 'globals hash';
  const { offsets, hrSize, numBuckets } = gsiOffsets(msf, g, 0, what);
  const sorted = [...offsets].sort((a, b) => a - b);
  const entries = (buf: Buffer) =>
    sorted.map((off) => {
      const size = recordAt(msf, sym, off, what);
      const name = globalName(buf, off, size);
      if (!name) fail(msf, sym.index, off, `${what}: the global record of kind ${hex(u16(buf, off + 2))} has a name unstamp cannot read`);
      return { name: Buffer.from(name), symOffset: off };
    });
  const before = entries(sym.old);
  const after = entries(sym.now);
  if (before.every((x, i) => x.name.equals(after[i].name))) return;
  const old = buildGsiHash(before);
  if (!sameAt(Buffer.concat([old.records, old.bitmap, old.buckets]), g.old, GSI_HEADER_SIZE)) {
    fail(msf, g.index, GSI_HEADER_SIZE, `${what}: the table is not the one lld builds from these names, so unstamp cannot rebuild it the same way`);
  }
  writeGsi(msf, g, 0, hrSize, numBuckets, after, what);
}

/**
 * The publics, when a public's name changed: their records sorted by name again at the
 * front of the symbol record stream, the hash table and the address map rebuilt.
 */
function rebuildPublics(msf: Msf, sym: Edited, p: Edited): void {
  const what = 'publics hash';
  if (p.old.length < PUBLICS_HEADER_SIZE) fail(msf, p.index, 0, `${what}: the stream is shorter than its header`);
  const symHash = u32(p.old, 0);
  const addrMapBytes = u32(p.old, 4);
  const { offsets, hrSize, numBuckets } = gsiOffsets(msf, p, PUBLICS_HEADER_SIZE, what);
  const n = hrSize / 8;
  const mapAt = PUBLICS_HEADER_SIZE + symHash;
  if (symHash !== GSI_HEADER_SIZE + hrSize + numBuckets || addrMapBytes !== n * 4 || mapAt + addrMapBytes > p.old.length) {
    fail(msf, p.index, 0, `${what}: SymHash ${symHash} and AddrMap ${addrMapBytes} are not laid out as lld writes them`);
  }
  const entries = (buf: Buffer, offs: readonly number[]): (PublicEntry & { size: number })[] =>
    offs.map((off) => {
      const size = recordAt(msf, sym, off, what);
      if (u16(buf, off + 2) !== S_PUB32 || size < 15) fail(msf, sym.index, off, `${what} points at a record of kind ${hex(u16(buf, off + 2))}, not S_PUB32`);
      const name = globalName(buf, off, size);
      if (!name) fail(msf, sym.index, off, `${what}: S_PUB32 without a NUL-terminated name`);
      // A copy: the record may move when the publics are laid out again.
      return { name: Buffer.from(name), symOffset: off, segment: u16(buf, off + 12), offset: u32(buf, off + 8), size };
    });
  const before = entries(sym.old, offsets).sort(byName);
  const after = entries(sym.now, offsets);
  if (before.every((x) => after.some((y) => y.symOffset === x.symOffset && y.name.equals(x.name)))) return;
  // lld writes the publics first, sorted by name, one after the other.
  let end = 0;
  for (const x of before) {
    if (x.symOffset !== end) fail(msf, sym.index, x.symOffset, `${what}: the public records are not laid out from offset 0 in name order, as lld writes them`);
    end += x.size;
  }
  const oldHash = buildGsiHash(before);
  if (!sameAt(Buffer.concat([oldHash.records, oldHash.bitmap, oldHash.buckets]), p.old, PUBLICS_HEADER_SIZE + GSI_HEADER_SIZE) || !sameAt(addrMap(before), p.old, mapAt)) {
    fail(msf, p.index, PUBLICS_HEADER_SIZE + GSI_HEADER_SIZE, `${what}: the table is not the one lld builds from these names, so unstamp cannot rebuild it the same way`);
  }
  // The renamed records in name order again: each record moves whole, the offsets follow.
  after.sort(byName);
  const records: Buffer[] = [];
  let at = 0;
  let moved = false;
  for (const x of after) {
    records.push(Buffer.from(sym.now.subarray(x.symOffset, x.symOffset + x.size)));
    if (x.symOffset !== at) moved = true;
    x.symOffset = at;
    at += x.size;
  }
  if (moved) sym.write(0, Buffer.concat(records), 'public symbol records (sorted by name again)');
  writeGsi(msf, p, PUBLICS_HEADER_SIZE, hrSize, numBuckets, after, what);
  p.write(mapAt, addrMap(after), `${what} address map`);
}

/**
 * The DBI file info substream (NumModules, NumSourceFiles, ModIndices, ModFileCounts,
 * FileNameOffsets, NamesBuffer): lld lays the names out in the order of its StringMap,
 * which follows the hash of each name, so two builds in different folders order them
 * differently. When a name changed, the buffer is laid out again in the order lld's
 * StringMap gives the new names, and the offsets follow.
 */
function rebuildFileInfo(msf: Msf, dbi: Edited, d: Dbi): void {
  const { at, size } = d.fileInfo;
  const end = at + size;
  if (size === 0 || !dbi.changed(at, end)) return;
  const b = dbi.now;
  const bad = (where: number, text: string): never => fail(msf, dbi.index, where, `DBI file info: ${text}`);
  if (at + 4 > end) bad(at, 'the substream is cut off');
  const modules = u16(b, at);
  const countsAt = at + 4 + modules * 2;
  const offsetsAt = countsAt + modules * 2;
  if (offsetsAt > end) bad(at, `NumModules ${modules} runs past the substream`);
  let files = 0;
  for (let m = 0; m < modules; m++) files += u16(b, countsAt + m * 2);
  const namesAt = offsetsAt + files * 4;
  if (namesAt > end) bad(countsAt, `${files} file name offsets run past the substream`);
  const nameAt = (o: number): Buffer => {
    const nul = b.indexOf(0, namesAt + o);
    if (namesAt + o >= end || nul < 0 || nul >= end) bad(offsetsAt, `a file name offset (${o}) points past the names buffer`);
    return b.subarray(namesAt + o, nul);
  };
  const refs: number[] = [];
  for (let f = 0; f < files; f++) refs.push(u32(b, offsetsAt + f * 4));
  // The names as they are: each distinct offset once, and they must tile the buffer from its start.
  const distinct = [...new Set(refs)].sort((x, y) => x - y);
  let used = 0;
  for (const o of distinct) {
    if (o !== used) bad(namesAt + o, 'the names buffer is not one NUL-terminated name after another, each referenced, as lld writes it');
    used += nameAt(o).length + 1;
  }
  // Distinct names in first-use order (lld inserts them module by module), laid out in
  // the order lld's StringMap iterates them.
  const names: Buffer[] = [];
  const index = new Map<string, number>();
  const which = refs.map((o) => {
    const name = nameAt(o);
    const key = name.toString('latin1');
    let k = index.get(key);
    if (k === undefined) {
      k = names.length;
      index.set(key, k);
      names.push(name);
    }
    return k;
  });
  const placed = new Array<number>(names.length);
  const parts: Buffer[] = [];
  let next = 0;
  for (const k of stringMapOrder(names)) {
    placed[k] = next;
    parts.push(Buffer.from(names[k]), Buffer.alloc(1));
    next += names[k].length + 1;
  }
  const offsets = Buffer.alloc(files * 4);
  which.forEach((k, f) => offsets.writeUInt32LE(placed[k], f * 4));
  if (next !== used) bad(namesAt, `with the paths remapped two file names become one; the names buffer would shrink from ${used} to ${next} bytes`);
  dbi.write(offsetsAt, offsets, 'DBI file info FileNameOffsets');
  dbi.write(namesAt, Buffer.concat(parts), 'path in DBI file info names (in lld\'s StringMap order)');
}

/**
 * The DataCrc of each section contribution whose bytes the remap changed. lld writes
 * JamCRC(0) of the object section's bytes (before relocation), or 0 for what the linker
 * makes itself. JamCRC(0) is linear in its input (for one length), and paths never overlap
 * relocations, so the new CRC is the old one XOR the CRCs of the executable's bytes before
 * and after the remap: the relocated bytes cancel out. A DataCrc of 0 is kept.
 */
function contributionCrcs(msf: Msf, dbi: Edited, d: Dbi, rev: Reverse, section: SectionBytes, literals: readonly Literal[]): void {
  const entries: { at: number; what: string }[] = d.modules.map((m) => ({ at: m.at + 4, what: `module ${m.name} section contribution DataCrc` }));
  for (let at = d.sc.at + 4; at + d.sc.entry <= d.sc.at + d.sc.size; at += d.sc.entry) entries.push({ at, what: `section contribution ${(at - d.sc.at - 4) / d.sc.entry} DataCrc` });
  for (const { at, what } of entries) {
    const b = dbi.old;
    const crc = u32(b, at + 20);
    const data = section(u16(b, at));
    const size = b.readInt32LE(at + 8);
    if (crc === 0 || !data || size <= 0) continue;
    const now = sectionSlice(data, u32(b, at + 4), size);
    if (!now) continue;
    // A literal's own section: its bytes before the remap are known from its name.
    const literal = literals.find((l) => l.segment === u16(b, at) && l.offset === u32(b, at + 4) && l.now.length === size);
    const was = literal ? literal.was : unmapped(now, rev);
    if (!was) fail(msf, dbi.index, at + 20, `${what}: ${AMBIGUOUS}`);
    if (was === now) continue;
    const v = Buffer.alloc(4);
    v.writeUInt32LE((crc ^ jamCrc0(was) ^ jamCrc0(now)) >>> 0, 0);
    dbi.write(at + 20, v, what);
  }
}

/** Render patched bytes for reports: paths as text, everything else (hashes, offsets, CRCs) in hex. */
function render(b: Buffer, text: boolean): string {
  if (text) return JSON.stringify(b.toString(b.length > 1 && b[1] === 0 ? 'utf16le' : 'utf8'));
  return b.length > 24 ? `${b.subarray(0, 24).toString('hex')}... (${b.length} bytes)` : b.toString('hex');
}

/** Written spans at most this long are patched whole (a path: the whole folder in reports), longer ones only where bytes differ. */
const WHOLE_SPAN = 256;

/** The changed bytes of an edited stream as patches, one per run of nearby differences and block. */
function emit(ctx: PlanContext, msf: Msf, e: Edited): number {
  const n = e.old.length;
  const want = new Uint8Array(n);
  for (let i = 0; i < n; i++) if (e.old[i] !== e.now[i]) want[i] = 1;
  for (const f of e.fields) if (f.end - f.start <= WHOLE_SPAN && e.changed(f.start, f.end)) want.fill(1, f.start, f.end);
  let patches = 0;
  for (let i = 0; i < n; ) {
    if (!want[i]) {
      i++;
      continue;
    }
    let end = i + 1;
    for (let j = end; j < n && j < end + PATCH_GAP; j++) if (want[j]) end = j + 1;
    const name = e.fieldAt(i);
    const field = `${name} (stream ${e.index})`;
    const text = /^(path|string literal|anonymous)/.test(name);
    const oldBytes = e.old.subarray(i, end);
    const newBytes = e.now.subarray(i, end);
    const ranges = streamRanges(msf, e.index, i, end - i);
    for (const [k, r] of ranges.entries()) {
      const block = Math.floor(r.fileOffset / msf.blockSize);
      if (block === msf.blockMapAddr || msf.directoryBlocks.includes(block)) {
        fail(msf, e.index, r.streamOffset, `the stream shares block ${block} with ${blockOwner(msf, block)}`);
      }
      const from = r.streamOffset - i;
      ctx.patch({
        offset: r.fileOffset,
        bytes: newBytes.subarray(from, from + r.length),
        oldBytes: oldBytes.subarray(from, from + r.length),
        field: ranges.length === 1 ? field : `${field} (part ${k + 1} of ${ranges.length})`,
        old: render(oldBytes, text),
        new: render(newBytes, text),
      });
      patches++;
    }
    i = end;
  }
  return patches;
}

/**
 * Remap the paths of a PDB in place. Returns the number of streams changed. Throws a
 * FormatError (the PDB and its executable left untouched) when a path lies where it
 * cannot be remapped, or a table that hashes it cannot be rebuilt in place.
 */
export async function remapPdb(ctx: PlanContext, msf: Msf): Promise<number> {
  const { reader } = ctx;
  const paths = needlesOf(ctx.options.remap, true);
  if (paths.length === 0) return 0;
  const layout = await readLayout(reader, msf);
  const edits = new Map<number, Edited>();
  const edit = async (i: number): Promise<Edited> => {
    let e = edits.get(i);
    if (!e) {
      const label = layout.roles.get(i)?.label ?? `stream ${i}`;
      e = new Edited(i, await load(reader, msf, i, streamLabel(i)), label);
      edits.set(i, e);
    }
    return e;
  };
  const live = (i: number | undefined) => i !== undefined && i !== NIL && i < msf.streams.length && !msf.streams[i].nil && msf.streams[i].size > 0;

  // Which paths the PDB holds, and the strings that hold them (for anonymous namespace names).
  const strings = new Set<string>();
  const found = new Set<string>();
  for (const s of msf.streams) if (!s.nil && s.size > 0) await firstHit(reader, msf, s.index, paths, { strings, found });
  const rev = reverseOf(ctx.options.remap ?? [], found);

  // String literal symbols spell their bytes (escaped) and a CRC of them: renamed, they are
  // looked for like the paths, in every stream.
  const symStream = layout.dbi?.symRecords;
  let literals: Literal[] = [];
  const section: SectionBytes = (segment) => ctx.linked(`section:${segment}`);
  if (live(symStream)) literals = literalRenames(msf, symStream!, (await edit(symStream!)).old, paths, rev, section);
  const anon = anonymousNamespaces(strings, paths);
  const renamed = literals.map((l) => ({ from: l.oldName, to: l.newName, wide: false }));
  const needles = [...paths, ...renamed, ...anon.renames].sort((a, b) => b.from.length - a.from.length);
  const kinds = new Map<Needle, string>([...renamed.map((n) => [n, 'string literal symbol name'] as const), ...anon.renames.map((n) => [n, 'anonymous namespace name (a hash of the source path)'] as const)]);

  const hit = new Set<number>();
  for (const s of msf.streams) {
    if (s.nil || s.size === 0) continue;
    const e = edits.get(s.index);
    const first = e ? findAll(e.old, needles)[0] : await firstHit(reader, msf, s.index, needles);
    const misfit = anon.misfits.length > 0 ? (e ? findAll(e.old, anon.misfits)[0] : await firstHit(reader, msf, s.index, anon.misfits)) : undefined;
    if (misfit) {
      fail(msf, s.index, misfit.at, `the anonymous namespace name ${misfit.needle.from.toString('latin1')} is a hash of a source file's path, and with the path remapped its hash has another number of digits, which cannot be written in place`);
    }
    if (!first) continue;
    const role = layout.roles.get(s.index);
    if (!role || role.kind === 'fixed' || role.kind === 'info') {
      fail(msf, s.index, first.at, `holds ${shown(first.needle.from, first.needle.wide)}, but ${role?.why ?? 'no known structure of the PDB uses this stream, so unstamp cannot tell what hashes it'}`);
    }
    hit.add(s.index);
  }
  for (const i of hit) {
    const role = layout.roles.get(i)!;
    const e = await edit(i);
    const field = (n: Needle) => `${kinds.get(n) ?? 'path'} in ${role.label}`;
    const t = role.kind === 'tpi' ? layout.tpi : role.kind === 'ipi' ? layout.ipi : undefined;
    if (t) {
      // Only the records hold text: a hit in the header (or after the records) would be a number.
      const start = t.headerSize;
      const end = t.headerSize + t.recordBytes;
      const head = findAll(e.old.subarray(0, start), needles)[0];
      const tail = findAll(e.old.subarray(end), needles)[0];
      if (head || tail) fail(msf, i, head ? head.at : end + tail!.at, 'holds a path outside the type records');
      replaceIn(e, start, end, needles, field);
      continue;
    }
    replaceIn(e, 0, e.old.length, needles, field);
  }

  // What hashes the changed strings.
  for (const t of [layout.tpi, layout.ipi]) {
    const e = t && edits.get(t.stream);
    if (!t || !e || !e.changed()) continue;
    if (live(t.hashStream)) {
      const h = await edit(t.hashStream);
      rehashTypes(msf, e, t, () => h);
    } else if (t.hashStream !== NIL) fail(msf, t.stream, 20, `HashStreamIndex ${t.hashStream} names no stream`);
  }
  for (const [i, e] of edits) {
    if (layout.roles.get(i)?.kind !== 'names' || !e.changed()) continue;
    // Injected sources (lld /natvis): /src/headerblock finds its entries by /names offset,
    // which stays; but each file's stream is named after its lowercased path, in the info
    // stream's named stream map, whose hash table is not rebuilt.
    const lowered = (ctx.options.remap ?? []).flatMap((r) => [r.from, r.from.replace(/\//g, '\\')].map((f) => f.toLowerCase()));
    const injected = [...layout.named.keys()].find((name) => name.startsWith('/src/files/') && lowered.some((f) => name.includes(f)));
    if (injected !== undefined) {
      fail(msf, S.STREAM_PDB, 0, `the injected source stream ${JSON.stringify(injected)} is named after the lowercased path in the info stream's named stream map, whose hash table unstamp does not rebuild`);
    }
    rebuildStringTable(msf, e, 0, e.old.length, '/names');
  }
  const d = layout.dbi;
  if (d) {
    const dbi = edits.get(S.STREAM_DBI);
    if (dbi && d.ec.size > 0 && dbi.changed(d.ec.at, d.ec.at + d.ec.size)) rebuildStringTable(msf, dbi, d.ec.at, d.ec.at + d.ec.size, 'DBI EC names');
    if (dbi) rebuildFileInfo(msf, dbi, d);
    contributionCrcs(msf, await edit(S.STREAM_DBI), d, rev, section, literals);
    const sym = live(d.symRecords) ? edits.get(d.symRecords) : undefined;
    if (sym && sym.changed()) {
      if (live(d.globals)) rebuildGlobals(msf, sym, await edit(d.globals));
      if (live(d.publics)) rebuildPublics(msf, sym, await edit(d.publics));
    }
  }

  let streams = 0;
  for (const e of [...edits.values()].sort((a, b) => a.index - b.index)) {
    if (!e.changed()) continue;
    emit(ctx, msf, e);
    streams++;
  }
  return streams;
}
