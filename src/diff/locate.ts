// Where an offset lies in a file's structure: the format's regions (Format.regions),
// descending into members that are files of their own (an object in an archive, a
// stored jar in a zip, a slice of a fat file).
import { hex } from '../core/errors.js';
import type { Format, Region } from '../core/format.js';
import { detectFormat } from '../core/plan.js';
import { RangeReader, type ByteSource } from '../core/reader.js';

/** A region at its absolute offset in the file. */
export interface Placed extends Region {
  /** Nesting level: 0 for the file's own regions, 1 inside a member, and so on. */
  level: number;
}

export interface Location {
  /** "section .rdata at RVA 0x2010 > debug data (CodeView)". */
  label: string;
  /** Every region that holds the offset, outermost first. */
  chain: Placed[];
  /** The same for the last byte of the range. */
  chainEnd: Placed[];
}

const MAX_LEVELS = 4;

interface Level {
  regions: Placed[];
  /** What to say where no region holds an offset: the format not known, its structure unreadable. */
  fallback: string;
}

export class Locator {
  private readonly levels = new Map<number, Promise<Level>>();

  constructor(
    private readonly source: ByteSource,
    private readonly formats: readonly Format[],
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
          if (!format) return { regions: [], fallback: 'a file of no format unstamp knows' };
          if (!format.regions) return { regions: [], fallback: `a ${format.name} file` };
          const regions = await format.regions(reader);
          return { regions: regions.map((r) => ({ ...r, start: r.start + base, end: r.end + base, level })), fallback: `outside the ${format.name} structure` };
        } catch (e) {
          return { regions: [], fallback: `structure not readable (${e instanceof Error ? e.message : String(e)})` };
        }
      })();
      this.levels.set(key, p);
    }
    return p;
  }

  /** The regions holding `offset`, outermost first, members descended into. */
  async chain(offset: number): Promise<Placed[]> {
    const out: Placed[] = [];
    let level = await this.structure(0, this.source.size, 0);
    for (let depth = 0; ; depth++) {
      const holding = level.regions.filter((r) => r.start <= offset && offset < r.end).sort((x, y) => y.end - y.start - (x.end - x.start) || x.start - y.start);
      out.push(...holding);
      const member = [...holding].reverse().find((r) => r.member);
      if (!member || depth + 1 >= MAX_LEVELS) break;
      level = await this.structure(member.start, member.end - member.start, depth + 1);
    }
    return out;
  }

  async locate(start: number, end: number): Promise<Location> {
    const chain = await this.chain(start);
    const chainEnd = end - 1 > start ? await this.chain(end - 1) : chain;
    if (chain.length === 0) return { label: (await this.structure(0, this.source.size, 0)).fallback, chain, chainEnd };
    let label = describe(chain, start);
    const inner = chain[chain.length - 1];
    if (inner && !chainEnd.includes(inner) && chainEnd.length > 0) label += ` … through ${describe(chainEnd, end - 1)}`;
    return { label, chain, chainEnd };
  }
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
