import { FormatError, hex } from '../../core/errors.js';
import { needlesOf, remapRange, remapWanted } from '../../core/remap.js';
import { classify } from '../coff/kind.js';
import { literalRenames } from '../coff/literals.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import * as S from './spec.js';
import { fieldNumber, fieldText } from './fields.js';

type Field = { offset: number; size: number };

type Kind = 'member' | 'symtab' | 'longnames';

interface Header {
  offset: number;
  raw: Buffer;
  /** The name as stored in ar_name, trailing spaces removed. */
  stored: string;
  /** Name for messages and field labels. */
  name: string;
  kind: Kind;
  size: number;
  /** Bytes of a BSD "#1/N" name at the start of the data. */
  nameLength: number;
}

/** A numeric field: undefined if blank (MSVC and the // table leave fields blank). */
function parseField(h: Buffer, base: number, at: number, f: Field, fieldName: string, radix: 8 | 10): number | undefined {
  const value = fieldNumber(h, f, radix);
  if (Number.isNaN(value)) {
    const text = h.toString('latin1', f.offset, f.offset + f.size);
    throw new FormatError(`member header at ${hex(at)}: ${fieldName} ${JSON.stringify(text)} is not ${radix === 8 ? 'an octal' : 'a decimal'} number`, base + at + f.offset);
  }
  return value;
}

function encodeField(value: number, f: Field, radix: 8 | 10): Buffer {
  const text = value.toString(radix);
  if (text.length > f.size) throw new Error(`value ${value} does not fit a ${f.size}-byte ar field`);
  return Buffer.from(text.padEnd(f.size, ' '), 'latin1');
}

/**
 * A field's encoded value, kept for the next field of the same value: the normal values
 * (uid 0, mode 644, the epoch) are encoded once per archive, not once per member. The
 * plan copies the bytes it keeps, so one Buffer serves every field.
 */
class Encoded {
  private value = -1;
  private bytes: Buffer | undefined;
  constructor(
    private readonly f: Field,
    private readonly radix: 8 | 10,
  ) {}
  of(value: number): Buffer {
    if (value !== this.value || !this.bytes) {
      this.bytes = encodeField(value, this.f, this.radix);
      this.value = value;
    }
    return this.bytes;
  }
}

/** The GNU "//" table; its bytes are kept once read, when small enough to hold. */
interface LongNames {
  offset: number;
  size: number;
  bytes?: Buffer;
}

const LONGNAMES_CACHE_MAX = 1 << 20;

/** Read the GNU "//" table entry at `index` for the member header at `at`. */
async function longName(ctx: PlanContext, table: LongNames | undefined, index: number, at: number): Promise<string> {
  if (!table) throw new FormatError(`member header at ${hex(at)}: name refers to long-name offset ${index} but the archive has no // table before it`, ctx.reader.base + at);
  if (index >= table.size) {
    throw new FormatError(`member header at ${hex(at)}: long-name offset ${index} is past the end of the // table (size ${table.size})`, ctx.reader.base + at);
  }
  if (!table.bytes && table.size <= LONGNAMES_CACHE_MAX) table.bytes = await ctx.reader.read(table.offset, table.size, '// table');
  const bytes = table.bytes
    ? table.bytes.subarray(index, index + 4096)
    : await ctx.reader.readUpTo(table.offset + index, Math.min(4096, table.size - index), 'long name');
  const end = bytes.indexOf(0x0a);
  const name = bytes.toString('latin1', 0, end < 0 ? bytes.length : end);
  return name.endsWith('/') ? name.slice(0, -1) : name;
}

const FMAG0 = S.ARFMAG.charCodeAt(0);
const FMAG1 = S.ARFMAG.charCodeAt(1);

