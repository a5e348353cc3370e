// MSVC-style string literal symbols (cl, and clang for *-windows-msvc): a literal lives in
// a COMDAT section named by a symbol that spells it,
//   ??_C@_ <char-type> <length> <JamCRC> <first 32 characters, escaped> @
// (clang's MicrosoftMangle.cpp, mangleStringLiteral). When --remap-path changes the literal
// (a __FILE__ path), its symbol must be renamed too, or two builds keep different names
// and the linker no longer folds equal literals. The new name must keep the old one's
// length (it sits in the string table, and in an archive's symbol index).
import { crc32 } from 'node:zlib';
import { FormatError } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import { findAll, replaced, type Needle } from '../../core/remap.js';
import * as S from './spec.js';

const PREFIX = '??_C@_';

/** One literal symbol renamed: where its name is (offset of the reader) and the names. */
export interface Rename {
  offset: number;
  old: string;
  new: string;
}

/** <non-negative integer> of the MS mangling: 1..10 as one digit (n-1), else hex in A..P then '@'. */
export function mangleNumber(n: number): string {
  if (n >= 1 && n <= 10) return String(n - 1);
  let s = '';
  for (let v = n >>> 0; v > 0; v = Math.floor(v / 16)) s = String.fromCharCode(65 + (v % 16)) + s;
  return `${s}@`;
}

/** The number at `at` of `name` and where it ends, or undefined. */
function readNumber(name: string, at: number): { value: number; end: number } | undefined {
  const c = name[at];
  if (c >= '0' && c <= '9') return { value: Number(c) + 1, end: at + 1 };
  let v = 0;
  let i = at;
  for (; i < name.length && name[i] >= 'A' && name[i] <= 'P'; i++) v = v * 16 + (name.charCodeAt(i) - 65);
  if (name[i] !== '@' || i === at) return undefined;
  return { value: v >>> 0, end: i + 1 };
}

const SPECIAL = ',/\\:. \n\t\'-';

/**
 * The bytes a literal symbol name spells (mangleStringLiteral undone): all of the literal
 * when it has at most 32 characters, else its first 32. Undefined for a name that is not
 * a string literal's.
 */
export function literalOfName(name: string): { wide: boolean; length: number; bytes: Buffer; complete: boolean } | undefined {
  if (!name.startsWith(PREFIX) || !name.endsWith('@')) return undefined;
  const kind = name[PREFIX.length];
  if (kind !== '0' && kind !== '1') return undefined;
  const wide = kind === '1';
  const width = wide ? 2 : 1;
  const length = readNumber(name, PREFIX.length + 1);
  if (!length) return undefined;
  const crc = readNumber(name, length.end);
  if (!crc) return undefined;
  const spelled: number[] = [];
  for (let i = crc.end; i < name.length - 1; ) {
    const c = name[i];
    if (c !== '?') {
      if (!/[A-Za-z0-9_$]/.test(c)) return undefined;
      spelled.push(c.charCodeAt(0));
      i++;
      continue;
    }
    const d = name[i + 1];
    if (d !== undefined && d >= '0' && d <= '9') {
      spelled.push(SPECIAL.charCodeAt(Number(d)));
      i += 2;
    } else if (d === '$') {
      const hi = name.charCodeAt(i + 2) - 65;
      const lo = name.charCodeAt(i + 3) - 65;
      if (!(hi >= 0 && hi < 16 && lo >= 0 && lo < 16)) return undefined;
      spelled.push(hi * 16 + lo);
      i += 4;
    } else if (d !== undefined && /[A-Za-z]/.test(d)) {
      spelled.push(d.charCodeAt(0) | 0x80);
      i += 2;
    } else return undefined;
  }
  if (spelled.length % width !== 0) return undefined;
  // Wide characters are spelled big-endian.
  const bytes = Buffer.from(spelled.map((_, j) => spelled[wide ? (j & ~1) + (1 - (j & 1)) : j]));
  const chars = length.value / width - 1;
  if (chars === 32 && bytes.length === 32 * width) return { wide, length: length.value, bytes: Buffer.concat([bytes, Buffer.alloc(width)]), complete: true };
  return { wide, length: length.value, bytes, complete: bytes.length === length.value };
}

/** One byte of the literal as the mangling writes it. */
function mangleByte(b: number): string {
  const c = String.fromCharCode(b);
  if (/[A-Za-z0-9_$]/.test(c)) return c;
  const low = b & 0x7f;
  if (b >= 0x80 && /[A-Za-z]/.test(String.fromCharCode(low))) return `?${String.fromCharCode(low)}`;
  const special = SPECIAL.indexOf(c);
  if (b < 0x80 && special >= 0) return `?${special}`;
  return `?$${String.fromCharCode(65 + (b >> 4))}${String.fromCharCode(65 + (b & 15))}`;
}

