import type { DerivedHasher } from '../../core/format.js';

/**
 * The PE image checksum (what CheckSumMappedFile and the kernel compute): the file as
 * little-endian 16-bit words, the 4 CheckSum bytes counted as zero, summed with the
 * carries folded back in, plus the file length. Streams: memory is constant. Folding
 * once at the end gives the same value as folding after every add (end-around carry
 * is associative); a double holds the raw sum exactly up to 2^53, i.e. any real file.
 */
export function peChecksumHasher(checksumOffset: number, fileLength: number): DerivedHasher {
  let sum = 0;
  const skipped = (at: number) => at >= checksumOffset && at < checksumOffset + 4;
  return {
    update(chunk, offset) {
      let i = 0;
      if (offset % 2 === 1 && chunk.length > 0) {
        if (!skipped(offset)) sum += chunk[0] << 8;
        i = 1;
      }
      for (; i + 1 < chunk.length; i += 2) {
        if (!skipped(offset + i)) sum += chunk[i] | (chunk[i + 1] << 8);
      }
      if (i < chunk.length && !skipped(offset + i)) sum += chunk[i];
    },
    digest() {
      while (sum > 0xffff) sum = (sum % 0x10000) + Math.floor(sum / 0x10000);
      const out = Buffer.alloc(4);
      out.writeUInt32LE((sum + fileLength) >>> 0);
      return out;
    },
  };
}
