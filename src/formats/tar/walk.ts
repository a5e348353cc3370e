// Walking a tar archive header by header, as GNU tar and libarchive read it: each header
// is checked (magic, checksum, numeric fields, data inside the file), pax extended
// headers and GNU long names are read and applied to the entry that follows them. The
// planner and `explain` share this walk; only the planner rewrites.
import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import { flavorOf, headerPath, headerSums, isZeroBlock, parseNumber, storedChksum, type Flavor } from './header.js';
import * as S from './spec.js';

/** One "%d %s=%s\n" record of a pax extended header; offsets relative to the reader. */
export interface PaxRecord {
  start: number;
  end: number;
  key: string;
  value: string;
  /** Where the value starts (it ends one byte before `end`, at the newline). */
  valueStart: number;
}

export type HeaderKind = 'entry' | 'pax' | 'global' | 'longname' | 'longlink';

export interface TarHeader {
  at: number;
  raw: Buffer;
  flavor: Flavor;
  type: string;
  kind: HeaderKind;
  /** Bytes of data (pax `size` applied) and where they start (after any sparse extension blocks). */
  size: number;
  dataStart: number;
  /** Where the next header starts. */
  next: number;
  /** For labels: the entry's path (pax path, GNU long name or the header's), or what a pseudo-entry carries. */
  label: string;
  /** Entries: the path readers give it (pax path, GNU long name, or prefix/name). */
  path: string;
  /** pax headers: their records. */
  records: PaxRecord[];
  /** The data is a GNU sparse map and pieces, not the file's bytes. */
  sparse: boolean;
}

export interface TarEnd {
  /** Offset of the first zero block (or of the end of the file). */
  at: number;
  /** How the archive ends, for a note; undefined for the normal two zero blocks. */
  note?: string;
  /** Where the end marker ends: what follows is left alone. */
  end: number;
}

/** pax and GNU long-name data larger than this is refused rather than held in memory. */
export const MAX_META = 16 << 20;
/** A GNU sparse file may have at most this many extension blocks. */
const MAX_SPARSE_BLOCKS = 1 << 16;

const blocks = (n: number) => Math.ceil(n / S.BLOCK) * S.BLOCK;

function typeName(t: string): string {
  return t === '\0' ? 'NUL' : JSON.stringify(t);
}

async function readMeta(reader: RangeReader, at: number, size: number, what: string): Promise<Buffer> {
  if (size > MAX_META) throw new FormatError(`${what} at ${hex(at)}: ${size} bytes of data is more than unstamp reads (${MAX_META})`, reader.base + at);
  const parts: Buffer[] = [];
  for (let pos = 0; pos < size; pos += MAX_READ) parts.push(await reader.read(at + pos, Math.min(MAX_READ, size - pos), what));
  return Buffer.concat(parts);
}

/** Parse the records of a pax extended header whose data is `data`, at `at` in the reader. */
export function parsePax(data: Buffer, at: number, base: number): PaxRecord[] {
  const out: PaxRecord[] = [];
  let pos = 0;
  while (pos < data.length) {
    // Some writers pad the data with NULs; nothing may follow them.
    if (data[pos] === 0) {
      const stray = data.subarray(pos).findIndex((b) => b !== 0);
      if (stray >= 0) throw new FormatError(`pax record at ${hex(at + pos + stray)}: data after the NUL padding of the extended header`, base + at + pos + stray);
      break;
    }
    const where = `pax record at ${hex(at + pos)}`;
    let i = pos;
    while (i < data.length && data[i] >= 0x30 && data[i] <= 0x39) i++;
    if (i === pos || data[i] !== 0x20) {
      throw new FormatError(`${where}: the record does not start with a decimal length and a space`, base + at + pos);
    }
    // Leading zeros are allowed (unstamp writes them when it empties a name).
    const digits = data.toString('latin1', pos, i).replace(/^0+(?=\d)/, '');
    const length = digits.length > 12 ? Infinity : Number(digits);
    const left = data.length - pos;
    if (length > left) throw new FormatError(`${where}: length ${digits} runs past the end of the extended header (${left} bytes left)`, base + at + pos);
    if (length < i - pos + 3) throw new FormatError(`${where}: length ${digits} is shorter than the record's own length field`, base + at + pos);
    const end = pos + length;
    if (data[end - 1] !== 0x0a) throw new FormatError(`${where}: length ${digits} does not end at a newline (the length field lies)`, base + at + pos);
    const eq = data.indexOf(0x3d, i + 1);
    if (eq < 0 || eq >= end - 1) throw new FormatError(`${where}: the record has no "keyword=value"`, base + at + pos);
    out.push({
      start: at + pos,
      end: at + end,
      key: data.toString('utf8', i + 1, eq),
      value: data.toString('latin1', eq + 1, end - 1),
      valueStart: at + eq + 1,
    });
    pos = end;
  }
  return out;
}

