// gzip member header, RFC 1952 section 2.3.

export const ID1 = 0x1f;
export const ID2 = 0x8b;
/** CM: the only defined compression method. */
export const CM_DEFLATE = 8;

/** Fixed part: ID1 ID2 CM FLG MTIME(4, little-endian) XFL OS. */
export const HEADER_SIZE = 10;
export const OFF_CM = 2;
export const OFF_FLG = 3;
export const OFF_MTIME = 4;
export const OFF_XFL = 8;
/** XFL values for deflate: the compressor used maximum compression (level 9) / the fastest algorithm (level 1). */
export const XFL_MAX = 2;
export const XFL_FAST = 4;
export const OFF_OS = 9;

/** FLG bits. */
export const FTEXT = 0x01;
export const FHCRC = 0x02;
export const FEXTRA = 0x04;
export const FNAME = 0x08;
export const FCOMMENT = 0x10;
export const FLG_RESERVED = 0xe0;

/** CRC32 and ISIZE after the compressed data. */
export const TRAILER_SIZE = 8;
