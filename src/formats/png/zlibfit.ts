// A zlib stream of an exact length for a rewritten zTXt/iTXt text: the chunk's length
// cannot change, so the new text must compress to as many bytes as the old one did.
import { constants, deflateRawSync, deflateSync } from 'node:zlib';

const LEVELS = [9, 6, 1, 2, 3, 4, 5, 7, 8];
const STRATEGIES = [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_HUFFMAN_ONLY, constants.Z_RLE, constants.Z_FIXED];

/** Adler-32 of the uncompressed data, the zlib trailer (RFC 1950). */
function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (let i = 0; i < data.length; i++) {
    a = (a + data[i]) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/**
 * Empty deflate blocks that fill exactly `n` (>= 2) bytes after a byte-aligned point and
 * end the stream: k empty stored blocks (5 bytes each: a 3-bit header padded to the byte,
 * LEN 0, NLEN 0xffff), then an ending of 2 to 6 bytes made of empty fixed-Huffman blocks
 * (10 bits each: header and end-of-block code) and, for 6, one empty stored block last.
 */
function filler(n: number): Buffer {
  const parts: Buffer[] = [];
  let rest = n;
  while (rest > 6) {
    parts.push(Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]));
    rest -= 5;
  }
  // Bit strings LSB first: fixed empty block = BFINAL, BTYPE 01 (bits 1,0), EOB 0000000.
  const endings: Record<number, number[]> = {
    2: [0x03, 0x00], // final fixed
    3: [0x02, 0x0c, 0x00], // fixed, final fixed (20 bits)
    4: [0x02, 0x08, 0x30, 0x00], // fixed, fixed, final fixed (30 bits)
    5: [0x02, 0x08, 0x20, 0xc0, 0x00], // fixed x3, final fixed (40 bits)
    6: [0x02, 0x04, 0x00, 0x00, 0xff, 0xff], // fixed, final stored (10+3 bits, aligned, LEN/NLEN)
  };
  parts.push(Buffer.from(endings[rest]));
  return Buffer.concat(parts);
}

/**
 * `text` as a zlib stream of exactly `length` bytes, or undefined: first zlib itself at
 * some level and strategy (a stream any tool would write); failing that, the text
 * compressed at level 9 up to a sync flush, then empty blocks to fill the length. Both
 * are plain zlib streams every inflater reads. The same text and length always give the
 * same bytes, so two builds agree.
 */
export function zlibOfLength(text: Buffer, length: number): Buffer | undefined {
  for (const strategy of STRATEGIES) {
    for (const level of LEVELS) {
      const z = deflateSync(text, { level, strategy });
      if (z.length === length) return z;
    }
  }
  const head = Buffer.from([0x78, 0xda]);
  const body = deflateRawSync(text, { level: 9, finishFlush: constants.Z_SYNC_FLUSH });
  const need = length - head.length - body.length - 4;
  if (need < 2) return undefined;
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler32(text));
  return Buffer.concat([head, body, filler(need), trailer]);
}