/** Check one header block: its magic and checksum. */
function checkHeader(raw: Buffer, at: number, base: number): Flavor {
  const flavor = flavorOf(raw);
  if (!flavor) {
    const m = raw.toString('latin1', S.magic.offset, S.magic.offset + 8);
    throw new FormatError(`tar header at ${hex(at)}: magic ${JSON.stringify(m)} is neither "ustar\\u000000" (POSIX) nor "ustar  \\u0000" (GNU) nor NULs (v7)`, base + at + S.magic.offset);
  }
  const stored = storedChksum(raw);
  const text = raw.toString('latin1', S.chksum.offset, S.chksum.offset + S.chksum.size);
  if (stored === undefined) throw new FormatError(`tar header at ${hex(at)}: checksum ${JSON.stringify(text)} is not an octal number`, base + at + S.chksum.offset);
  const sums = headerSums(raw);
  if (stored !== sums.unsigned && stored !== sums.signed) {
    throw new FormatError(`tar header at ${hex(at)}: checksum 0o${stored.toString(8)} does not match the computed 0o${sums.unsigned.toString(8)}`, base + at + S.chksum.offset);
  }
  return flavor;
}

function headerSize(raw: Buffer, at: number, base: number): number {
  const n = parseNumber(raw, S.size);
  const text = JSON.stringify(raw.toString('latin1', S.size.offset, S.size.offset + S.size.size));
  if (!n || n.value === undefined) throw new FormatError(`tar header at ${hex(at)}: size ${text} is not an octal or base-256 number`, base + at + S.size.offset);
  if (n.value < 0n || n.value > BigInt(Number.MAX_SAFE_INTEGER)) throw new FormatError(`tar header at ${hex(at)}: size ${n.value} is out of range`, base + at + S.size.offset);
  return Number(n.value);
}

/** Skip the extension blocks of an old GNU sparse header; returns where the data starts. */
async function sparseData(reader: RangeReader, raw: Buffer, at: number): Promise<number> {
  let pos = at + S.BLOCK;
  let more = raw[S.gnuIsExtended.offset] !== 0;
  for (let n = 0; more; n++) {
    if (n === MAX_SPARSE_BLOCKS) throw new FormatError(`tar header at ${hex(at)}: more than ${MAX_SPARSE_BLOCKS} sparse extension blocks`, reader.base + at);
    if (reader.size - pos < S.BLOCK) throw new FormatError(`tar sparse extension block at ${hex(pos)} runs past the end of the file (size ${hex(reader.size)})`, reader.base + pos);
    const ext = await reader.read(pos, S.BLOCK, 'tar sparse extension block');
    more = ext[S.sparseExtIsExtended.offset] !== 0;
    pos += S.BLOCK;
  }
  return pos;
}

/** Entry state that pseudo-entries (pax, GNU long names) carry to the next real entry. */
interface Pending {
  path?: string;
  size?: number;
  sparse: boolean;
}

/**
 * Every header of the archive in order, then how it ends. Throws FormatError at the first
 * header that breaks a rule, naming its offset.
 */
