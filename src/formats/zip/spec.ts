// The zip format after PKWARE's APPNOTE.TXT (6.3.x) and Info-ZIP's extra field list.

export const LOCAL_FILE_HEADER_SIGNATURE = 0x04034b50; // "PK\3\4"
export const CENTRAL_DIRECTORY_SIGNATURE = 0x02014b50; // "PK\1\2"
export const END_OF_CENTRAL_DIRECTORY_SIGNATURE = 0x06054b50; // "PK\5\6"
export const ZIP64_END_SIGNATURE = 0x06064b50; // "PK\6\6"
export const ZIP64_LOCATOR_SIGNATURE = 0x07064b50; // "PK\6\7"

/** local file header (30 bytes + name + extra). */
export const LOCAL_HEADER_SIZE = 30;
export const lfh_flags = 6;
export const lfh_method = 8;
export const lfh_time = 10;
export const lfh_date = 12;
export const lfh_crc32 = 14;
export const lfh_compressed_size = 18;
export const lfh_uncompressed_size = 22;
export const lfh_name_length = 26;
export const lfh_extra_length = 28;

/** central directory file header (46 bytes + name + extra + comment). */
export const CENTRAL_HEADER_SIZE = 46;
export const cdh_version_made_by = 4;
export const cdh_version_needed = 6;
export const cdh_flags = 8;
export const cdh_method = 10;
export const cdh_time = 12;
export const cdh_date = 14;
export const cdh_crc32 = 16;
export const cdh_compressed_size = 20;
export const cdh_uncompressed_size = 24;
export const cdh_name_length = 28;
export const cdh_extra_length = 30;
export const cdh_comment_length = 32;
export const cdh_external_attributes = 38;
export const cdh_local_header_offset = 42;

/** end of central directory record (22 bytes + comment). */
export const EOCD_SIZE = 22;
export const eocd_entries = 10;
export const eocd_cd_size = 12;
export const eocd_cd_offset = 16;
export const eocd_comment_length = 20;
export const EOCD_MAX_COMMENT = 0xffff;
/** How far back the end record is looked for: the largest comment plus 1003 bytes appended after it (Go's archive/zip reads 65 KiB). */
export const EOCD_SEARCH = 65 * 1024;
/** zip64 end of central directory locator (20 bytes) and record. */
export const ZIP64_LOCATOR_SIZE = 20;
export const z64loc_record_offset = 8;
export const ZIP64_END_SIZE = 56;
export const z64end_entries = 32;
export const z64end_cd_size = 40;
export const z64end_cd_offset = 48;

/** General purpose bit flags. */
export const FLAG_ENCRYPTED = 0x1;
export const FLAG_DATA_DESCRIPTOR = 0x8;

/** Version made by, upper byte. */
export const HOST_UNIX = 3;

/** Extra field header IDs. */
export const EXTRA_ZIP64 = 0x0001;
export const EXTRA_NTFS = 0x000a;
export const EXTRA_PKWARE_UNIX = 0x000d;
export const EXTRA_EXTENDED_TIMESTAMP = 0x5455; // "UT"
export const EXTRA_INFOZIP_UNIX_OLD = 0x5855; // "UX"
export const EXTRA_INFOZIP_UNIX_2 = 0x7855; // "Ux"
export const EXTRA_INFOZIP_UNIX_N = 0x7875; // "ux"
export const NTFS_TAG_TIMES = 0x0001;

/** The DOS date range: 1980-01-01 00:00:00 .. 2107-12-31 23:59:58. */
export const DOS_MIN_SECONDS = 315532800;
export const DOS_MAX_SECONDS = 4354819198;
/** FILETIME counts 100 ns since 1601-01-01. */
export const FILETIME_UNIX_EPOCH = 116444736000000000n;

/** Unix file type bits in the external attributes' upper half. */
export const S_IFMT = 0o170000;
export const S_IFREG = 0o100000;
export const S_IFDIR = 0o040000;
export const S_IXUSR = 0o100;

export const DATA_DESCRIPTOR_SIGNATURE = 0x08074b50;
export const METHOD_STORED = 0;
export const METHOD_DEFLATED = 8;
/**
 * General purpose flag bits 1-2 of a deflated member: the option the compressor was run
 * with. 0 normal, 1 maximum (-8/-9), 2 fast (-3..-1), 3 super fast.
 */
export const FLAG_DEFLATE_OPTION_SHIFT = 1;
export const FLAG_DEFLATE_OPTION_MASK = 3;
/** Derived CRCs run after everything inside their member: deeper members first. */
export const CRC_STAGE_BASE = 100;

/**
 * APK Signing Block (APK Signature Scheme v2 and later): just before the central
 * directory, ending in its size (uint64) and this 16-byte magic. Its signatures cover the
 * entries and the central directory, so any change breaks them.
 */
export const APK_SIG_BLOCK_MAGIC = Buffer.from('APK Sig Block 42', 'latin1');
