// The cpio archive formats as GNU cpio, libarchive (bsdtar, bsdcpio) and the Linux
// kernel (initramfs) read and write them.
// References: GNU cpio manual ("Options", the -H formats) and src/cpiohdr.h, FreeBSD
// cpio(5) (libarchive), POSIX.1-1988 "cpio Archive Format" (odc), Linux
// Documentation/driver-api/early-userspace/buffer-format.rst (newc).
//
// Every header is followed by the entry's name (c_namesize bytes, NUL included) and its
// data (c_filesize bytes). The archive ends with an entry named TRAILER!!!, then usually
// zero padding to the writer's block size (512 bytes for GNU cpio, 10240 for bsdtar).

export interface Field {
  name: string;
  offset: number;
  size: number;
}

/** How a variant stores its numbers. */
export type Encoding = 'hex' | 'octal' | 'binary';

export interface Layout {
  variant: 'newc' | 'crc' | 'odc' | 'bin';
  /** As `cpio -H` names it, for messages. */
  title: string;
  magic: string;
  encoding: Encoding;
  headerSize: number;
  /** Header plus name is padded to a multiple of this; so is the data. */
  align: number;
  /** Every field in header order, the magic included: for `explain`. */
  fields: readonly Field[];
  c_ino: Field;
  c_mode: Field;
  c_uid: Field;
  c_gid: Field;
  c_nlink: Field;
  c_mtime: Field;
  c_namesize: Field;
  c_filesize: Field;
  /** The device of the file system the file was on: c_dev, or c_devmajor + c_devminor (newc). */
  dev: readonly Field[];
  /** The device a device node stands for: c_rdev, or c_rdevmajor + c_rdevminor (newc). */
  rdev: readonly Field[];
  /** newc and crc only: the crc format's checksum (0 in newc). */
  c_check?: Field;
}

const f = (name: string, offset: number, size: number): Field => ({ name, offset, size });

/** "New ASCII" (SVR4) format: every number 8 hexadecimal digits. */
function newcLayout(variant: 'newc' | 'crc', magic: string, title: string): Layout {
  const fields = [
    f('c_magic', 0, 6),
    f('c_ino', 6, 8),
    f('c_mode', 14, 8),
    f('c_uid', 22, 8),
    f('c_gid', 30, 8),
    f('c_nlink', 38, 8),
    f('c_mtime', 46, 8),
    f('c_filesize', 54, 8),
    f('c_devmajor', 62, 8),
    f('c_devminor', 70, 8),
    f('c_rdevmajor', 78, 8),
    f('c_rdevminor', 86, 8),
    f('c_namesize', 94, 8),
    f('c_check', 102, 8),
  ];
  const by = (n: string) => fields.find((x) => x.name === n)!;
  return {
    variant,
    title,
    magic,
    encoding: 'hex',
    headerSize: 110,
    align: 4,
    fields,
    c_ino: by('c_ino'),
    c_mode: by('c_mode'),
    c_uid: by('c_uid'),
    c_gid: by('c_gid'),
    c_nlink: by('c_nlink'),
    c_mtime: by('c_mtime'),
    c_namesize: by('c_namesize'),
    c_filesize: by('c_filesize'),
    dev: [by('c_devmajor'), by('c_devminor')],
    rdev: [by('c_rdevmajor'), by('c_rdevminor')],
    c_check: by('c_check'),
  };
}

export const NEWC = newcLayout('newc', '070701', 'newc (SVR4 portable ASCII)');
/** newc with c_check holding the sum of the data bytes. */
export const CRC = newcLayout('crc', '070702', 'crc (SVR4 ASCII with checksum)');

/** Old portable ASCII format (POSIX.1 "odc"): octal digits, no padding anywhere. */
const odcFields = [
  f('c_magic', 0, 6),
  f('c_dev', 6, 6),
  f('c_ino', 12, 6),
  f('c_mode', 18, 6),
  f('c_uid', 24, 6),
  f('c_gid', 30, 6),
  f('c_nlink', 36, 6),
  f('c_rdev', 42, 6),
  f('c_mtime', 48, 11),
  f('c_namesize', 59, 6),
  f('c_filesize', 65, 11),
];
const odcBy = (n: string) => odcFields.find((x) => x.name === n)!;
export const ODC: Layout = {
  variant: 'odc',
  title: 'odc (old portable ASCII)',
  magic: '070707',
  encoding: 'octal',
  headerSize: 76,
  align: 1,
  fields: odcFields,
  c_ino: odcBy('c_ino'),
  c_mode: odcBy('c_mode'),
  c_uid: odcBy('c_uid'),
  c_gid: odcBy('c_gid'),
  c_nlink: odcBy('c_nlink'),
  c_mtime: odcBy('c_mtime'),
  c_namesize: odcBy('c_namesize'),
  c_filesize: odcBy('c_filesize'),
  dev: [odcBy('c_dev')],
  rdev: [odcBy('c_rdev')],
};

/**
 * Old binary format: thirteen 16-bit words in the writing machine's byte order (the
 * magic 070707 tells which). c_mtime and c_filesize are two words each, the most
 * significant word first whatever the byte order. Name and data are padded to even.
 */
const binFields = [
  f('c_magic', 0, 2),
  f('c_dev', 2, 2),
  f('c_ino', 4, 2),
  f('c_mode', 6, 2),
  f('c_uid', 8, 2),
  f('c_gid', 10, 2),
  f('c_nlink', 12, 2),
  f('c_rdev', 14, 2),
  f('c_mtime', 16, 4),
  f('c_namesize', 20, 2),
  f('c_filesize', 22, 4),
];
const binBy = (n: string) => binFields.find((x) => x.name === n)!;
export const BIN: Layout = {
  variant: 'bin',
  title: 'bin (old binary)',
  magic: '070707 (binary)',
  encoding: 'binary',
  headerSize: 26,
  align: 2,
  fields: binFields,
  c_ino: binBy('c_ino'),
  c_mode: binBy('c_mode'),
  c_uid: binBy('c_uid'),
  c_gid: binBy('c_gid'),
  c_nlink: binBy('c_nlink'),
  c_mtime: binBy('c_mtime'),
  c_namesize: binBy('c_namesize'),
  c_filesize: binBy('c_filesize'),
  dev: [binBy('c_dev')],
  rdev: [binBy('c_rdev')],
};

/** The binary magic 070707 as a 16-bit word. */
export const BIN_MAGIC = 0o070707;

export const ASCII_LAYOUTS: readonly Layout[] = [NEWC, CRC, ODC];

/** The name of the entry that ends an archive. */
export const TRAILER = 'TRAILER!!!';

/** File type bits of c_mode (the same values in every variant). */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;

/**
 * The trailer as GNU cpio writes it (and libarchive and the kernel's gen_init_cpio):
 * every number 0 but c_nlink 1 (c_namesize and c_filesize kept).
 */
export const TRAILER_NLINK = 1;

/**
 * The stage of the crc c_check: after every value derived inside the entry's data (a
 * gzip's FHCRC, a zip's CRC-32s, a Mach-O's code slots, all below this), and, like zip's
 * CRCs, a deeper container's sums before the one holding it: CHECK_STAGE_BASE - depth.
 */
export const CHECK_STAGE_BASE = 100;
