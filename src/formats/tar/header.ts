// Reading one 512-byte tar header: its numeric fields (octal or base-256), its checksum,
// and what kind of header it is. Shared by detection, the planner and `explain`.
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
  // A digit run cut short by a NUL and followed by more digits is not a number.
  if (digits === 0) {
    // Blank: NULs or spaces only (checked above), possibly after leading spaces.
    return { value: undefined, base256: false, digitsAt: at, digits: 0 };
  }
  return { value: BigInt(`0o${h.toString('latin1', f.offset + at, f.offset + at + digits)}`), base256: false, digitsAt: at, digits };
}

/**
 * The field with `value` written in the field's own encoding: octal in the same digits
 * (spaces and terminators kept) when it fits, else base-256 over the whole field, which
 * GNU tar and libarchive read. Undefined if it fits neither.
 */
export function encodeNumber(h: Buffer, f: S.Field, old: NumberField, value: bigint): Buffer | undefined {
  const out = Buffer.from(h.subarray(f.offset, f.offset + f.size));
  if (!old.base256 && old.digits > 0 && value >= 0n) {
    const text = value.toString(8);
    if (text.length <= old.digits) {
      out.write(text.padStart(old.digits, '0'), old.digitsAt, 'latin1');
      return out;
    }
  }
  if (old.base256 && value >= 0n) {
    // A base-256 field written back in octal when it fits: digits, then a NUL terminator.
    const text = value.toString(8);
    if (text.length <= f.size - 1) {
      out.fill(0);
      out.write(text.padStart(f.size - 1, '0'), 0, 'latin1');
      return out;
    }
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

export function flavorOf(h: Buffer): Flavor | undefined {
  const magic = h.toString('latin1', S.magic.offset, S.magic.offset + 8);
  if (magic === S.GNU_MAGIC) return 'gnu';
  if (magic === S.USTAR_MAGIC + S.USTAR_VERSION) return 'ustar';
  // v7: nothing after linkname; the magic field is NULs.
  if (h.subarray(S.magic.offset, S.magic.offset + 8).every((b) => b === 0)) return 'v7';
  return undefined;
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
  const stored = storedChksum(h);
  if (stored === undefined) return false;
  const sums = headerSums(h);
  if (stored !== sums.unsigned && stored !== sums.signed) return false;
  if (flavor !== 'v7') return true;
  if (h[0] === 0) return false;
  for (const f of [S.mode, S.uid, S.gid, S.size, S.mtime]) {
    const n = parseNumber(h, f);
    if (!n || n.value === undefined || n.base256) return false;
  }
  // v7 knew regular files, hard links and (some) symlinks; GNU tar's v7 mode writes the same.
  const type = h.toString('latin1', S.typeflag.offset, S.typeflag.offset + 1);
  return type === S.AREGTYPE || (type >= '0' && type <= '7');
}

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
