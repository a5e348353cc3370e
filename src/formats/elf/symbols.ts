// Where in the program bytes lie: the functions (STT_FUNC) and data objects (STT_OBJECT)
// of .symtab, or of .dynsym when the file is stripped, with their bytes in the file. A
// symbol's st_value is an address (executables, shared objects) or an offset in its
// section (relocatable objects); st_shndx names the section either way.
import type { FormatSymbol } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { hasContents, ints, readElf, readLarge, type ElfFile, type ElfSection } from './file.js';
import * as S from './spec.js';

const EM_ARM = 40;

export async function elfSymbols(r: RangeReader): Promise<FormatSymbol[]> {
  const elf = await readElf(r);
  const symtab = elf.sections.find((s) => s.type === S.SHT_SYMTAB && hasContents(s)) ?? elf.sections.find((s) => s.type === S.SHT_DYNSYM && hasContents(s));
  if (!symtab) return [];
  return readSymbols(r, elf, symtab);
}

async function readSymbols(r: RangeReader, elf: ElfFile, symtab: ElfSection): Promise<FormatSymbol[]> {
  const { L } = elf;
  const I = ints(elf.is64, elf.le);
  const strtab = elf.sections[symtab.link];
  if (!strtab || strtab.type !== S.SHT_STRTAB || !hasContents(strtab)) return [];
  const table = await readLarge(r, symtab.offset, symtab.size - (symtab.size % L.symentsize), `symbol table ${symtab.name}`);
  const names = await readLarge(r, strtab.offset, strtab.size, `string table ${strtab.name}`);
  const out: FormatSymbol[] = [];
  const seen = new Set<string>();
  for (let at = L.symentsize; at + L.symentsize <= table.length; at += L.symentsize) {
    const info = table[at + L.st_info];
    const type = info & 0xf;
    if (type !== S.STT_FUNC && type !== S.STT_OBJECT) continue;
    const shndx = I.u16(table, at + L.st_shndx);
    const size = I.word(table, at + L.st_size);
    const sec = elf.sections[shndx];
    if (shndx === S.SHN_UNDEF || shndx >= S.SHN_LORESERVE || !sec || !hasContents(sec) || size === 0) continue;
    let value = I.word(table, at + L.st_value);
    // Thumb functions have bit 0 set in st_value: the code starts one byte lower.
    if (elf.machine === EM_ARM && type === S.STT_FUNC) value &= ~1;
    const inSection = elf.type === S.ET_REL ? value : value - sec.addr;
    if (inSection < 0 || inSection >= sec.size) continue;
    const nameAt = I.u32(table, at + L.st_name);
    if (nameAt >= names.length) continue;
    const nul = names.indexOf(0, nameAt);
    const name = names.toString('latin1', nameAt, nul < 0 ? names.length : nul);
    if (name === '') continue;
    const start = sec.offset + inSection;
    const end = sec.offset + Math.min(sec.size, inSection + size);
    // Aliases (two names, one function) are listed once, by their first name.
    const key = `${start}:${end}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ name, start, end, kind: type === S.STT_FUNC ? 'function' : 'object' });
  }
  return out;
}