async function readHeader(ctx: PlanContext, at: number, thin: boolean, longnames: LongNames | undefined): Promise<Header> {
  const left = ctx.reader.size - at;
  if (left < S.AR_HDR_SIZE) {
    throw new FormatError(`member header at ${hex(at)} is truncated: ${left} bytes left, a header takes ${S.AR_HDR_SIZE}`, ctx.reader.base + at);
  }
  const raw = ctx.reader.sync ? ctx.reader.readSync(at, S.AR_HDR_SIZE, 'member header') : await ctx.reader.read(at, S.AR_HDR_SIZE, 'member header');
  if (raw[S.ar_fmag.offset] !== FMAG0 || raw[S.ar_fmag.offset + 1] !== FMAG1) {
    const fmag = raw.toString('latin1', S.ar_fmag.offset, S.ar_fmag.offset + S.ar_fmag.size);
    throw new FormatError(`member header at ${hex(at)}: ar_fmag is ${JSON.stringify(fmag)}, not "\`\\n"`, ctx.reader.base + at + S.ar_fmag.offset);
  }
  const size = parseField(raw, ctx.reader.base, at, S.ar_size, 'ar_size', 10);
  if (size === undefined) throw new FormatError(`member header at ${hex(at)}: ar_size is blank`, ctx.reader.base + at + S.ar_size.offset);
  const stored = fieldText(raw, S.ar_name);

  let kind: Kind = 'member';
  let name = stored;
  let nameLength = 0;
  if (stored === S.GNU_SYMTAB || stored === S.GNU_SYMTAB64) {
    kind = 'symtab';
  } else if (stored === S.GNU_LONGNAMES) {
    kind = 'longnames';
  } else if (/^\/\d+$/.test(stored)) {
    name = await longName(ctx, longnames, Number(stored.slice(1)), at);
  } else if (stored.startsWith(S.BSD_LONGNAME_PREFIX)) {
    const n = stored.slice(S.BSD_LONGNAME_PREFIX.length);
    if (!/^\d+$/.test(n)) throw new FormatError(`member header at ${hex(at)}: BSD name length ${JSON.stringify(n)} is not a number`, ctx.reader.base + at);
    nameLength = Number(n);
    if (nameLength > size) {
      throw new FormatError(`member header at ${hex(at)}: BSD name length ${nameLength} (#1/${n}) is longer than the member (ar_size ${size})`, ctx.reader.base + at);
    }
    const left = ctx.reader.size - at - S.AR_HDR_SIZE;
    if (nameLength > left) {
      throw new FormatError(`member header at ${hex(at)}: BSD name length ${nameLength} (#1/${n}) runs past the end of the archive (${left} bytes left)`, ctx.reader.base + at);
    }
    const nameBytes = await ctx.reader.read(at + S.AR_HDR_SIZE, nameLength, 'BSD member name');
    name = nameBytes.toString('latin1').replace(/\0+$/, '');
  } else if (stored.endsWith('/')) {
    name = stored.slice(0, -1);
  }
  if (name.startsWith(S.BSD_SYMTAB_PREFIX)) kind = 'symtab';
  if (thin && kind === 'member' && nameLength > 0) {
    throw new FormatError(`member header at ${hex(at)}: a thin archive cannot hold a BSD #1/N name`, ctx.reader.base + at);
  }
  return { offset: at, raw, stored, name, kind, size, nameLength };
}

/** The encoders of one archive's fields (see Encoded). */
interface Encoders {
  date: Encoded;
  uid: Encoded;
  gid: Encoded;
  mode: Encoded;
}

const encoders = (): Encoders => ({ date: new Encoded(S.ar_date, 10), uid: new Encoded(S.ar_uid, 10), gid: new Encoded(S.ar_gid, 10), mode: new Encoded(S.ar_mode, 8) });

function patchNumber(ctx: PlanContext, h: Header, label: string, f: Field, fieldName: string, radix: 8 | 10, value: number | ((old: number) => number), enc: Encoded, render: (bytes: Buffer) => string): void {
  const old = parseField(h.raw, ctx.reader.base, h.offset, f, fieldName, radix);
  if (old === undefined) return;
  ctx.patch({
    offset: h.offset + f.offset,
    oldBytes: h.raw.subarray(f.offset, f.offset + f.size),
    bytes: enc.of(typeof value === 'number' ? value : value(old)),
    field: label + fieldName,
    render,
  });
}

// A field's text for reports, from its bytes (a number in ASCII, space padded): only
// called for a field a report shows, so a plain run over an archive renders nothing.
const numberIn = (b: Buffer, radix: 8 | 10) => parseInt(b.toString('latin1'), radix);
const octal = (b: Buffer) => numberIn(b, 8).toString(8);
const decimal = (b: Buffer) => String(numberIn(b, 10));
const date = (b: Buffer) => renderTime(numberIn(b, 10));

