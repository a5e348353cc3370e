// The ar archive format as the System V, GNU, BSD and Microsoft tools write it.
// References: binutils include/aout/ar.h, FreeBSD ar(5), the Microsoft PE/COFF
// specification ("Archive (Library) File Format").

/** Global header of an archive holding its members' data. */
export const ARMAG = '!<arch>\n';
/** Global header of a GNU thin archive: member headers only, data stays in the member files. */
export const ARMAG_THIN = '!<thin>\n';
export const SARMAG = 8;

/** struct ar_hdr: every field is ASCII, left-aligned, padded with spaces. */
export const AR_HDR_SIZE = 60;
export const ar_name = { offset: 0, size: 16 } as const;
export const ar_date = { offset: 16, size: 12 } as const;
export const ar_uid = { offset: 28, size: 6 } as const;
export const ar_gid = { offset: 34, size: 6 } as const;
export const ar_mode = { offset: 40, size: 8 } as const;
export const ar_size = { offset: 48, size: 10 } as const;
export const ar_fmag = { offset: 58, size: 2 } as const;
export const ARFMAG = '`\n';

/** Member data is padded to an even offset with one '\n'. */
export const AR_PAD = 0x0a;

/** GNU/SysV symbol table (32-bit offsets); also the MSVC first and second linker members. */
export const GNU_SYMTAB = '/';
/** GNU 64-bit symbol table. */
export const GNU_SYMTAB64 = '/SYM64/';
/** GNU/MSVC long-name table; members named "/<decimal offset>" point into it. */
export const GNU_LONGNAMES = '//';
/** BSD: the real name (N bytes) is the first N bytes of the member data. */
export const BSD_LONGNAME_PREFIX = '#1/';
/** BSD symbol tables: __.SYMDEF, __.SYMDEF SORTED, __.SYMDEF_64, __.SYMDEF_64 SORTED. */
export const BSD_SYMTAB_PREFIX = '__.SYMDEF';
/** The 64-bit BSD symbol tables (ranlib entries and sizes of 8 bytes). */
export const BSD_SYMTAB64_PREFIX = '__.SYMDEF_64';
/** A BSD symbol table whose ranlib entries are sorted by name. */
export const BSD_SORTED_SUFFIX = ' SORTED';

/** The values `ar D` and `llvm-ar D` write for a member (binutils and LLVM agree). */
export const DETERMINISTIC_UID = 0;
export const DETERMINISTIC_GID = 0;
export const DETERMINISTIC_MODE = 0o644;
/** Symbol tables get mode 0 from both tools, in U and D mode alike. */
export const DETERMINISTIC_INDEX_MODE = 0;
