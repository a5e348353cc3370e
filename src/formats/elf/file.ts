// Reading an ELF file's structure: the header, the program header table, the section
// header table and the section names, every offset and size checked against the file.
// Shared by the planner (which only checks and notes), the regions and the symbols.
import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
  /** Offset of its section header, for messages. */
  header: number;
}

export interface ElfSegment {
  index: number;
  type: number;
  flags: number;
  offset: number;
  vaddr: number;
  filesz: number;
  memsz: number;
  header: number;
}

export interface ElfFile {
  is64: boolean;
  le: boolean;
  L: S.Layout;
  type: number;
  machine: number;
  phoff: number;
  shoff: number;
  /** e_ehsize as stored. */
  ehsize: number;
  sections: ElfSection[];
  segments: ElfSegment[];
  shstrndx: number;
}

/** Integer reads in the file's byte order and class. */
export interface Ints {
  u16(b: Buffer, at: number): number;
  u32(b: Buffer, at: number): number;
  /** An address / offset / size field (32 or 64 bits); 64-bit values past 2^53 come out approximate. */
  word(b: Buffer, at: number): number;
}

export function ints(is64: boolean, le: boolean): Ints {
  const u32 = (b: Buffer, at: number) => (le ? b.readUInt32LE(at) : b.readUInt32BE(at));
  return {
    u16: (b, at) => (le ? b.readUInt16LE(at) : b.readUInt16BE(at)),
    u32,
    word: is64 ? (le ? word64le : word64be) : u32,
  };
}

/** High halves below this make a value below 2^53: exact as two 32-bit reads, no BigInt made. */
const HIGH_EXACT = 1 << 21;

function word64le(b: Buffer, at: number): number {
  const high = b.readUInt32LE(at + 4);
  return high < HIGH_EXACT ? high * 2 ** 32 + b.readUInt32LE(at) : Number(b.readBigUInt64LE(at));
}

function word64be(b: Buffer, at: number): number {
  const high = b.readUInt32BE(at);
  return high < HIGH_EXACT ? high * 2 ** 32 + b.readUInt32BE(at + 4) : Number(b.readBigUInt64BE(at));
}

/** Tables larger than this (section headers, string tables, symbols) are not read whole. */
export const MAX_TABLE = 64 << 20;

/** [offset, offset+length) read in pieces one read may take. */
export async function readLarge(r: RangeReader, offset: number, length: number, what: string): Promise<Buffer> {
  if (length > MAX_TABLE) throw new FormatError(`${what} at ${hex(offset)}: ${length} bytes is more than unstamp reads of one table`, r.base + offset);
  if (offset + length > r.size) {
    // The offset named is where the bytes run out: a span that starts past the end names the end.
    throw new FormatError(`${what} at ${hex(offset)} (${hex(length)} bytes) runs past the end of the file (size ${hex(r.size)})`, r.base + Math.max(0, Math.min(offset, r.size - 1)));
  }
  const parts: Buffer[] = [];
  for (let at = 0; at < length; at += MAX_READ) parts.push(await r.read(offset + at, Math.min(MAX_READ, length - at), what));
  return parts.length === 1 ? parts[0] : Buffer.concat(parts);
}

/** The NUL-terminated string at `at` of a string table, or a FormatError naming the table. */
export function tableString(table: Buffer, at: number, what: string, tableOffset: number, base: number): string {
  if (at >= table.length) {
    throw new FormatError(`${what}: name offset ${hex(at)} lies past the end of its string table at ${hex(tableOffset)} (size ${hex(table.length)})`, base + tableOffset);
  }
  const nul = table.indexOf(0, at);
  if (nul < 0) throw new FormatError(`${what}: the name at ${hex(tableOffset + at)} has no terminating NUL in its string table`, base + tableOffset + at);
  return table.toString('latin1', at, nul);
}

