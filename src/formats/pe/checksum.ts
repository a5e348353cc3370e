import type { DerivedHasher } from '../../core/format.js';

/**
 * The PE image checksum (what CheckSumMappedFile and the kernel compute): the file as
 * little-endian 16-bit words, the 4 CheckSum bytes counted as zero, summed with the
 * carries folded back in, plus the file length. Streams: memory is constant.
 */
export function peChecksumHasher(checksumOffset: number, fileLength: number): DerivedHasher {
  let sum = 0;
  return {
    update(chunk, offset) {
      for (let i = 0; i < chunk.length; i++) {
        const at = offset + i;
        if (at >= checksumOffset && at < checksumOffset + 4) continue;
        sum += at % 2 === 0 ? chunk[i] : chunk[i] << 8;
        if (sum > 0xffffffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
      }
    },
    digest() {
      while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
      const out = Buffer.alloc(4);
      out.writeUInt32LE((sum + fileLength) >>> 0);
      return out;
    },
  };
}
