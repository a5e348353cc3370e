// PNG (ISO/IEC 15948, W3C PNG 2nd/3rd edition): signature, then chunks of
// length(4, big-endian) type(4) data(length) CRC(4, CRC-32 of type and data).

export const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Length and type before the data, CRC after it. */
export const CHUNK_HEADER = 8;
export const CHUNK_CRC = 4;
/** A chunk's length is at most 2^31-1 (section 5.3). */
export const MAX_LENGTH = 0x7fffffff;

/** tIME: year(2, big-endian) month day hour minute second, in UTC (section 11.3.6.1). */
export const TIME_LENGTH = 7;

/** Keywords are 1 to 79 Latin-1 bytes, then a NUL (section 11.3.4.2). */
export const MAX_KEYWORD = 79;
/** zTXt and iTXt: the only compression method, zlib deflate. */
export const COMPRESSION_DEFLATE = 0;

/**
 * Text keywords whose value is a date: ImageMagick's date:create, date:modify and
 * date:timestamp (every "date:" property it saves), the spec's predefined "Creation
 * Time", and the "Modification Time" some tools write beside it.
 */
export function isDateKeyword(keyword: string): boolean {
  return /^date:/i.test(keyword) || /^(creation|modification) time$/i.test(keyword);
}