/** Whether e_ident[EI_CLASS/EI_DATA] say 64-bit / little-endian; a FormatError for other values. */
export function identOf(head: Buffer, base: number): { is64: boolean; le: boolean } {
  const cls = head[S.EI_CLASS];
  const data = head[S.EI_DATA];
  if (cls !== S.ELFCLASS32 && cls !== S.ELFCLASS64) throw new FormatError(`ELF header at 0x0: EI_CLASS ${cls} is neither ELFCLASS32 (1) nor ELFCLASS64 (2)`, base + S.EI_CLASS);
  if (data !== S.ELFDATA2LSB && data !== S.ELFDATA2MSB) throw new FormatError(`ELF header at 0x0: EI_DATA ${data} is neither ELFDATA2LSB (1) nor ELFDATA2MSB (2)`, base + S.EI_DATA);
  if (head[S.EI_VERSION] !== S.EV_CURRENT) throw new FormatError(`ELF header at 0x0: EI_VERSION ${head[S.EI_VERSION]} is not EV_CURRENT (1)`, base + S.EI_VERSION);
  return { is64: cls === S.ELFCLASS64, le: data === S.ELFDATA2LSB };
}

/** The ELF header only: class, byte order, type; for detection of core files before the tables are read. */
export async function readHeader(r: RangeReader): Promise<{ is64: boolean; le: boolean; L: S.Layout; h: Buffer; type: number }> {
  const ident = await r.read(0, S.EI_NIDENT, 'ELF identification (e_ident)');
  const { is64, le } = identOf(ident, r.base);
  const L = is64 ? S.LAYOUT64 : S.LAYOUT32;
  const h = await r.read(0, L.ehsize, `ELF${is64 ? 64 : 32} header`);
  return { is64, le, L, h, type: ints(is64, le).u16(h, L.e_type) };
}

/**
 * The whole structure. Every table must lie inside the file, entries must have the
 * size of this class, and every section with contents must lie inside the file; a
 * section name must lie in the section name table.
 */
