// bFLT, the uClinux flat binary (uClinux elf2flt's flat.h, struct flat_hdr): 64 bytes of
// big-endian words. Version 4 added build_date; version 2 has none.

export const MAGIC = 'bFLT';
export const HEADER_SIZE = 64;
export const OFF_REV = 4;
export const OFF_ENTRY = 8;
export const OFF_DATA_START = 12;
export const OFF_DATA_END = 16;
export const OFF_BSS_END = 20;
export const OFF_STACK_SIZE = 24;
export const OFF_RELOC_START = 28;
export const OFF_RELOC_COUNT = 32;
export const OFF_FLAGS = 36;
/** build_date: when the binary was made, seconds since 1970 (version 4). */
export const OFF_BUILD_DATE = 40;
/** filler[5] after it, zero. */
export const OFF_FILLER = 44;

export const REV_OLD = 2;
export const REV = 4;
/** Relocation entries are 32-bit words. */
export const RELOC_SIZE = 4;

/** flags: FLAT_FLAG_RAM 1, GOTPIC 2, GZIP 4 (all but the header compressed), GZDATA 8 (data compressed), KTRACE 16. */
export const FLAG_GZIP = 0x4;
export const FLAG_GZDATA = 0x8;
