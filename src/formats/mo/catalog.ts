import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export interface Catalog {
  littleEndian: boolean;
  count: number;
  originals: number;
  translations: number;
  /** The header entries' translations (the original is empty): [offset, length]. */
  headers: [number, number][];
}

/**
 * The header and both string tables, every entry checked to lie inside the file (with
 * its NUL), and where the translations of the empty msgid (the catalog header) are.
 */
export async function readCatalog(reader: RangeReader): Promise<Catalog> {
  const h = await reader.read(0, S.HEADER_SIZE, '.mo header');
  const le = h.readUInt32LE(0) === S.MAGIC;
  if (!le && h.readUInt32BE(0) !== S.MAGIC) throw new FormatError(`.mo magic at 0x0 is ${h.toString('hex', 0, 4)}, not 950412de in either byte order`, reader.base);
  const word = (off: number) => (le ? h.readUInt32LE(off) : h.readUInt32BE(off));
  const revision = word(S.OFF_REVISION);
  if (revision >>> 16 > S.MAX_MAJOR) throw new FormatError(`.mo revision ${hex(revision)} at 0x4: major revision ${revision >>> 16} is not 0 or 1`, reader.base + S.OFF_REVISION);
  const count = word(S.OFF_COUNT);
  const originals = word(S.OFF_ORIGINALS);
  const translations = word(S.OFF_TRANSLATIONS);
  for (const [what, at, table] of [['original', S.OFF_ORIGINALS, originals], ['translation', S.OFF_TRANSLATIONS, translations]] as const) {
    if (table + count * S.ENTRY_SIZE > reader.size) {
      throw new FormatError(`.mo ${what} table at ${hex(table)} (word at ${hex(at)}): ${count} entries run past the end of the file (size ${hex(reader.size)})`, reader.base + at);
    }
  }
  const entries = async (table: number, what: string, each: (i: number, length: number, offset: number) => void) => {
    const perRead = Math.floor(MAX_READ / S.ENTRY_SIZE);
    for (let first = 0; first < count; first += perRead) {
      const n = Math.min(perRead, count - first);
      const b = await reader.read(table + first * S.ENTRY_SIZE, n * S.ENTRY_SIZE, `.mo ${what} table`);
      for (let i = 0; i < n; i++) {
        const length = le ? b.readUInt32LE(i * 8) : b.readUInt32BE(i * 8);
        const offset = le ? b.readUInt32LE(i * 8 + 4) : b.readUInt32BE(i * 8 + 4);
        // Each string is followed by a NUL, which readers rely on.
        if (offset + length + 1 > reader.size) {
          const at = table + (first + i) * S.ENTRY_SIZE;
          throw new FormatError(`.mo ${what} string #${first + i} (entry at ${hex(at)}): ${length} bytes at ${hex(offset)} run past the end of the file (size ${hex(reader.size)})`, reader.base + at);
        }
        each(first + i, length, offset);
      }
    }
  };
  const empty: number[] = [];
  await entries(originals, 'original', (i, length) => {
    if (length === 0) empty.push(i);
  });
  const headers: [number, number][] = [];
  const wanted = new Set(empty);
  await entries(translations, 'translation', (i, length, offset) => {
    if (wanted.has(i)) headers.push([offset, length]);
  });
  return { littleEndian: le, count, originals, translations, headers };
}
