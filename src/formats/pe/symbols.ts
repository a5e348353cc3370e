// Where in a PE image bytes lie: the COFF symbol table where the linker kept one (mingw's
// ld does; link.exe and lld-link put symbols in the PDB instead), and the export table:
// exported functions by name, each running to the next named start of its section; and,
// when `explain` found the image's PDB beside it (same GUID), the PDB's procedures and
// public symbols, which name what neither table does (static functions of an .exe).
import type { FormatSymbol } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { pdbPlaces } from '../pdb/symbols.js';
import { coffStarts, fromStarts, readSections, type Start } from '../coff/symbols.js';

const PE32_MAGIC = 0x10b;
const PE32PLUS_MAGIC = 0x20b;
const MAX_EXPORTS = 1 << 16;

export async function peSymbols(r: RangeReader, pdb?: RangeReader): Promise<FormatSymbol[]> {
  const lfanew = (await r.read(0x3c, 4, 'e_lfanew')).readUInt32LE(0);
  const fh = await r.read(lfanew + 4, 20, 'COFF file header');
  const nsections = fh.readUInt16LE(2);
  const optSize = fh.readUInt16LE(16);
  const opt = lfanew + 24;
  const sections = await readSections(r, opt + optSize, nsections);
  const starts: Start[] = await coffStarts(r, fh.readUInt32LE(8), fh.readUInt32LE(12), sections).catch(() => []);
  const magic = (await r.read(opt, 2, 'optional header magic')).readUInt16LE(0);
  const dirs = magic === PE32PLUS_MAGIC ? opt + 112 : magic === PE32_MAGIC ? opt + 96 : 0;
  if (dirs > 0 && dirs + 8 <= opt + optSize) {
    const dir = await r.read(dirs, 8, 'export data directory');
    starts.push(...(await exportStarts(r, dir.readUInt32LE(0), sections).catch(() => [])));
  }
  if (pdb) {
    // A PDB that cannot be read names nothing; the image's own tables still do.
    const places = await pdbPlaces(pdb).catch(() => []);
    for (const p of places) {
      if (p.section >= 1 && p.section <= sections.length) starts.push({ section: p.section, at: p.at, name: p.name, func: p.func || sections[p.section - 1].code, size: p.size });
    }
  }
  return fromStarts(starts, sections, r.size);
}

async function exportStarts(r: RangeReader, rva: number, sections: Awaited<ReturnType<typeof readSections>>): Promise<Start[]> {
  if (rva === 0) return [];
  const toFile = (x: number) => {
    const i = sections.findIndex((s) => x >= s.rva && x < s.rva + s.size);
    return i < 0 ? undefined : { section: i + 1, at: x - sections[i].rva, offset: sections[i].offset + x - sections[i].rva };
  };
  const at = toFile(rva);
  if (!at) return [];
  const ed = await r.read(at.offset, 40, 'export directory');
  const nfuncs = Math.min(ed.readUInt32LE(20), MAX_EXPORTS);
  const nnames = Math.min(ed.readUInt32LE(24), MAX_EXPORTS);
  const funcs = toFile(ed.readUInt32LE(28));
  const names = toFile(ed.readUInt32LE(32));
  const ords = toFile(ed.readUInt32LE(36));
  if (!funcs || !names || !ords) return [];
  const f = await r.readChunked(funcs.offset, nfuncs * 4, 'export address table');
  const n = await r.readChunked(names.offset, nnames * 4, 'export name pointers');
  const o = await r.readChunked(ords.offset, nnames * 2, 'export ordinals');
  const out: Start[] = [];
  for (let i = 0; i < nnames; i++) {
    const ord = o.readUInt16LE(i * 2);
    if (ord >= nfuncs) continue;
    const target = toFile(f.readUInt32LE(ord * 4));
    const nameAt = toFile(n.readUInt32LE(i * 4));
    if (!target || !nameAt) continue;
    const raw = await r.readUpTo(nameAt.offset, 512, 'export name');
    const nul = raw.indexOf(0);
    if (nul <= 0) continue;
    out.push({ section: target.section, at: target.at, name: raw.toString('latin1', 0, nul), func: sections[target.section - 1].code });
  }
  return out;
}
