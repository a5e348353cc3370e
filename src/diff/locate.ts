// Where an offset lies in a file's structure: the format's regions (Format.regions),
// descending into members that are files of their own (an object in an archive, a
// stored jar in a zip, a slice of a fat file).
import { hex } from '../core/errors.js';
import type { Format, FormatSymbol, Region } from '../core/format.js';
import { detectFormat } from '../core/plan.js';
import { RangeReader, type ByteSource } from '../core/reader.js';

/** A region at its absolute offset in the file. */
export interface Placed extends Region {
  /** Nesting level: 0 for the file's own regions, 1 inside a member, and so on. */
  level: number;
}

/** A function or data object at its absolute offset in the file. */
export interface PlacedSymbol extends FormatSymbol {
  level: number;
}

export interface Location {
  /** "section .rdata at RVA 0x2010 > debug data (CodeView)", "section .text at address 0x1139 > function main+0x10". */
  label: string;
  /** Every region that holds the offset, outermost first. */
  chain: Placed[];
  /** The function or data object that holds the offset, in the innermost file that names one. */
  symbol?: { name: string; offset: number; kind: FormatSymbol['kind']; start: number; end: number };
  /** The regions' part of the label, without the symbol. */
  regions: string;
  /** " … through <where the range ends>" when it ends in another region. */
  through: string;
  /** Every region that holds the last byte of the range, outermost first. */
  chainEnd: Placed[];
}

/** The label of a location, with the symbol's name as `name` gives it (demangled). */
export function locationLabel(l: Omit<Location, 'label'>, name: (raw: string) => string = (x) => x): string {
  const sym = l.symbol ? ` > ${l.symbol.kind} ${name(l.symbol.name)}+${hex(l.symbol.offset)}` : '';
  return l.regions + sym + l.through;
}

const MAX_LEVELS = 4;

interface Level {
  regions: Placed[];
  /** The functions and data objects of the file at this level, by start (absolute offsets). */
  symbols: PlacedSymbol[];
  /** What to say where no region holds an offset: the format not known, its structure unreadable. */
  fallback: string;
}

export class Locator {
  private readonly levels = new Map<number, Promise<Level>>();

  constructor(
    private readonly source: ByteSource,
    private readonly formats: readonly Format[],
    /** The file's companion (its debug database), handed to the format's symbols() for the file itself. */
    private readonly companion?: RangeReader,
  ) {}

  /** Regions of the bytes [base, base+size) as a file of their own, cached by base. */
  private structure(base: number, size: number, level: number): Promise<Level> {
    const key = base * 16 + level;
    let p = this.levels.get(key);
    if (!p) {
      p = (async () => {
        const reader = new RangeReader(this.source, base, size);
        try {
          const format = await detectFormat(this.formats, reader);
          if (!format) return { regions: [], symbols: [], fallback: 'a file of no format unstamp knows' };
          if (!format.regions) return { regions: [], symbols: [], fallback: `a ${format.name} file` };
          const regions = await format.regions(reader);
          // A symbol table that cannot be read leaves the sections named: symbols are a bonus.
          const symbols = format.symbols ? await format.symbols(reader, level === 0 ? this.companion : undefined).catch(() => []) : [];
          return {
            regions: regions.map((r) => ({ ...r, start: r.start + base, end: r.end + base, level })),
            symbols: symbols.map((x) => ({ ...x, start: x.start + base, end: x.end + base, level })).sort((x, y) => x.start - y.start || y.end - x.end),
            fallback: `outside the ${format.name} structure`,
          };
        } catch (e) {
          return { regions: [], symbols: [], fallback: `structure not readable (${e instanceof Error ? e.message : String(e)})` };
        }
      })();
      this.levels.set(key, p);
    }
    return p;
  }

  /** The regions holding `offset`, outermost first, members descended into. */
  async chain(offset: number): Promise<Placed[]> {
    return (await this.walk(offset)).chain;
  }

