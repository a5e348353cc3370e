// The ELF object file format: constants and structure layouts from the System V ABI
// (gABI, "Object Files" chapter, as maintained at https://www.sco.com/developers/gabi/
// and in glibc's elf.h). Offsets are given for both classes: ELFCLASS32 and ELFCLASS64.

/** e_ident[EI_MAG0..EI_MAG3]. */
export const ELFMAG = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);
export const EI_CLASS = 4;
export const EI_DATA = 5;
export const EI_VERSION = 6;
export const EI_NIDENT = 16;
export const ELFCLASS32 = 1;
export const ELFCLASS64 = 2;
export const ELFDATA2LSB = 1;
export const ELFDATA2MSB = 2;
export const EV_CURRENT = 1;

/** e_type values. */
export const ET_NONE = 0;
export const ET_REL = 1;
export const ET_EXEC = 2;
export const ET_DYN = 3;
export const ET_CORE = 4;
export const ET_NAMES: Record<number, string> = {
  [ET_REL]: 'relocatable object',
  [ET_EXEC]: 'executable',
  [ET_DYN]: 'shared object (or position-independent executable)',
  [ET_CORE]: 'core file',
};

/** Field offsets of Elf32_Ehdr / Elf64_Ehdr, and of the other structures, per class. */
export interface Layout {
  ehsize: number;
  e_type: number;
  e_machine: number;
  e_version: number;
  e_entry: number;
  e_phoff: number;
  e_shoff: number;
  e_flags: number;
  e_ehsize: number;
  e_phentsize: number;
  e_phnum: number;
  e_shentsize: number;
  e_shnum: number;
  e_shstrndx: number;
  /** Width of an address / offset / size field (Elf32_Addr or Elf64_Addr). */
  word: 4 | 8;
  shentsize: number;
  sh_name: number;
  sh_type: number;
  sh_flags: number;
  sh_addr: number;
  sh_offset: number;
  sh_size: number;
  sh_link: number;
  sh_info: number;
  sh_addralign: number;
  sh_entsize: number;
  phentsize: number;
  p_type: number;
  p_flags: number;
  p_offset: number;
  p_vaddr: number;
  p_filesz: number;
  p_memsz: number;
  symentsize: number;
  st_name: number;
  st_info: number;
  st_shndx: number;
  st_value: number;
  st_size: number;
  chdrsize: number;
  ch_type: number;
  ch_size: number;
}

export const LAYOUT32: Layout = {
  ehsize: 52,
  e_type: 16,
  e_machine: 18,
  e_version: 20,
  e_entry: 24,
  e_phoff: 28,
  e_shoff: 32,
  e_flags: 36,
  e_ehsize: 40,
  e_phentsize: 42,
  e_phnum: 44,
  e_shentsize: 46,
  e_shnum: 48,
  e_shstrndx: 50,
  word: 4,
  shentsize: 40,
  sh_name: 0,
  sh_type: 4,
  sh_flags: 8,
  sh_addr: 12,
  sh_offset: 16,
  sh_size: 20,
  sh_link: 24,
  sh_info: 28,
  sh_addralign: 32,
  sh_entsize: 36,
  phentsize: 32,
  p_type: 0,
  p_offset: 4,
  p_vaddr: 8,
  p_filesz: 16,
  p_memsz: 20,
  p_flags: 24,
  symentsize: 16,
  st_name: 0,
  st_value: 4,
  st_size: 8,
  st_info: 12,
  st_shndx: 14,
  chdrsize: 12,
  ch_type: 0,
  ch_size: 4,
};

export const LAYOUT64: Layout = {
  ehsize: 64,
  e_type: 16,
  e_machine: 18,
  e_version: 20,
  e_entry: 24,
  e_phoff: 32,
  e_shoff: 40,
  e_flags: 48,
  e_ehsize: 52,
  e_phentsize: 54,
  e_phnum: 56,
  e_shentsize: 58,
  e_shnum: 60,
  e_shstrndx: 62,
  word: 8,
  shentsize: 64,
  sh_name: 0,
  sh_type: 4,
  sh_flags: 8,
  sh_addr: 16,
  sh_offset: 24,
  sh_size: 32,
  sh_link: 40,
  sh_info: 44,
  sh_addralign: 48,
  sh_entsize: 56,
  phentsize: 56,
  p_type: 0,
  p_flags: 4,
  p_offset: 8,
  p_vaddr: 16,
  p_filesz: 32,
  p_memsz: 40,
  symentsize: 24,
  st_name: 0,
  st_info: 4,
  st_shndx: 6,
  st_value: 8,
  st_size: 16,
  chdrsize: 24,
  ch_type: 0,
  ch_size: 8,
};

/** Special section indexes. */
export const SHN_UNDEF = 0;
export const SHN_LORESERVE = 0xff00;
export const SHN_XINDEX = 0xffff;
/** e_phnum value meaning "the count is in section 0's sh_info". */
export const PN_XNUM = 0xffff;

/** sh_type values. */
export const SHT_NULL = 0;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;

/** sh_flags bits. */
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;
export const SHF_COMPRESSED = 0x800;

/** Elf_Chdr ch_type. */
export const ELFCOMPRESS_ZLIB = 1;
export const ELFCOMPRESS_ZSTD = 2;

/** p_type values. */
export const PT_NAMES: Record<number, string> = {
  0: 'PT_NULL',
  1: 'PT_LOAD',
  2: 'PT_DYNAMIC',
  3: 'PT_INTERP',
  4: 'PT_NOTE',
  5: 'PT_SHLIB',
  6: 'PT_PHDR',
  7: 'PT_TLS',
  0x6474e550: 'PT_GNU_EH_FRAME',
  0x6474e551: 'PT_GNU_STACK',
  0x6474e552: 'PT_GNU_RELRO',
  0x6474e553: 'PT_GNU_PROPERTY',
};
export const PT_LOAD = 1;

/** ELF{32,64}_ST_TYPE(st_info). */
export const STT_OBJECT = 1;
export const STT_FUNC = 2;

/** Note type of the GNU build ID (owner "GNU"). */
export const NT_GNU_BUILD_ID = 3;
