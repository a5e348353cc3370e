// The tar archive format: POSIX ustar and pax (IEEE Std 1003.1, "pax - portable archive
// interchange"), the GNU and old GNU formats (GNU tar manual, "Basic Tar Format"), and
// the v7 header they all extend. Every header is one 512-byte block; numeric fields are
// octal ASCII, or (GNU, star) base-256 binary when the first byte has its high bit set.

export const BLOCK = 512;

export type Field = { readonly offset: number; readonly size: number };

/** struct posix_header (ustar), the v7 part first. */
export const name = { offset: 0, size: 100 } as const;
export const mode = { offset: 100, size: 8 } as const;
export const uid = { offset: 108, size: 8 } as const;
export const gid = { offset: 116, size: 8 } as const;
export const size = { offset: 124, size: 12 } as const;
export const mtime = { offset: 136, size: 12 } as const;
export const chksum = { offset: 148, size: 8 } as const;
export const typeflag = { offset: 156, size: 1 } as const;
export const linkname = { offset: 157, size: 100 } as const;
/** ustar and GNU only (v7 headers end at 257 with NULs). */
export const magic = { offset: 257, size: 6 } as const;
export const version = { offset: 263, size: 2 } as const;
export const uname = { offset: 265, size: 32 } as const;
export const gname = { offset: 297, size: 32 } as const;
export const devmajor = { offset: 329, size: 8 } as const;
export const devminor = { offset: 337, size: 8 } as const;
/** ustar: the path prefix. */
export const prefix = { offset: 345, size: 155 } as const;
/** GNU (struct oldgnu_header): atime and ctime where ustar has its prefix, written by incremental dumps. */
export const gnuAtime = { offset: 345, size: 12 } as const;
export const gnuCtime = { offset: 357, size: 12 } as const;
/** GNU sparse 'S' headers: the "more sparse descriptors follow" flag. */
export const gnuIsExtended = { offset: 482, size: 1 } as const;
/** In a sparse extension block (struct sparse_header): 21 descriptors, then this flag. */
export const sparseExtIsExtended = { offset: 504, size: 1 } as const;

/** POSIX: "ustar\0" then version "00". */
export const USTAR_MAGIC = 'ustar\0';
export const USTAR_VERSION = '00';
/** GNU: "ustar " then version " \0", i.e. "ustar  \0" over both fields. */
export const GNU_MAGIC = 'ustar  \0';

/** The checksum as GNU tar and libarchive write it: six octal digits, NUL, space. */
export const CHKSUM_DIGITS = 6;

/** Type flags. '\0' is the v7 regular file. */
export const REGTYPE = '0';
export const AREGTYPE = '\0';
export const LNKTYPE = '1';
export const SYMTYPE = '2';
export const CHRTYPE = '3';
export const BLKTYPE = '4';
export const DIRTYPE = '5';
export const FIFOTYPE = '6';
export const CONTTYPE = '7';
/** pax extended header for the next entry, and global extended header. */
export const XHDTYPE = 'x';
export const XGLTYPE = 'g';
/** GNU: long name and long link name of the next entry, in this entry's data. */
export const GNUTYPE_LONGNAME = 'L';
export const GNUTYPE_LONGLINK = 'K';
/** GNU: sparse file (old GNU sparse map in the header). */
export const GNUTYPE_SPARSE = 'S';

/** Entries whose data, if any, is the file's bytes. */
export const FILE_TYPES = new Set([REGTYPE, AREGTYPE, CONTTYPE]);
/** Entries that carry no data: POSIX wants size 0, and readers disagree about any data after them. */
export const HEADER_ONLY_TYPES = new Set([LNKTYPE, SYMTYPE, CHRTYPE, BLKTYPE, DIRTYPE, FIFOTYPE]);
/** Character and block devices: the only entries whose devmajor/devminor mean something. */
export const DEVICE_TYPES = new Set([CHRTYPE, BLKTYPE]);

/** pax keywords holding a time ("seconds[.fraction]" since the epoch). */
export const PAX_TIMES = new Set(['mtime', 'atime', 'ctime', 'LIBARCHIVE.creationtime']);
/** Vendor keywords ending in "time" are times too (star's SCHILY.*, libarchive's LIBARCHIVE.*). */
export const PAX_VENDOR_TIME = /^(SCHILY|LIBARCHIVE)\.[A-Za-z0-9_.]*time$/;
export const PAX_IDS = new Set(['uid', 'gid']);
export const PAX_NAMES = new Set(['uname', 'gname']);
/** pax keywords of GNU sparse files: the entry's data is a sparse map and pieces, not the file. */
export const PAX_SPARSE = /^GNU\.sparse\./;

/** What GNU tar's reproducible flags (--owner=0 --group=0 --numeric-owner --mtime) write. */
export const DETERMINISTIC_ID = 0;
