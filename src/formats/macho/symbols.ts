// Where in a Mach-O program bytes lie: the symbols of LC_SYMTAB defined in a section
// (N_SECT), and the function starts of LC_FUNCTION_STARTS. nlist entries carry no size: a
// symbol runs to the next symbol or function start in its section, or to the section's
// end. Names lose the leading underscore the Darwin ABI adds to every C name, so C++
// names (`__Z...`) demangle like on other systems. A fat file has none of its own: its
// slices are members, whose symbols `explain` reads when it descends into them.
import type { FormatSymbol } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { loadCommands } from './regions.js';
import * as S from './spec.js';

const LC_SEGMENT = 0x1;
const LC_SEGMENT_64 = 0x19;
const LC_FUNCTION_STARTS = 0x26;
const N_STAB = 0xe0;
const N_TYPE = 0x0e;
const N_SECT = 0x0e;
const S_ATTR_PURE_INSTRUCTIONS = 0x80000000;
const S_ATTR_SOME_INSTRUCTIONS = 0x400;
const ZEROFILL = new Set([0x1, 0xc, 0x12]);
/** Symbol tables larger than this are not read (explain only names what it can cheaply). */
const MAX_SYMBOLS = 1 << 20;

interface Section {
  addr: number;
  size: number;
  offset: number;
  code: boolean;
}

export async function machoSymbols(r: RangeReader): Promise<FormatSymbol[]> {
  const magic = (await r.read(0, 4, 'magic')).readUInt32BE(0);
  if (magic !== S.MH_MAGIC && magic !== S.MH_CIGAM && magic !== S.MH_MAGIC_64 && magic !== S.MH_CIGAM_64) return [];
  const { is64, u32, u64, ncmds, cmds } = await loadCommands(r, magic);
  const sections: Section[] = [];
  let textAddr: number | undefined;
  let symtab: { symoff: number; nsyms: number; stroff: number; strsize: number } | undefined;
  let starts: { off: number; size: number } | undefined;
  for (let i = 0, pos = 0; i < ncmds && pos + 8 <= cmds.length; i++) {
    const cmd = u32(cmds, pos);
    const cmdsize = u32(cmds, pos + 4);
    if (cmdsize < 8 || pos + cmdsize > cmds.length) break;
    if (cmd === LC_SEGMENT || cmd === LC_SEGMENT_64) {
      const segname = cmds.toString('latin1', pos + 8, pos + 24).replace(/\0.*$/s, '');
      if (segname === '__TEXT') textAddr = is64 ? u64(cmds, pos + 24) : u32(cmds, pos + 24);
      const nsects = u32(cmds, pos + (is64 ? 64 : 48));
      const sectSize = is64 ? 80 : 68;
      for (let k = 0, s = pos + (is64 ? 72 : 56); k < nsects && s + sectSize <= pos + cmdsize; k++, s += sectSize) {
        const flags = u32(cmds, s + (is64 ? 64 : 56));
        sections.push({
          addr: is64 ? u64(cmds, s + 32) : u32(cmds, s + 32),
          size: is64 ? u64(cmds, s + 40) : u32(cmds, s + 36),
          offset: ZEROFILL.has(flags & 0xff) ? 0 : u32(cmds, s + (is64 ? 48 : 40)),
          code: (flags & (S_ATTR_PURE_INSTRUCTIONS | S_ATTR_SOME_INSTRUCTIONS)) !== 0,
        });
      }
    } else if (cmd === S.LC_SYMTAB) {
      symtab = { symoff: u32(cmds, pos + 8), nsyms: u32(cmds, pos + 12), stroff: u32(cmds, pos + 16), strsize: u32(cmds, pos + 20) };
    } else if (cmd === LC_FUNCTION_STARTS) {
      starts = { off: u32(cmds, pos + 8), size: u32(cmds, pos + 12) };
    }
    pos += cmdsize;
  }

  // Named starts: section index (1-based, as n_sect counts) -> address -> name.
  const named: { sect: number; addr: number; name: string }[] = [];
  if (symtab && symtab.nsyms <= MAX_SYMBOLS && symtab.strsize <= 64 << 20) {
    const entry = is64 ? S.NLIST_64_SIZE : S.NLIST_SIZE;
    const table = await r.readChunked(symtab.symoff, symtab.nsyms * entry, 'symbol table');
    const strings = await r.readChunked(symtab.stroff, symtab.strsize, 'string table');
    for (let k = 0; k < symtab.nsyms; k++) {
      const at = k * entry;
      const type = table[at + 4];
      const sect = table[at + 5];
      if (type & N_STAB || (type & N_TYPE) !== N_SECT || sect === 0 || sect > sections.length) continue;
      const strx = u32(table, at);
      if (strx === 0 || strx >= strings.length) continue;
      const nul = strings.indexOf(0, strx);
      let name = strings.toString('latin1', strx, nul < 0 ? strings.length : nul);
      // Assembler-local labels (ltmp0, l_.str) are not what a person looks for.
      if (name === '' || /^l/.test(name)) continue;
      if (name.startsWith('_')) name = name.slice(1);
      named.push({ sect, addr: is64 ? u64(table, at + 8) : u32(table, at + 8), name });
    }
  }
  // Function starts without a name still bound the functions before them.
  const unnamed: number[] = [];
  if (starts && textAddr !== undefined && starts.size <= 16 << 20) {
    const data = await r.readChunked(starts.off, starts.size, 'function starts');
    let addr = textAddr;
    for (let i = 0; i < data.length; ) {
      let delta = 0;
      let shift = 0;
      let byte: number;
      do {
        byte = data[i++];
        delta += (byte & 0x7f) * 2 ** shift;
        shift += 7;
      } while (byte & 0x80 && i < data.length && shift < 64);
      if (delta === 0) break;
      addr += delta;
      unnamed.push(addr);
    }
  }

  const out: FormatSymbol[] = [];
  sections.forEach((sec, i) => {
    if (sec.offset === 0 || sec.size === 0) return;
    const inSec = (a: number) => a >= sec.addr && a < sec.addr + sec.size;
    const mine = named.filter((n) => n.sect === i + 1 && inSec(n.addr));
    const names = new Map<number, string>();
    for (const n of mine) if (!names.has(n.addr)) names.set(n.addr, n.name);
    const bounds = [...new Set([...names.keys(), ...unnamed.filter(inSec)])].sort((x, y) => x - y);
    bounds.forEach((addr, k) => {
      const end = k + 1 < bounds.length ? bounds[k + 1] : sec.addr + sec.size;
      const name = names.get(addr) ?? (sec.code ? `function at 0x${addr.toString(16)}` : undefined);
      if (name === undefined) return;
      const start = sec.offset + (addr - sec.addr);
      const stop = Math.min(sec.offset + (end - sec.addr), r.size);
      if (start < stop) out.push({ name, start, end: stop, kind: sec.code ? 'function' : 'object' });
    });
  });
  return out;
}

