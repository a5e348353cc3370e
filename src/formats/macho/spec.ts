// Mach-O, after <mach-o/loader.h>, <mach-o/fat.h>, <mach-o/nlist.h>, <mach-o/stab.h>
// and the code signature layout of <Kernel/kern/cs_blobs.h>.

export const MH_MAGIC = 0xfeedface;
export const MH_CIGAM = 0xcefaedfe;
export const MH_MAGIC_64 = 0xfeedfacf;
export const MH_CIGAM_64 = 0xcffaedfe;
/** Fat headers are always big-endian. */
export const FAT_MAGIC = 0xcafebabe;
export const FAT_MAGIC_64 = 0xcafebabf;
/** 0xcafebabe also starts Java class files; real fat files hold few slices. */
export const FAT_MAX_ARCHS = 64;
/**
 * cputype values of <mach/machine.h> (with CPU_ARCH_ABI64 / ABI64_32 for the 64-bit
 * ones). Every one has 0 in its second-lowest byte, where a Java class file has the tag
 * of its first constant (never 0): a fat header whose first fat_arch holds one of these
 * is a fat file even when nfat_arch is out of range, i.e. a damaged one.
 */
export const FAT_CPU_TYPES: ReadonlySet<number> = new Set([
  6, 7, 10, 11, 12, 13, 14, 15, 18, 0x01000007, 0x0100000c, 0x0200000c, 0x01000012,
]);

/** struct mach_header(_64). */
export const mh_cputype = 4;
export const mh_filetype = 12;
export const mh_ncmds = 16;
export const mh_sizeofcmds = 20;
export const MACH_HEADER_SIZE = 28;
export const MACH_HEADER_64_SIZE = 32;
export const MH_OBJECT = 0x1;

/** struct fat_header, fat_arch, fat_arch_64. */
export const FAT_HEADER_SIZE = 8;
export const FAT_ARCH_SIZE = 20;
export const FAT_ARCH_64_SIZE = 32;

/** struct load_command. */
export const lc_cmd = 0;
export const lc_cmdsize = 4;
export const LOAD_COMMAND_SIZE = 8;

export const LC_SYMTAB = 0x2;
export const LC_LOAD_DYLIB = 0xc;
export const LC_ID_DYLIB = 0xd;
export const LC_UUID = 0x1b;
export const LC_CODE_SIGNATURE = 0x1d;
export const LC_LAZY_LOAD_DYLIB = 0x20;
export const LC_REQ_DYLD = 0x80000000;
export const LC_LOAD_WEAK_DYLIB = 0x18 | LC_REQ_DYLD;
export const LC_REEXPORT_DYLIB = 0x1f | LC_REQ_DYLD;
export const LC_LOAD_UPWARD_DYLIB = 0x23 | LC_REQ_DYLD;

export const DYLIB_COMMANDS: Record<number, string> = {
  [LC_ID_DYLIB]: 'LC_ID_DYLIB',
  [LC_LOAD_DYLIB]: 'LC_LOAD_DYLIB',
  [LC_LOAD_WEAK_DYLIB]: 'LC_LOAD_WEAK_DYLIB',
  [LC_REEXPORT_DYLIB]: 'LC_REEXPORT_DYLIB',
  [LC_LAZY_LOAD_DYLIB]: 'LC_LAZY_LOAD_DYLIB',
  [LC_LOAD_UPWARD_DYLIB]: 'LC_LOAD_UPWARD_DYLIB',
};

/** struct dylib_command: cmd, cmdsize, dylib.name (lc_str), dylib.timestamp, ... */
export const dylib_timestamp = 12;
export const DYLIB_COMMAND_SIZE = 24;
/** struct uuid_command. */
export const uuid_uuid = 8;
export const UUID_COMMAND_SIZE = 24;
/** struct symtab_command. */
export const symtab_symoff = 8;
export const symtab_nsyms = 12;
export const symtab_stroff = 16;
export const symtab_strsize = 20;

/**
 * struct segment_command / segment_command_64 and the struct section / section_64 after
 * it (mach-o/loader.h): nsects, and per section its file offset and size.
 */
export const LC_SEGMENT = 0x1;
export const LC_SEGMENT_64 = 0x19;
export const SEGMENT_COMMAND_SIZE = 56;
export const SEGMENT_COMMAND_64_SIZE = 72;
export const segment_nsects = 48;
export const segment64_nsects = 64;
export const SECTION_SIZE = 68;
export const SECTION_64_SIZE = 80;
export const section_sectname = 0;
export const section_segname = 16;
export const section_size = 36;
export const section_offset = 40;
export const section_flags = 56;
export const section64_size = 40;
export const section64_offset = 48;
export const section64_flags = 64;
/** flags & SECTION_TYPE: sections with no bytes in the file. */
export const SECTION_TYPE = 0xff;
export const ZEROFILL_TYPES = new Set([0x1, 0xc, 0x12]);
export const SYMTAB_COMMAND_SIZE = 24;
/** struct linkedit_data_command. */
export const linkedit_dataoff = 8;
export const linkedit_datasize = 12;
export const LINKEDIT_DATA_COMMAND_SIZE = 16;

/** struct nlist / nlist_64. */
export const NLIST_SIZE = 12;
export const NLIST_64_SIZE = 16;
export const n_type = 4;
export const n_value = 8;
/** Stab: the debug map's object file, n_value = its modification time. */
export const N_OSO = 0x66;

// Code signature: big-endian blobs.
export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
export const CSSLOT_ALTERNATE_CODEDIRECTORY_MAX = 5;
export const CSSLOT_SIGNATURESLOT = 0x10000;
export const SUPERBLOB_HEADER_SIZE = 12;
export const BLOB_INDEX_SIZE = 8;
/** An empty CMS wrapper (magic + length) is what an ad-hoc signature may carry. */
export const EMPTY_BLOB_SIZE = 8;

/** CS_CodeDirectory fields. */
export const cd_length = 4;
export const cd_version = 8;
export const cd_flags = 12;
export const cd_hashOffset = 16;
export const cd_nSpecialSlots = 24;
export const cd_nCodeSlots = 28;
export const cd_codeLimit = 32;
export const cd_hashSize = 36;
export const cd_hashType = 37;
export const cd_pageSize = 39;
export const cd_codeLimit64 = 56;
export const CD_MIN_SIZE = 44;
/** Size of the CodeDirectory header by version: the hash slots must start after it. */
export function codeDirectoryHeaderSize(version: number): number {
  if (version >= 0x20400) return 0x58;
  if (version >= 0x20300) return 0x40;
  if (version >= 0x20200) return 0x34;
  if (version >= 0x20100) return 0x30;
  return CD_MIN_SIZE;
}
export const CS_SUPPORTSCODELIMIT64 = 0x20300;
export const CS_ADHOC = 0x2;

export const CS_HASHTYPES: Record<number, { algorithm: string; size: number; name: string }> = {
  1: { algorithm: 'sha1', size: 20, name: 'SHA-1' },
  2: { algorithm: 'sha256', size: 32, name: 'SHA-256' },
  3: { algorithm: 'sha256', size: 20, name: 'SHA-256 (truncated)' },
  4: { algorithm: 'sha384', size: 48, name: 'SHA-384' },
};
