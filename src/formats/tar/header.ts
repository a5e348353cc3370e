// Reading one 512-byte tar header: its numeric fields (octal or base-256), its checksum,
// and what kind of header it is. Shared by detection, the planner and `explain`.
import { startsWith } from '../../core/format.js';
import * as S from './spec.js';

export type Flavor = 'ustar' | 'gnu' | 'v7';

/** A numeric field as stored: octal digits between optional spaces and a terminator, or base-256. */
export interface NumberField {
  /** undefined: the field is blank (NULs or spaces only), which writers use for "not set". */
  value: bigint | undefined;
  base256: boolean;
  /** Octal: where the digits are inside the field and how many. */
  digitsAt: number;
  digits: number;
}

/**
 * Parse a numeric field as GNU tar's from_header does: leading spaces, octal digits, then
 * only spaces and NULs; or base-256 when the first byte is 0x80 (positive) or 0xff
 * (negative, two's complement). Returns undefined for anything else.
 */
export function parseNumber(h: Buffer, f: S.Field): NumberField | undefined {
  const first = h[f.offset];
  if (first === 0x80 || first === 0xff) {
    let v = BigInt(first & 0x7f) - (first === 0xff ? 0x80n : 0n);
    for (let i = 1; i < f.size; i++) v = (v << 8n) | BigInt(h[f.offset + i]);
    return { value: v, base256: true, digitsAt: 0, digits: 0 };
  }
  let i = 0;
  while (i < f.size && h[f.offset + i] === 0x20) i++;
  const at = i;
  while (i < f.size && h[f.offset + i] >= 0x30 && h[f.offset + i] <= 0x37) i++;
  const digits = i - at;
  for (; i < f.size; i++) if (h[f.offset + i] !== 0x20 && h[f.offset + i] !== 0) return undefined;
  // Blank: NULs or spaces only (checked above).
  if (digits === 0) {
    return { value: undefined, base256: false, digitsAt: at, digits: 0 };
  }
  return { value: BigInt(`0o${h.toString('latin1', f.offset + at, f.offset + at + digits)}`), base256: false, digitsAt: at, digits };
}

/**
 * The field with `value` written in the field's own encoding: octal in the same digits
 * (spaces and terminators kept) when it fits; else octal over the whole field with a NUL
 * terminator, as GNU tar writes it; else base-256 over the whole field, which GNU tar and
 * libarchive read. Undefined if it fits none.
 */
export function encodeNumber(h: Buffer, f: S.Field, old: NumberField, value: bigint): Buffer | undefined {
  const out = Buffer.from(h.subarray(f.offset, f.offset + f.size));
  const text = value >= 0n ? value.toString(8) : '';
  if (value >= 0n && !old.base256 && old.digits > 0 && text.length <= old.digits) {
    out.write(text.padStart(old.digits, '0'), old.digitsAt, 'latin1');
    return out;
  }
  if (value >= 0n && text.length <= f.size - 1) {
    out.fill(0);
    out.write(text.padStart(f.size - 1, '0'), 0, 'latin1');
    return out;
  }
  const bits = BigInt((f.size - 1) * 8 + 7);
  if (value >= 1n << bits || value < -(1n << bits)) return undefined;
  let v = BigInt.asUintN(f.size * 8, value);
  for (let i = f.size - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  if (value >= 0n) out[0] |= 0x80;
  return out;
}

/** The header sum with the checksum field counted as eight spaces: unsigned, and signed as some old tars computed it. */
export function headerSums(h: Buffer): { unsigned: number; signed: number } {
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < S.BLOCK; i++) {
    const b = i >= S.chksum.offset && i < S.chksum.offset + S.chksum.size ? 0x20 : h[i];
    unsigned += b;
    signed += b > 127 ? b - 256 : b;
  }
  return { unsigned, signed };
}

/** The checksum field as tar writes it: six octal digits, NUL, space. */
export function encodeChksum(sum: number): Buffer {
  return Buffer.from(`${sum.toString(8).padStart(S.CHKSUM_DIGITS, '0')}\0 `, 'latin1');
}

const USTAR_MAGIC_VERSION = S.USTAR_MAGIC + S.USTAR_VERSION;

export function flavorOf(h: Buffer): Flavor | undefined {
  if (startsWith(h, S.GNU_MAGIC, S.magic.offset)) return 'gnu';
  if (startsWith(h, USTAR_MAGIC_VERSION, S.magic.offset)) return 'ustar';
  // v7: nothing after linkname; the magic field is NULs.
  const end = Math.min(h.length, S.magic.offset + 8);
  for (let i = S.magic.offset; i < end; i++) if (h[i] !== 0) return undefined;
  return 'v7';
}

export function isZeroBlock(h: Buffer): boolean {
  for (let i = 0; i < h.length; i++) if (h[i] !== 0) return false;
  return true;
}

/** The stored checksum, or undefined if the field is not an octal number. */
export function storedChksum(h: Buffer): number | undefined {
  const n = parseNumber(h, S.chksum);
  return n?.value !== undefined && !n.base256 ? Number(n.value) : undefined;
}

/**
 * Whether a block is a tar header this format claims as the first of a file: a known
 * magic or, for v7 (no magic at all), a non-empty name and octal mode/uid/gid/size/mtime;
 * in every case a checksum that matches.
 */
export function looksLikeHeader(h: Buffer): boolean {
  if (h.length < S.BLOCK) return false;
  const flavor = flavorOf(h);
  if (!flavor) return false;
  // v7 has no magic: the cheap tests of its name and type come before the checksum, so
  // most blocks that are no header (any member with NULs at 257) stop there.
  if (flavor === 'v7') {
    if (h[0] === 0) return false;
    // v7 knew regular files, hard links and (some) symlinks; GNU tar's v7 mode writes the same.
    const type = h[S.typeflag.offset];
    if (type !== AREGTYPE && (type < ZERO || type > SEVEN)) return false;
  }
  const stored = storedChksum(h);
  if (stored === undefined) return false;
  const sums = headerSums(h);
  if (stored !== sums.unsigned && stored !== sums.signed) return false;
  if (flavor !== 'v7') return true;
  for (const f of [S.mode, S.uid, S.gid, S.size, S.mtime]) {
    const n = parseNumber(h, f);
    if (!n || n.value === undefined || n.base256) return false;
  }
  return true;
}

const AREGTYPE = S.AREGTYPE.charCodeAt(0);
const ZERO = 0x30;
const SEVEN = 0x37;

/** A NUL-terminated string field. */
export function cString(h: Buffer, f: S.Field): string {
  const raw = h.subarray(f.offset, f.offset + f.size);
  const end = raw.indexOf(0);
  return raw.toString('latin1', 0, end < 0 ? raw.length : end);
}

/** The entry's path from the header alone: ustar joins prefix and name. */
export function headerPath(h: Buffer, flavor: Flavor): string {
  const n = cString(h, S.name);
  if (flavor !== 'ustar') return n;
  const p = cString(h, S.prefix);
  return p ? `${p}/${n}` : n;
}