/** The whole symbol name of literal `bytes` (its terminator included), of 1- or 2-byte characters. */
export function literalName(bytes: Buffer, wide: boolean): string {
  const width = wide ? 2 : 1;
  const crc = ~crc32(bytes) >>> 0;
  const chars = bytes.length / width - 1;
  const shown = Math.min(32, chars);
  let text = '';
  for (let i = 0; i < shown * width; i++) {
    // Wide characters are spelled big-endian, byte by byte.
    const b = wide ? bytes[(i & ~1) + (1 - (i & 1))] : bytes[i];
    text += mangleByte(b);
  }
  if (shown < 32) text += mangleByte(0).repeat(width);
  return `${PREFIX}${wide ? 1 : 0}${mangleNumber(bytes.length)}${mangleNumber(crc)}${text}@`;
}


/**
 * The literal symbols of a regular COFF object whose literal holds a needle: the new name
 * of each (with the remapped literal's CRC). A name that does not spell its literal the
 * way clang and cl do is left alone; one whose new name would be longer or shorter (the
 * CRC lost or gained a leading zero digit) makes the object refused.
 */
export async function literalRenames(r: RangeReader, needles8: readonly Needle[], needles16: readonly Needle[]): Promise<Rename[]> {
  const header = await r.read(0, S.IMAGE_SIZEOF_FILE_HEADER, 'IMAGE_FILE_HEADER');
  const nsects = header.readUInt16LE(S.FH_NumberOfSections);
  const pointer = header.readUInt32LE(S.FH_PointerToSymbolTable);
  const count = header.readUInt32LE(S.FH_NumberOfSymbols);
  if (pointer === 0 || count === 0) return [];
  const strtab = pointer + count * S.IMAGE_SIZEOF_SYMBOL;
  if (strtab + 4 > r.size) return [];
  const strsize = (await r.read(strtab, 4, 'string table size')).readUInt32LE(0);
  if (strsize <= 4 || strtab + strsize > r.size) return [];
  const symbols = await r.readChunked(pointer, count * S.IMAGE_SIZEOF_SYMBOL, 'symbol table');
  const strings = await r.readChunked(strtab, strsize, 'string table');
  const out: Rename[] = [];
  const seen = new Set<number>();
  for (let i = 0; i < count; i++) {
    const at = i * S.IMAGE_SIZEOF_SYMBOL;
    const aux = symbols[at + S.SYM_NumberOfAuxSymbols];
    const section = symbols.readInt16LE(at + S.SYM_SectionNumber);
    const long = symbols.readUInt32LE(at) === 0;
    const nameAt = long ? symbols.readUInt32LE(at + 4) : 0;
    i += aux;
    if (!long || section <= 0 || section > nsects || nameAt < 4 || nameAt >= strsize || seen.has(nameAt)) continue;
    const nul = strings.indexOf(0, nameAt);
    const name = strings.toString('latin1', nameAt, nul < 0 ? strsize : nul);
    if (!name.startsWith(PREFIX)) continue;
    const wide = name[PREFIX.length] === '1';
    if (!wide && name[PREFIX.length] !== '0') continue;
    const length = readNumber(name, PREFIX.length + 1);
    if (!length) continue;
    const sh = await r.read(S.IMAGE_SIZEOF_FILE_HEADER + (section - 1) * S.IMAGE_SIZEOF_SECTION_HEADER, S.IMAGE_SIZEOF_SECTION_HEADER, 'section header');
    const raw = sh.readUInt32LE(S.SH_PointerToRawData);
    const value = symbols.readUInt32LE(at + S.SYM_Value);
    if (raw === 0 || value + length.value > sh.readUInt32LE(S.SH_SizeOfRawData) || raw + value + length.value > r.size) continue;
    const literal = await r.readChunked(raw + value, length.value, 'string literal');
    // Only a name that is exactly what the compiler would make of these bytes is rewritten.
    if (literalName(literal, wide) !== name) continue;
    const hits = findAll(literal, wide ? needles16 : needles8);
    if (hits.length === 0) continue;
    const renamed = literalName(replaced(literal, hits), wide);
    if (renamed === name) continue;
    if (renamed.length !== name.length) {
      throw new FormatError(
        `symbol ${i - aux} ${name}: with the path remapped the literal's name becomes ${renamed}, of another length, which cannot be written in place`,
        r.base + strtab + nameAt,
      );
    }
    seen.add(nameAt);
    out.push({ offset: strtab + nameAt, old: name, new: renamed });
  }
  return out;
}