  /** The chain, and the symbols of the innermost file the offset lies in. */
  private async walk(offset: number): Promise<{ chain: Placed[]; symbols: PlacedSymbol[] }> {
    const out: Placed[] = [];
    let level = await this.structure(0, this.source.size, 0);
    for (let depth = 0; ; depth++) {
      const holding = level.regions.filter((r) => r.start <= offset && offset < r.end).sort((x, y) => y.end - y.start - (x.end - x.start) || x.start - y.start);
      out.push(...holding);
      const member = [...holding].reverse().find((r) => r.member);
      if (!member || depth + 1 >= MAX_LEVELS) break;
      level = await this.structure(member.start, member.end - member.start, depth + 1);
    }
    return { chain: out, symbols: level.symbols };
  }

  /** The archive members of the file (not of its members), in file order. */
  async entries(): Promise<Placed[]> {
    const entries = (await this.structure(0, this.source.size, 0)).regions.filter((r) => r.entry !== undefined).sort((x, y) => x.start - y.start);
    // A name that occurs again (an ar with two members of one name, an initramfs of two
    // cpio archives) is paired by its occurrence: the second "x" of a with the second of b.
    const seen = new Map<string, number>();
    return entries.map((r) => {
      const n = (seen.get(r.entry!) ?? 0) + 1;
      seen.set(r.entry!, n);
      return n === 1 ? r : { ...r, entry: `${r.entry} (occurrence ${n})` };
    });
  }

  /** Every function and data object of the file (not of its members), absolute offsets. */
  async symbols(): Promise<PlacedSymbol[]> {
    return (await this.structure(0, this.source.size, 0)).symbols;
  }

  /** The function or data object of a member (or of the file: base 0) that holds `offset`. */
  async symbolAt(offset: number): Promise<PlacedSymbol | undefined> {
    return holder((await this.walk(offset)).symbols, offset);
  }

  async locate(start: number, end: number): Promise<Location> {
    const { chain, symbols } = await this.walk(start);
    const chainEnd = end - 1 > start ? await this.chain(end - 1) : chain;
    if (chain.length === 0) {
      const fallback = (await this.structure(0, this.source.size, 0)).fallback;
      return { label: fallback, chain, chainEnd, regions: fallback, through: '' };
    }
    const regions = describe(chain, start);
    let through = '';
    const sym = holder(symbols, start);
    const symbol = sym ? { name: sym.name, offset: start - sym.start, kind: sym.kind, start: sym.start, end: sym.end } : undefined;
    const inner = chain[chain.length - 1];
    if (inner && !chainEnd.includes(inner) && chainEnd.length > 0) through = ` … through ${describe(chainEnd, end - 1)}`;
    const l = { chain, chainEnd, regions, through, ...(symbol ? { symbol } : {}) };
    return { ...l, label: locationLabel(l) };
  }
}

/** The smallest symbol holding `offset` (symbols sorted by start). */
function holder(symbols: readonly PlacedSymbol[], offset: number): PlacedSymbol | undefined {
  let lo = 0;
  let hi = symbols.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (symbols[mid].start <= offset) lo = mid + 1;
    else hi = mid;
  }
  let best: PlacedSymbol | undefined;
  // Symbols may nest (an object inside a function's range): look back over those that start before.
  for (let i = lo - 1; i >= 0 && i >= lo - 64; i--) {
    const x = symbols[i];
    if (x.start <= offset && offset < x.end && (!best || x.end - x.start < best.end - best.start)) best = x;
  }
  return best;
}

/** Labels outermost first, the address shown on the innermost region that has one. */
function describe(chain: Placed[], offset: number): string {
  if (chain.length === 0) return '';
  const withAddress = [...chain].reverse().find((r) => r.rva !== undefined);
  const parts: string[] = [];
  for (const r of chain) {
    if (parts.length > 0 && parts[parts.length - 1] === r.label) continue;
    parts.push(r === withAddress ? `${r.label} at ${r.rvaName ?? 'RVA'} ${hex(r.rva! + offset - r.start)}` : r.label);
  }
  return parts.join(' > ');
}
