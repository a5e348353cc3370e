// Reading and writing cpio entry headers, for the planner and for `explain`.
import { FormatError, hex } from '../../core/errors.js';
import { startsWith } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

/** Which variant and, for the binary one, which byte order an archive uses. */
export interface Kind {
  layout: S.Layout;
  /** Binary headers: little-endian words (magic bytes c7 71). */
  le: boolean;
}

/** The variant whose magic starts `head`, or undefined. */
export function kindOf(head: Buffer): Kind | undefined {
  if (head.length >= 6) {
    const layout = S.ASCII_LAYOUTS.find((l) => startsWith(head, l.magic));
    if (layout) return { layout, le: false };
  }
  if (head.length >= 2) {
    if (head.readUInt16LE(0) === S.BIN_MAGIC) return { layout: S.BIN, le: true };
    if (head.readUInt16BE(0) === S.BIN_MAGIC) return { layout: S.BIN, le: false };
  }
  return undefined;
}

export function kindName(k: Kind): string {
  return k.layout.variant === 'bin' ? `${k.layout.title}, ${k.le ? 'little' : 'big'}-endian` : k.layout.title;
}

/** The largest value a field can hold. */
export function maxValue(k: Kind, f: S.Field): number {
  if (k.layout.encoding === 'hex') return 16 ** f.size - 1;
  if (k.layout.encoding === 'octal') return 8 ** f.size - 1;
  return 2 ** (8 * f.size) - 1;
}


/** A field's value, or undefined if its text is not a number in the variant's digits. */
export function readField(k: Kind, raw: Buffer, f: S.Field): number | undefined {
  if (k.layout.encoding === 'binary') {
    const word = (at: number) => (k.le ? raw.readUInt16LE(at) : raw.readUInt16BE(at));
    // Two-word fields: the most significant word first, in either byte order.
    return f.size === 2 ? word(f.offset) : word(f.offset) * 0x10000 + word(f.offset + 2);
  }
  // Digit by digit: no string per field (an archive of 100,000 entries has a million of them).
  const radix = k.layout.encoding === 'hex' ? 16 : 8;
  let v = 0;
  for (let i = f.offset; i < f.offset + f.size; i++) {
    const d = digit(raw[i]);
    if (d >= radix) return undefined;
    v = v * radix + d;
  }
  return f.size > 0 ? v : undefined;
}

/** The value of an ASCII hex digit (either case), 16 for anything else. */
function digit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return 16;
}

/** The field's bytes for `value`; `upper`: hex digits a-f as A-F (GNU cpio) or a-f (libarchive). */
export function encodeField(k: Kind, f: S.Field, value: number, upper: boolean): Buffer {
  if (value < 0 || value > maxValue(k, f)) throw new Error(`value ${value} does not fit the ${f.size}-byte ${f.name}`);
  if (k.layout.encoding === 'binary') {
    const b = Buffer.alloc(f.size);
    const words = f.size === 2 ? [value] : [Math.floor(value / 0x10000), value % 0x10000];
    words.forEach((w, i) => (k.le ? b.writeUInt16LE(w, i * 2) : b.writeUInt16BE(w, i * 2)));
    return b;
  }
  let text = value.toString(k.layout.encoding === 'hex' ? 16 : 8).padStart(f.size, '0');
  if (upper) text = text.toUpperCase();
  return Buffer.from(text, 'latin1');
}

export interface Header {
  kind: Kind;
  /** Relative to the reader. */
  offset: number;
  raw: Buffer;
  /** The name up to its NUL. */
  name: string;
  mode: number;
  nlink: number;
  namesize: number;
  filesize: number;
  /** Where the data starts and ends (the end before padding). */
  dataStart: number;
  dataEnd: number;
  /** Where the next header starts (after padding; may lie past the end of the archive). */
  next: number;
  /** Hex digits a-f are written upper case (GNU cpio) or lower case (libarchive). */
  upper: boolean;
}

/** What readHeader reads at once: any header, and most names. */
const HEADER_BLOCK = 512;

/** Where `n` rounds up to a multiple of `align`. */
export function pad(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}

/**
 * Whether hex digits go upper case: as the header's own fields that unstamp keeps
 * (c_mode, c_nlink, c_filesize, c_namesize, c_check) are written. Those describe the
 * content, so two builds of one tree with one tool agree; a header that shows no letter
 * gets GNU cpio's upper case.
 */
function upperCase(raw: Buffer, l: S.Layout): boolean {
  // Byte by byte: no text per header (an archive of 500,000 entries has as many headers).
  for (const x of [l.c_mode, l.c_nlink, l.c_filesize, l.c_namesize, l.c_check]) {
    if (!x) continue;
    for (let i = x.offset; i < x.offset + x.size; i++) if (raw[i] >= 0x61 && raw[i] <= 0x66) return false;
  }
  return true;
}