/** Normalize one header: the values `ar D` writes, blank fields left blank. */
function planHeader(ctx: PlanContext, h: Header, enc: Encoders): void {
  const label = `${h.kind === 'member' ? `member ${h.name}` : h.kind === 'symtab' ? `symbol table ${h.name}` : `long-name table ${h.name}`} `;
  patchNumber(ctx, h, label, S.ar_date, 'ar_date', 10, ctx.time, enc.date, date);
  patchNumber(ctx, h, label, S.ar_uid, 'ar_uid', 10, S.DETERMINISTIC_UID, enc.uid, decimal);
  patchNumber(ctx, h, label, S.ar_gid, 'ar_gid', 10, S.DETERMINISTIC_GID, enc.gid, decimal);
  const mode = h.kind === 'member' ? S.DETERMINISTIC_MODE : S.DETERMINISTIC_INDEX_MODE;
  patchNumber(ctx, h, label, S.ar_mode, 'ar_mode', 8, mode, enc.mode, octal);
}

export async function planAr(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  const magic = (await reader.read(0, S.SARMAG, 'archive magic')).toString('latin1');
  if (magic !== S.ARMAG && magic !== S.ARMAG_THIN) throw new FormatError(`archive magic at 0x0 is ${JSON.stringify(magic)}, not "!<arch>\\n"`, reader.base);
  const thin = magic === S.ARMAG_THIN;
  if (thin) ctx.note('thin archive: member data lives in the member files, which are normalized on their own');

  let longnames: LongNames | undefined;
  /** For --remap-path: the symbol index tables and the member data, by offset. */
  const indexes: { start: number; size: number; stored: string; name: string }[] = [];
  const members: { start: number; size: number }[] = [];
  // Members are only listed for --remap-path: an archive of half a million holds none otherwise.
  const remap = remapWanted(ctx);
  const enc = encoders();
  let at = S.SARMAG;
  while (at < reader.size) {
    const h = await readHeader(ctx, at, thin, longnames);
    const dataStart = at + S.AR_HDR_SIZE;
    // In a thin archive only the index tables have their data in the archive.
    const inFile = thin && h.kind === 'member' ? 0 : h.size;
    if (inFile > reader.size - dataStart) {
      throw new FormatError(
        `member ${h.name} at ${hex(at)}: ar_size ${h.size} runs past the end of the archive (${reader.size - dataStart} bytes left)`,
        reader.base + at + S.ar_size.offset,
      );
    }
    if (h.kind === 'longnames') longnames = { offset: dataStart, size: h.size };
    planHeader(ctx, h, enc);
    if (h.kind === 'longnames' && remapWanted(ctx)) await remapLongNames(ctx, h);
    if (h.kind === 'member' && inFile > 0) {
      await ctx.member(dataStart + h.nameLength, h.size - h.nameLength, h.name);
      if (remap) members.push({ start: dataStart + h.nameLength, size: h.size - h.nameLength });
    }
    if (h.kind === 'symtab') indexes.push({ start: dataStart + h.nameLength, size: inFile - h.nameLength, stored: h.stored, name: h.name });
    at = dataStart + inFile;
    // Data is padded to an even offset; tolerate a missing pad byte at the very end.
    if (at % 2 === 1 && at < reader.size) at += 1;
  }
  if (remap && indexes.length > 0) await renameInIndex(ctx, indexes, members);
}

/**
 * --remap-path in member names: the member names of a thin archive are the paths of the
 * member files (`ar rcT lib.a /build/x.o` stores "/build/x.o"); GNU ar and llvm-ar put
 * every name holding a `/` in the // table, and an ordinary archive's long names may hold
 * one too (`ar rcP`). The symbol index points at headers by offset, and every name keeps
 * its length, so nothing else follows.
 */
async function remapLongNames(ctx: PlanContext, h: Header): Promise<void> {
  const start = h.offset + S.AR_HDR_SIZE;
  await remapRange(ctx, start, start + h.size, 'long-name table //', needlesOf(ctx.options.remap, false));
}

/**
 * --remap-path renames the string literal symbols of COFF members (coff/literals.ts); the
 * archive's symbol index lists the same names, so they are renamed there too. The MSVC
 * second linker member keeps its names sorted: a rename that would change the order is
 * refused.
 */
