import { endianness } from 'node:os';
import type { DerivedHasher } from '../../core/format.js';

/**
 * The PE image checksum (what CheckSumMappedFile and the kernel compute): the file as
 * little-endian 16-bit words, the 4 CheckSum bytes counted as zero, summed with the
 * carries folded back in, plus the file length. Streams: memory is constant.
 *
 * Folding carries back in is arithmetic modulo 0xffff (2^16 = 1 mod 0xffff), where a
 * nonzero multiple of 0xffff folds to 0xffff, not 0. The same congruence makes a 32-bit
 * little-endian word lo + hi*2^16 count as lo + hi, so aligned data is summed 4 bytes at
 * a time through a Uint32Array view, with the CheckSum bytes zeroed for the sum instead
 * of tested for at every word (about 10x faster).
 */
export function peChecksumHasher(checksumOffset: number, fileLength: number): DerivedHasher {
  let sum = 0;
  let nonzero = false;
  const little = endianness() === 'LE';
  /** What a byte at absolute offset `at` adds: low or high half of its 16-bit word. */
  const weight = (at: number) => (at % 2 === 0 ? 1 : 256);
  const bytewise = (chunk: Uint8Array, offset: number, from: number, to: number) => {
    let s = 0;
    for (let i = from; i < to; i++) s += chunk[i] * weight(offset + i);
    return s;
  };
  return {
    update(chunk, offset) {
      // The CheckSum field counts as zero: zero it for this sum, then put it back (the
      // chunk is shared with the other hashers of the pass; this is all synchronous).
      const from = Math.max(checksumOffset, offset) - offset;
      const to = Math.min(checksumOffset + 4, offset + chunk.length) - offset;
      const kept = from < to ? Buffer.from(chunk.subarray(from, to)) : undefined;
      if (kept) chunk.fill(0, from, to);
      let i = Math.min(chunk.length, (4 - (offset % 4)) % 4);
      // Bytes until the absolute offset is 4-aligned, then whole 32-bit words, then the tail.
      let s = bytewise(chunk, offset, 0, i);
      const words = Math.floor((chunk.length - i) / 4);
      if (little && words > 0 && (chunk.byteOffset + i) % 4 === 0) {
        const view = new Uint32Array(chunk.buffer, chunk.byteOffset + i, words);
        // A block of 2^18 words sums below 2^50: exact in a double.
        for (let k = 0; k < words; k += 1 << 18) {
          let block = 0;
          const end = Math.min(words, k + (1 << 18));
          for (let w = k; w < end; w++) block += view[w];
          if (block > 0) nonzero = true;
          s += block % 0xffff;
        }
        i += words * 4;
      }
      s += bytewise(chunk, offset, i, chunk.length);
      if (kept) kept.copy(chunk, from);
      if (s > 0) nonzero = true;
      sum = (sum + s) % 0xffff;
    },
    digest() {
      const folded = sum === 0 && nonzero ? 0xffff : sum;
      const out = Buffer.alloc(4);
      out.writeUInt32LE((folded + fileLength) >>> 0);
      return out;
    },
  };
}
