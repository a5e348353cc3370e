// The hash functions PDB readers use to find names and records, as LLVM implements them
// (llvm/lib/DebugInfo/PDB/Native/Hash.cpp and TpiHashing.cpp, after microsoft-pdb's
// misc.h and crc32.h). --remap-path changes the strings they hash, so the tables built
// on them are computed again with exactly these functions.
import { jamCrc0 } from '../shared/jamcrc.js';

/** hashStringV1 (Hasher::lhashPbCb): XOR of the little-endian words, the tail, case folded. */
export function hashStringV1(s: Buffer): number {
  let result = 0;
  const longs = s.length >> 2;
  for (let i = 0; i < longs; i++) result ^= s.readUInt32LE(i * 4);
  let at = longs * 4;
  let rest = s.length & 3;
  if (rest >= 2) {
    result ^= s.readUInt16LE(at);
    at += 2;
    rest -= 2;
  }
  if (rest === 1) result ^= s[at];
  result |= 0x20202020;
  result ^= result >>> 11;
  return (result ^ (result >>> 16)) >>> 0;
}

/** hashStringV2 (HasherV2::HashULONG): the /names tables of HashVersion 2. */
export function hashStringV2(s: Buffer): number {
  let hash = 0xb170a1bf;
  const step = (v: number) => {
    hash = (hash + v) >>> 0;
    hash = (hash + (hash << 10)) >>> 0;
    hash = (hash ^ (hash >>> 6)) >>> 0;
  };
  const longs = s.length >> 2;
  for (let i = 0; i < longs; i++) step(s.readUInt32LE(i * 4));
  for (let i = longs * 4; i < s.length; i++) step(s[i]);
  return (Math.imul(hash, 1664525) + 1013904223) >>> 0;
}

export { jamCrc0 };

/** Type record kinds that TpiHashing.cpp hashes by name (TypeRecordKind values). */
const LF_CLASS = 0x1504;
const LF_STRUCTURE = 0x1505;
const LF_UNION = 0x1506;
const LF_ENUM = 0x1507;
const LF_ALIAS = 0x150a;
const LF_INTERFACE = 0x1519;
const LF_UDT_SRC_LINE = 0x1606;
const LF_UDT_MOD_SRC_LINE = 0x1607;

/** ClassOptions bits. */
const ForwardReference = 0x80;
const Scoped = 0x100;
const HasUniqueName = 0x200;

/** The size in bytes of a numeric leaf at `at` (LF_NUMERIC encodings), or undefined if unknown. */
export function numericLeafSize(b: Buffer, at: number): number | undefined {
  if (at + 2 > b.length) return undefined;
  const v = b.readUInt16LE(at);
  if (v < 0x8000) return 2;
  const sizes: Record<number, number> = { 0x8000: 1, 0x8001: 2, 0x8002: 2, 0x8003: 4, 0x8004: 4, 0x8009: 8, 0x800a: 8 };
  const n = sizes[v];
  return n === undefined ? undefined : 2 + n;
}

function cstrAt(b: Buffer, at: number): Buffer | undefined {
  const nul = b.indexOf(0, at);
  return nul < 0 ? undefined : b.subarray(at, nul);
}

const isAnonymous = (name: string) => name === '<unnamed-tag>' || name === '__unnamed' || name.endsWith('::<unnamed-tag>') || name.endsWith('::__unnamed');

/**
 * hashTypeRecord of a whole record (RecordLen, RecordKind, data): tag records by their
 * name or unique name (or the record bytes for forward references and anonymous tags),
 * aliases by name, UDT source lines by the UDT's index, everything else by JamCRC(0) of
 * the record. Undefined when a record cannot be read (a numeric leaf unknown here).
 */
export function hashTypeRecord(rec: Buffer): number | undefined {
  const kind = rec.readUInt16LE(2);
  let nameAt: number | undefined;
  let options = 0;
  switch (kind) {
    case LF_CLASS:
    case LF_STRUCTURE:
    case LF_INTERFACE: {
      options = rec.readUInt16LE(6);
      const size = numericLeafSize(rec, 20);
      if (size === undefined) return undefined;
      nameAt = 20 + size;
      break;
    }
    case LF_UNION: {
      options = rec.readUInt16LE(6);
      const size = numericLeafSize(rec, 12);
      if (size === undefined) return undefined;
      nameAt = 12 + size;
      break;
    }
    case LF_ENUM:
      options = rec.readUInt16LE(6);
      nameAt = 16;
      break;
    case LF_ALIAS: {
      const name = cstrAt(rec, 8);
      return name ? hashStringV1(name) : undefined;
    }
    case LF_UDT_SRC_LINE:
    case LF_UDT_MOD_SRC_LINE:
      return rec.length < 8 ? undefined : hashStringV1(rec.subarray(4, 8));
    default:
      return jamCrc0(rec);
  }
  const name = cstrAt(rec, nameAt);
  if (!name) return undefined;
  const forward = (options & ForwardReference) !== 0;
  const scoped = (options & Scoped) !== 0;
  const hasUnique = (options & HasUniqueName) !== 0;
  const anon = hasUnique && isAnonymous(name.toString('latin1'));
  if (!forward && !scoped && !anon) return hashStringV1(name);
  if (!forward && hasUnique && !anon) {
    const unique = cstrAt(rec, nameAt + name.length + 1);
    return unique ? hashStringV1(unique) : undefined;
  }
  return jamCrc0(rec);
}