export async function* walkTar(reader: RangeReader): AsyncGenerator<TarHeader, TarEnd> {
  const base = reader.base;
  let pending: Pending = { sparse: false };
  let globalSparse = false;
  let at = 0;
  for (;;) {
    const left = reader.size - at;
    if (left === 0) return { at, end: at, note: 'the archive ends without the two zero blocks of an end-of-archive marker (GNU tar accepts this)' };
    if (left < S.BLOCK) throw new FormatError(`tar header at ${hex(at)} is truncated: ${left} bytes left, a header takes ${S.BLOCK}`, base + at);
    const raw = await reader.read(at, S.BLOCK, 'tar header');
    if (isZeroBlock(raw)) {
      if (left < 2 * S.BLOCK) return { at, end: at + S.BLOCK, note: 'the archive ends with one zero block, not two (GNU tar accepts this)' };
      const second = await reader.read(at + S.BLOCK, S.BLOCK, 'tar end-of-archive marker');
      if (isZeroBlock(second)) return { at, end: at + 2 * S.BLOCK };
      return { at, end: at + S.BLOCK, note: `a lone zero block at ${hex(at)} ends the archive, as GNU tar reads it; the ${left - S.BLOCK} bytes after it are left alone` };
    }
    const flavor = checkHeader(raw, at, base);
    const type = raw.toString('latin1', S.typeflag.offset, S.typeflag.offset + 1);
    let size = headerSize(raw, at, base);
    const kind: HeaderKind =
      type === S.XHDTYPE ? 'pax' : type === S.XGLTYPE ? 'global' : type === S.GNUTYPE_LONGNAME ? 'longname' : type === S.GNUTYPE_LONGLINK ? 'longlink' : 'entry';
    if (kind === 'entry' && pending.size !== undefined) size = pending.size;
    const dataStart = flavor === 'gnu' && type === S.GNUTYPE_SPARSE ? await sparseData(reader, raw, at) : at + S.BLOCK;
    if (kind === 'entry' && S.HEADER_ONLY_TYPES.has(type) && size > 0) {
      throw new FormatError(`tar header at ${hex(at)}: an entry of type ${typeName(type)} has size ${size}; readers disagree on whether data follows it`, base + at + S.size.offset);
    }
    const room = reader.size - dataStart;
    if (size > room) {
      throw new FormatError(`tar header at ${hex(at)}: size ${size} runs past the end of the file (${room} bytes left after the header)`, base + at + S.size.offset);
    }
    // GNU tar reads whole blocks: data whose padding is cut short is an unexpected end of file.
    if (blocks(size) > room) {
      throw new FormatError(`tar header at ${hex(at)}: the data (${size} bytes) and its padding to ${S.BLOCK} bytes run past the end of the file (${room} bytes left after the header)`, base + at + S.size.offset);
    }
    const next = dataStart + blocks(size);
    const h: TarHeader = { at, raw, flavor, type, kind, size, dataStart, next, label: '', path: headerPath(raw, flavor), records: [], sparse: false };
    if (kind === 'pax' || kind === 'global') {
      const data = await readMeta(reader, dataStart, size, `pax extended header data`);
      h.records = parsePax(data, dataStart, base);
      const stored = headerPath(raw, flavor);
      if (kind === 'pax') {
        // Later records override earlier ones; an empty value deletes the keyword.
        for (const r of h.records) {
          if (r.key === 'path') pending.path = r.value === '' ? undefined : Buffer.from(r.value, 'latin1').toString('utf8');
          if (r.key === 'size') {
            if (!/^\d{1,15}$/.test(r.value)) throw new FormatError(`pax record at ${hex(r.start)}: size ${JSON.stringify(r.value)} is not a decimal number`, base + r.start);
            pending.size = Number(r.value);
          }
          if (S.PAX_SPARSE.test(r.key)) pending.sparse = true;
        }
        h.label = `pax header ${stored}`;
      } else {
        if (h.records.some((r) => S.PAX_SPARSE.test(r.key))) globalSparse = true;
        h.label = `global pax header ${stored}`;
      }
    } else if (kind === 'longname' || kind === 'longlink') {
      const data = await readMeta(reader, dataStart, size, `GNU long ${kind === 'longname' ? 'name' : 'link'} data`);
      const end = data.indexOf(0);
      const text = data.toString('utf8', 0, end < 0 ? data.length : end);
      if (kind === 'longname') {
        // A pax path given before the long name still wins, as in GNU tar.
        pending.path ??= text;
        h.label = `GNU long-name header (${text})`;
      } else {
        h.label = `GNU long-link header (${text})`;
      }
    } else {
      h.path = pending.path ?? h.path;
      h.label = `header ${h.path}`;
      h.sparse = type === S.GNUTYPE_SPARSE || pending.sparse || globalSparse;
      pending = { sparse: false };
    }
    yield h;
    at = next;
  }
}

