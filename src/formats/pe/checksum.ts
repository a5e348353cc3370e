import { endianness } from 'node:os';
import type { DerivedHasher } from '../../core/format.js';

/**
 * A field derived in the same pass as the checksum (a content-derived TimeDateStamp or
 * GUID): the pass sees its old bytes, so it is summed as zero there and its final
 * `value()` (asked for once the pass is over) is added at the end.
 */
export interface LaterField {
  offset: number;
  size: number;
  value(): Buffer;
}

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
export function peChecksumHasher(checksumOffset: number, fileLength: number, later: readonly LaterField[] = []): DerivedHasher {
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
  const zeroed = [{ offset: checksumOffset, size: 4 }, ...later];
  return {
    update(chunk, offset) {
      // The CheckSum field (and the fields whose values come later) count as zero: zero
      // them for this sum, then put them back (the chunk is shared with the other hashers
      // of the pass; this is all synchronous).
      const kept: { from: number; bytes: Buffer }[] = [];
      for (const z of zeroed) {
        const from = Math.max(z.offset, offset) - offset;
        const to = Math.min(z.offset + z.size, offset + chunk.length) - offset;
        if (from >= to) continue;
        kept.push({ from, bytes: Buffer.from(chunk.subarray(from, to)) });
        chunk.fill(0, from, to);
      }
      let i = Math.min(chunk.length, (4 - (offset % 4)) % 4);
      // Bytes until the absolute offset is 4-aligned, then whole 32-bit words, then the tail.
      let s = bytewise(chunk, offset, 0, i);
      const words = Math.floor((chunk.length - i) / 4);
      if (little && words > 0 && (chunk.byteOffset + i) % 4 === 0) {
        const view = new Uint32Array(chunk.buffer, chunk.byteOffset + i, words);
        // A block of 2^18 words sums below 2^50: exact in a double. Four running sums, so
        // each addition does not wait for the one before (about 1.3x faster).
        for (let k = 0; k < words; k += 1 << 18) {
          const end = Math.min(words, k + (1 << 18));
          let a = 0;
          let b = 0;
          let c = 0;
          let d = 0;
          let w = k;
          for (; w + 3 < end; w += 4) {
            a += view[w];
            b += view[w + 1];
            c += view[w + 2];
            d += view[w + 3];
          }
          for (; w < end; w++) a += view[w];
          const block = a + b + c + d;
          if (block > 0) nonzero = true;
          s += block % 0xffff;
        }
        i += words * 4;
      }
      s += bytewise(chunk, offset, i, chunk.length);
      for (const k of kept) k.bytes.copy(chunk, k.from);
      if (s > 0) nonzero = true;
      sum = (sum + s) % 0xffff;
    },
    digest() {
      // The sum is linear in the bytes: the later fields' values are added as they end up.
      for (const f of later) {
        const s = bytewise(f.value(), f.offset, 0, f.size);
        if (s > 0) nonzero = true;
        sum = (sum + s) % 0xffff;
      }
      const folded = sum === 0 && nonzero ? 0xffff : sum;
      const out = Buffer.alloc(4);
      out.writeUInt32LE((folded + fileLength) >>> 0);
      return out;
    },
  };
}
