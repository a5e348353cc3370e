// Where in a COFF object (or a PE image that kept its COFF symbol table, as mingw's ld
// does) bytes lie: the symbols defined in a section, functions (Type 0x20) and data. A
// symbol's Value is its offset in the section; it runs to the next symbol of the section
// or to the section's end (COFF records no size but in optional aux records). Section
// symbols (".text", "$x") are not functions and are left out.
import type { FormatSymbol } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { classify } from './kind.js';

const SYMBOL_SIZE = 18;
const SECTION_HEADER_SIZE = 40;
const IMAGE_SYM_DTYPE_FUNCTION = 0x20;
const IMAGE_SYM_CLASS_EXTERNAL = 2;
const IMAGE_SYM_CLASS_STATIC = 3;
const IMAGE_SCN_CNT_CODE = 0x20;
const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
const MAX_SYMBOLS = 1 << 20;

export interface CoffSection {
  /** PointerToRawData and SizeOfRawData (0 for uninitialized data). */
  offset: number;
  size: number;
  code: boolean;
  /** VirtualAddress: an RVA in an image, usually 0 in an object. */
  rva: number;
}

/** The section table at `at` (count entries). */
export async function readSections(r: RangeReader, at: number, count: number): Promise<CoffSection[]> {
  const table = await r.read(at, count * SECTION_HEADER_SIZE, 'section table');
  const out: CoffSection[] = [];
  for (let i = 0; i < count; i++) {
    const s = table.subarray(i * SECTION_HEADER_SIZE);
    const flags = s.readUInt32LE(36);
    out.push({ rva: s.readUInt32LE(12), size: s.readUInt32LE(16), offset: s.readUInt32LE(20), code: (flags & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE)) !== 0 });
  }
  return out;
}

/** Named starts in sections: (1-based section number, offset in section, name, function?). */
export interface Start {
  section: number;
  at: number;
  name: string;
  func: boolean;
  /** The size where the table records one (a PDB procedure's code size): it ends there, not at the next start. */
  size?: number;
}

/** The defined symbols of a COFF symbol table (and its string table right after it). */
export async function coffStarts(r: RangeReader, symPtr: number, nsyms: number, sections: readonly CoffSection[]): Promise<Start[]> {
  if (symPtr === 0 || nsyms === 0 || nsyms > MAX_SYMBOLS || symPtr + nsyms * SYMBOL_SIZE + 4 > r.size) return [];
  const table = await r.readChunked(symPtr, nsyms * SYMBOL_SIZE, 'COFF symbol table');
  const strAt = symPtr + nsyms * SYMBOL_SIZE;
  const strSize = Math.min((await r.read(strAt, 4, 'COFF string table size')).readUInt32LE(0), r.size - strAt);
  const strings = strSize > 4 ? await r.readChunked(strAt, strSize, 'COFF string table') : Buffer.alloc(0);
  const out: Start[] = [];
  for (let k = 0; k < nsyms; k++) {
    const s = table.subarray(k * SYMBOL_SIZE, (k + 1) * SYMBOL_SIZE);
    const aux = s[17];
    const section = s.readInt16LE(12);
    const cls = s[16];
    if (section > 0 && section <= sections.length && (cls === IMAGE_SYM_CLASS_EXTERNAL || cls === IMAGE_SYM_CLASS_STATIC)) {
      let name: string;
      if (s.readUInt32LE(0) === 0) {
        const off = s.readUInt32LE(4);
        const nul = strings.indexOf(0, off);
        name = off < strings.length ? strings.toString('latin1', off, nul < 0 ? strings.length : nul) : '';
      } else {
        const raw = s.subarray(0, 8);
        const nul = raw.indexOf(0);
        name = raw.toString('latin1', 0, nul < 0 ? 8 : nul);
      }
      const func = s.readUInt16LE(14) === IMAGE_SYM_DTYPE_FUNCTION;
      // Section symbols (static, named like a section) and labels ($LN, .L) name no function.
      if (name !== '' && !/^[.$]/.test(name) && !(cls === IMAGE_SYM_CLASS_STATIC && !func && aux > 0)) {
        out.push({ section, at: s.readUInt32LE(8), name, func });
      }
    }
    k += aux;
  }
  return out;
}

/** Symbols from starts: each runs to the next start of its section or the section's end. */
export function fromStarts(starts: readonly Start[], sections: readonly CoffSection[], fileSize: number): FormatSymbol[] {
  const out: FormatSymbol[] = [];
  sections.forEach((sec, i) => {
    if (sec.offset === 0 || sec.size === 0) return;
    const mine = starts.filter((s) => s.section === i + 1 && s.at < sec.size).sort((x, y) => x.at - y.at);
    mine.forEach((s, k) => {
      if (k > 0 && mine[k - 1].at === s.at) return;
      let next = k + 1;
      while (next < mine.length && mine[next].at === s.at) next++;
      const end = Math.min(next < mine.length ? mine[next].at : sec.size, s.size ? s.at + s.size : Infinity);
      const start = sec.offset + s.at;
      const stop = Math.min(sec.offset + end, fileSize);
      if (start < stop) out.push({ name: s.name, start, end: stop, kind: s.func || sec.code ? 'function' : 'object' });
    });
  });
  return out;
}


export async function coffSymbols(r: RangeReader): Promise<FormatSymbol[]> {
  const head = await r.readUpTo(0, 64, 'COFF header');
  if (classify(head, r.size) !== 'object') return [];
  const nsections = head.readUInt16LE(2);
  const sections = await readSections(r, 20 + head.readUInt16LE(16), nsections);
  return fromStarts(await coffStarts(r, head.readUInt32LE(8), head.readUInt32LE(12), sections), sections, r.size);
}