function numberField(r: RangeReader, k: Kind, raw: Buffer, at: number, f: S.Field): number {
  const v = readField(k, raw, f);
  if (v === undefined) {
    const text = raw.toString('latin1', f.offset, f.offset + f.size);
    const digits = k.layout.encoding === 'hex' ? 'hexadecimal' : 'octal';
    throw new FormatError(`cpio header at ${hex(at)}: ${f.name} ${JSON.stringify(text)} is not ${f.size} ${digits} digits`, r.base + at + f.offset);
  }
  return v;
}

/**
 * The entry header at `at`, checked: its magic (the archive's own, `expect`, once the
 * first header has set it), its numbers, and that its name and data lie inside the reader.
 */
export async function readHeader(r: RangeReader, at: number, expect: Kind | undefined): Promise<Header> {
  const left = r.size - at;
  // The header and (mostly) the name in one read; a longer name is read on its own.
  const block = await r.readUpTo(at, HEADER_BLOCK, 'cpio header magic');
  const probe = block.subarray(0, 6);
  const kind = kindOf(probe);
  if (!kind) {
    const shown = JSON.stringify(probe.toString('latin1'));
    const where = expect ? `, where the archive's next entry header should start` : '';
    throw new FormatError(`cpio header at ${hex(at)}: magic ${shown} is not a cpio magic (070701, 070702, 070707 or binary 070707)${where}`, r.base + at);
  }
  if (expect && (kind.layout !== expect.layout || kind.le !== expect.le)) {
    throw new FormatError(`cpio header at ${hex(at)}: ${kindName(kind)} magic in an archive that began as ${kindName(expect)}`, r.base + at);
  }
  const l = kind.layout;
  if (left < l.headerSize) {
    throw new FormatError(`cpio header at ${hex(at)} is truncated: ${left} bytes left, a ${l.variant} header takes ${l.headerSize}`, r.base + at);
  }
  // A copy of its own: the plan's fields point into it, and must not hold the whole block.
  const raw = Buffer.allocUnsafe(l.headerSize);
  block.copy(raw, 0, 0, l.headerSize);
  for (const f of l.fields) if (f.name !== 'c_magic') numberField(r, kind, raw, at, f);
  const mode = readField(kind, raw, l.c_mode)!;
  const nlink = readField(kind, raw, l.c_nlink)!;
  const namesize = readField(kind, raw, l.c_namesize)!;
  const filesize = readField(kind, raw, l.c_filesize)!;
  const nameStart = at + l.headerSize;
  if (namesize === 0) {
    throw new FormatError(`cpio header at ${hex(at)}: c_namesize is 0, but a name takes at least its terminating NUL`, r.base + at + l.c_namesize.offset);
  }
  if (namesize > r.size - nameStart) {
    throw new FormatError(
      `cpio header at ${hex(at)}: c_namesize ${namesize} runs past the end of the archive (${r.size - nameStart} bytes left after the header)`,
      r.base + at + l.c_namesize.offset,
    );
  }
  if (namesize > 4096 * 16) {
    throw new FormatError(`cpio header at ${hex(at)}: c_namesize ${namesize} is longer than any path (64 KiB)`, r.base + at + l.c_namesize.offset);
  }
  const inBlock = l.headerSize + namesize <= block.length;
  const nameBytes = inBlock ? block.subarray(l.headerSize, l.headerSize + namesize) : await r.read(nameStart, namesize, 'cpio entry name');
  if (nameBytes[namesize - 1] !== 0) {
    throw new FormatError(`cpio header at ${hex(at)}: the name (c_namesize ${namesize}) does not end with a NUL at ${hex(nameStart + namesize - 1)}`, r.base + nameStart + namesize - 1);
  }
  const nul = nameBytes.indexOf(0);
  const name = nameBytes.toString('utf8', 0, nul);
  const dataStart = pad(nameStart + namesize, l.align);
  const dataEnd = dataStart + filesize;
  if (dataEnd > r.size) {
    const room = Math.max(0, r.size - dataStart);
    throw new FormatError(
      `cpio entry ${JSON.stringify(name)} at ${hex(at)}: c_filesize ${filesize} runs past the end of the archive (${room} bytes left after the name)`,
      r.base + at + l.c_filesize.offset,
    );
  }
  return { kind, offset: at, raw, name, mode, nlink, namesize, filesize, dataStart, dataEnd, next: pad(dataEnd, l.align), upper: upperCase(raw, l) };
}
