// The structure of a COFF object as named spans, for `explain <a> <b>`: the header, the
// section table, each section's data and relocations, the symbol and string tables.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { classify } from './kind.js';
import * as S from './spec.js';

/** Section headers per read, and the most sections named (a /bigobj can hold millions). */
const PER_READ = 1024;
const MAX_SECTIONS = 1 << 16;

export async function coffRegions(r: RangeReader): Promise<Region[]> {
  const head = await r.readUpTo(0, S.IMAGE_SIZEOF_FILE_HEADER + S.IMAGE_SIZEOF_SECTION_HEADER, 'COFF header');
  const kind = classify(head, r.size);
  const out: Region[] = [];
  const add = (start: number, end: number, label: string) => {
    const e = Math.min(end, r.size);
    if (start < e) out.push({ start, end: e, label });
  };
  if (kind === 'import') {
    add(0, S.IMPORT_OBJECT_HEADER_SIZE, 'IMPORT_OBJECT_HEADER');
    add(S.IMPORT_OBJECT_HEADER_SIZE, r.size, 'import names (symbol, DLL)');
    return out;
  }
  if (kind === 'ltcg' || kind === 'anon') {
    add(0, S.ANON_OBJECT_HEADER_V2_SIZE, 'ANON_OBJECT_HEADER');
    add(S.ANON_OBJECT_HEADER_V2_SIZE, r.size, kind === 'ltcg' ? 'intermediate code (cl /GL)' : 'anonymous object data');
    return out;
  }
  if (kind !== 'object' && kind !== 'bigobj') return out;
  const big = kind === 'bigobj';
  const headerSize = big ? S.ANON_OBJECT_HEADER_BIGOBJ_SIZE : S.IMAGE_SIZEOF_FILE_HEADER;
  const h = await r.read(0, headerSize, 'COFF header');
  const count = big ? h.readUInt32LE(S.BIGOBJ_NumberOfSections) : h.readUInt16LE(S.FH_NumberOfSections);
  const symbols = big ? h.readUInt32LE(S.BIGOBJ_PointerToSymbolTable) : h.readUInt32LE(S.FH_PointerToSymbolTable);
  const nsyms = big ? h.readUInt32LE(S.BIGOBJ_NumberOfSymbols) : h.readUInt32LE(S.FH_NumberOfSymbols);
  const symbolSize = big ? S.IMAGE_SIZEOF_SYMBOL_EX : S.IMAGE_SIZEOF_SYMBOL;
  add(0, headerSize, big ? 'ANON_OBJECT_HEADER_BIGOBJ' : 'IMAGE_FILE_HEADER');
  add(headerSize, headerSize + count * S.IMAGE_SIZEOF_SECTION_HEADER, 'section table');

  // Long section names ("/123") live in the string table, after the symbols.
  const strings = symbols > 0 ? symbols + nsyms * symbolSize : 0;
  let stringsSize = 0;
  if (strings > 0 && strings + 4 <= r.size) {
    stringsSize = (await r.read(strings, 4, 'string table size')).readUInt32LE(0);
    if (stringsSize < 4 || strings + stringsSize > r.size) stringsSize = 4;
  }
  const longName = async (name: string): Promise<string> => {
    const m = /^\/(\d+)$/.exec(name);
    if (!m || stringsSize <= 4 || Number(m[1]) >= stringsSize) return name;
    const at = strings + Number(m[1]);
    const bytes = await r.readUpTo(at, Math.min(256, strings + stringsSize - at), 'section name');
    const nul = bytes.indexOf(0);
    return bytes.toString('latin1', 0, nul < 0 ? bytes.length : nul);
  };

  const shown = Math.min(count, MAX_SECTIONS);
  for (let first = 0; first < shown; first += PER_READ) {
    const n = Math.min(PER_READ, shown - first);
    const at = headerSize + first * S.IMAGE_SIZEOF_SECTION_HEADER;
    if (at + n * S.IMAGE_SIZEOF_SECTION_HEADER > r.size) break;
    const table = await r.read(at, n * S.IMAGE_SIZEOF_SECTION_HEADER, 'section table');
    for (let k = 0; k < n; k++) {
      const s = table.subarray(k * S.IMAGE_SIZEOF_SECTION_HEADER);
      const raw = s.subarray(0, S.IMAGE_SIZEOF_SHORT_NAME);
      const nul = raw.indexOf(0);
      const name = await longName(raw.toString('latin1', 0, nul < 0 ? raw.length : nul));
      const label = `section ${first + k + 1} ${name}`;
      const ptr = s.readUInt32LE(S.SH_PointerToRawData);
      const size = s.readUInt32LE(S.SH_SizeOfRawData);
      if (ptr > 0) out.push({ start: ptr, end: Math.min(ptr + size, r.size), label, rva: 0, rvaName: 'offset' });
      const relocs = s.readUInt32LE(S.SH_PointerToRelocations);
      const nrelocs = s.readUInt16LE(S.SH_NumberOfRelocations);
      if (relocs > 0 && nrelocs > 0) add(relocs, relocs + nrelocs * S.IMAGE_SIZEOF_RELOCATION, `${label} relocations`);
      const lines = s.readUInt32LE(S.SH_PointerToLinenumbers);
      const nlines = s.readUInt16LE(S.SH_NumberOfLinenumbers);
      if (lines > 0 && nlines > 0) add(lines, lines + nlines * S.IMAGE_SIZEOF_LINENUMBER, `${label} line numbers`);
    }
  }
  if (symbols > 0) {
    add(symbols, strings, 'symbol table');
    add(strings, strings + stringsSize, 'string table');
  }
  return out.filter((x) => x.start < x.end);
}