export async function readElf(r: RangeReader): Promise<ElfFile> {
  const { is64, le, L, h, type } = await readHeader(r);
  const I = ints(is64, le);
  const base = r.base;
  const phoff = I.word(h, L.e_phoff);
  const shoff = I.word(h, L.e_shoff);
  let phnum = I.u16(h, L.e_phnum);
  let shnum = I.u16(h, L.e_shnum);
  let shstrndx = I.u16(h, L.e_shstrndx);
  const file: ElfFile = { is64, le, L, type, machine: I.u16(h, L.e_machine), phoff, shoff, ehsize: I.u16(h, L.e_ehsize), sections: [], segments: [], shstrndx: 0 };

  if (shoff !== 0) {
    const entsize = I.u16(h, L.e_shentsize);
    if (entsize !== L.shentsize) {
      throw new FormatError(`ELF header at 0x0: e_shentsize ${entsize} is not the size of an Elf${is64 ? 64 : 32}_Shdr (${L.shentsize})`, base + L.e_shentsize);
    }
    if (shoff > r.size - L.shentsize) {
      throw new FormatError(`ELF header at 0x0: e_shoff ${hex(shoff)} puts the section header table past the end of the file (size ${hex(r.size)})`, base + L.e_shoff);
    }
    // Extended numbering: counts that do not fit 16 bits are kept in section header 0.
    const first = await r.read(shoff, L.shentsize, 'section header 0');
    if (shnum === 0) shnum = I.word(first, L.sh_size);
    if (shstrndx === S.SHN_XINDEX) shstrndx = I.u32(first, L.sh_link);
    if (phnum === S.PN_XNUM) phnum = I.u32(first, L.sh_info);
    if (shnum * L.shentsize > r.size - shoff) {
      throw new FormatError(
        `ELF header at 0x0: the section header table at ${hex(shoff)} (${shnum} entries of ${L.shentsize} bytes) runs past the end of the file (size ${hex(r.size)})`,
        base + L.e_shoff,
      );
    }
  } else shnum = 0;

  if (phoff !== 0 && phnum > 0) {
    const entsize = I.u16(h, L.e_phentsize);
    if (entsize !== L.phentsize) {
      throw new FormatError(`ELF header at 0x0: e_phentsize ${entsize} is not the size of an Elf${is64 ? 64 : 32}_Phdr (${L.phentsize})`, base + L.e_phentsize);
    }
    if (phoff > r.size || phnum * L.phentsize > r.size - phoff) {
      throw new FormatError(
        `ELF header at 0x0: the program header table at ${hex(phoff)} (${phnum} entries of ${L.phentsize} bytes) runs past the end of the file (size ${hex(r.size)})`,
        base + L.e_phoff,
      );
    }
    const table = await readLarge(r, phoff, phnum * L.phentsize, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const e = i * L.phentsize;
      const seg: ElfSegment = {
        index: i,
        type: I.u32(table, e + L.p_type),
        flags: I.u32(table, e + L.p_flags),
        offset: I.word(table, e + L.p_offset),
        vaddr: I.word(table, e + L.p_vaddr),
        filesz: I.word(table, e + L.p_filesz),
        memsz: I.word(table, e + L.p_memsz),
        header: phoff + i * L.phentsize,
      };
      if (seg.filesz > 0 && (seg.offset > r.size || seg.filesz > r.size - seg.offset)) {
        throw new FormatError(
          `program header ${i} at ${hex(seg.header)} (${S.PT_NAMES[seg.type] ?? `type ${hex(seg.type)}`}): p_offset ${hex(seg.offset)} + p_filesz ${hex(seg.filesz)} runs past the end of the file (size ${hex(r.size)})`,
          base + seg.header + L.p_offset,
        );
      }
      file.segments.push(seg);
    }
  }

  if (shnum > 0) {
    const table = await readLarge(r, shoff, shnum * L.shentsize, 'section header table');
    const nameAt: number[] = [];
    for (let i = 0; i < shnum; i++) {
      const e = i * L.shentsize;
      const sec: ElfSection = {
        index: i,
        name: '',
        type: I.u32(table, e + L.sh_type),
        flags: I.word(table, e + L.sh_flags),
        addr: I.word(table, e + L.sh_addr),
        offset: I.word(table, e + L.sh_offset),
        size: I.word(table, e + L.sh_size),
        link: I.u32(table, e + L.sh_link),
        info: I.u32(table, e + L.sh_info),
        entsize: I.word(table, e + L.sh_entsize),
        header: shoff + i * L.shentsize,
      };
      // Section 0 is the null entry (or holds the extended counts): no contents.
      if (i > 0 && hasContents(sec) && (sec.offset > r.size || sec.size > r.size - sec.offset)) {
        throw new FormatError(
          `section header ${i} at ${hex(sec.header)}: sh_offset ${hex(sec.offset)} + sh_size ${hex(sec.size)} runs past the end of the file (size ${hex(r.size)})`,
          base + sec.header + L.sh_offset,
        );
      }
      nameAt.push(I.u32(table, e + L.sh_name));
      file.sections.push(sec);
    }
    if (shstrndx !== S.SHN_UNDEF) {
      if (shstrndx >= shnum) {
        throw new FormatError(`ELF header at 0x0: e_shstrndx ${shstrndx} names no section (there are ${shnum})`, base + L.e_shstrndx);
      }
      const strtab = file.sections[shstrndx];
      if (strtab.type !== S.SHT_STRTAB) {
        throw new FormatError(`ELF header at 0x0: e_shstrndx ${shstrndx} is not a string table (section header at ${hex(strtab.header)} has sh_type ${strtab.type})`, base + L.e_shstrndx);
      }
      const names = await readLarge(r, strtab.offset, strtab.size, 'section name table');
      for (const sec of file.sections) {
        if (sec.index === 0) continue;
        sec.name = tableString(names, nameAt[sec.index], `section header ${sec.index} at ${hex(sec.header)}`, strtab.offset, base);
      }
      file.shstrndx = shstrndx;
    }
  }
  return file;
}

/** Whether a section occupies bytes of the file. */
export function hasContents(s: ElfSection): boolean {
  return s.type !== S.SHT_NOBITS && s.type !== S.SHT_NULL && s.size > 0;
}