async function renameInIndex(ctx: PlanContext, indexes: { start: number; size: number; stored: string; name: string }[], members: { start: number; size: number }[]): Promise<void> {
  const { reader } = ctx;
  const renames = new Map<string, string>();
  const needles = needlesOf(ctx.options.remap, true);
  for (const m of members) {
    const head = await reader.readUpTo(m.start, 512, 'member head');
    if (classify(head, m.size) !== 'object') continue;
    for (const r of await literalRenames(reader.sub(m.start, m.size), needlesOf(ctx.options.remap, false), needles.filter((n) => n.wide))) renames.set(r.old, r.new);
  }
  if (renames.size === 0) return;
  let linkerMembers = 0;
  for (const ix of indexes) {
    const data = await reader.read(ix.start, Math.min(ix.size, 64 << 20), `symbol table ${ix.stored}`);
    let strings: number;
    let stringsEnd = data.length;
    let sorted = false;
    /** For a sorted BSD index: the string offset of each ranlib entry, in the array's order. */
    let ranlib: number[] | undefined;
    if (ix.stored === S.GNU_SYMTAB && linkerMembers++ === 1) {
      // The second linker member of an MSVC .lib: counts are little-endian, names sorted.
      if (data.length < 4) continue;
      const m = data.readUInt32LE(0);
      if (4 + 4 * m + 4 > data.length) continue;
      const n = data.readUInt32LE(4 + 4 * m);
      strings = 4 + 4 * m + 4 + 2 * n;
      sorted = true;
    } else if (ix.stored === S.GNU_SYMTAB) {
      if (data.length < 4) continue;
      strings = 4 + 4 * data.readUInt32BE(0);
    } else if (ix.stored === S.GNU_SYMTAB64) {
      if (data.length < 8) continue;
      strings = 8 + 8 * Number(data.readBigUInt64BE(0));
    } else if (ix.name.startsWith(S.BSD_SYMTAB_PREFIX)) {
      // BSD (llvm-ar --format=darwin): the ranlib array's size in bytes, the array, the
      // string table's size, the strings; little-endian, 8-byte fields in __.SYMDEF_64.
      const w = ix.name.startsWith(S.BSD_SYMTAB64_PREFIX) ? 8 : 4;
      const word = (at: number) => (w === 8 ? Number(data.readBigUInt64LE(at)) : data.readUInt32LE(at));
      if (data.length < w) continue;
      const table = w + word(0);
      if (table + w > data.length) continue;
      strings = table + w;
      stringsEnd = Math.min(data.length, strings + word(table));
      // A SORTED index keeps its ranlib entries in name order: renames that reorder them are refused below.
      if (ix.name.endsWith(S.BSD_SORTED_SUFFIX)) ranlib = Array.from({ length: Math.floor(word(0) / (2 * w)) }, (_, i) => word(w + i * 2 * w));
    } else continue;
    const names: string[] = [];
    /** Old and new name by offset in the string table. */
    const byOffset = new Map<number, { old: string; now: string }>();
    for (let at = strings; at < stringsEnd; ) {
      let end = data.indexOf(0, at);
      if (end < 0 || end > stringsEnd) end = stringsEnd;
      const name = data.toString('latin1', at, end);
      const renamed = renames.get(name);
      names.push(renamed ?? name);
      byOffset.set(at - strings, { old: name, now: renamed ?? name });
      if (renamed) {
        ctx.patch({ offset: ix.start + at, bytes: Buffer.from(renamed, 'latin1'), oldBytes: Buffer.from(name, 'latin1'), field: `symbol table ${ix.name}: string literal symbol (after --remap-path)`, old: name, new: renamed });
      }
      at = end + 1;
    }
    const inOrder = (list: string[]) => list.every((n, i) => i === 0 || Buffer.compare(Buffer.from(list[i - 1], 'latin1'), Buffer.from(n, 'latin1')) <= 0);
    if (sorted && !inOrder(names)) {
      throw new FormatError(`second linker member at ${hex(ix.start)}: with string literal symbols renamed by --remap-path its names would no longer be sorted`, reader.base + ix.start);
    }
    if (ranlib) {
      const before = ranlib.map((x) => byOffset.get(x)?.old ?? '');
      const after = ranlib.map((x) => byOffset.get(x)?.now ?? '');
      if (inOrder(before) && !inOrder(after)) {
        throw new FormatError(`symbol table ${ix.name} at ${hex(ix.start)}: with string literal symbols renamed by --remap-path its entries would no longer be sorted by name`, reader.base + ix.start);
      }
    }
  }
}
