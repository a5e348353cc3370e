// A zlib stream (RFC 1950) whose inflated contents had paths replaced, deflated again to
// EXACTLY the original stream's length, so the structure around it (an ELF section, a
// Mach-O section) keeps every size and offset. The new deflate data ends with a sync
// flush (byte-aligned); the bytes left over are filled with empty deflate blocks (RFC
// 1951 3.2.3-3.2.6: an empty fixed-Huffman block is 10 bits, an empty stored block a
// header, alignment and LEN=0/NLEN=0xffff), the last one final, then the Adler-32.
import { constants, deflateRawSync, inflateSync } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import { findAll, replaced, shown, type Needle } from '../../core/remap.js';

export interface Refit {
  bytes: Buffer;
  hits: number;
  changed: boolean;
  old: string;
  new: string;
}

/** Adler-32 (RFC 1950 9): zlib's trailer, over the inflated bytes. */
export function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length; ) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) {
      a += b[i];
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

/** Bits written least significant first, as deflate packs them. */
class Bits {
  private bytes: number[] = [];
  private bit = 0;
  put(value: number, n: number): void {
    for (let i = 0; i < n; i++) {
      if (this.bit === 0) this.bytes.push(0);
      if ((value >> i) & 1) this.bytes[this.bytes.length - 1] |= 1 << this.bit;
      this.bit = (this.bit + 1) & 7;
    }
  }
  align(): void {
    this.bit = 0;
  }
  get length(): number {
    return this.bytes.length;
  }
  buffer(): Buffer {
    return Buffer.from(this.bytes);
  }
}

/** `j` empty fixed-Huffman blocks then an empty stored block, from a byte boundary. */
function segment(j: number, final: boolean): Buffer {
  const w = new Bits();
  for (let i = 0; i < j; i++) {
    w.put(0, 1); // BFINAL
    w.put(1, 2); // BTYPE 01: fixed Huffman codes
    w.put(0, 7); // end of block (code 256 is 0000000)
  }
  w.put(final ? 1 : 0, 1);
  w.put(0, 2); // BTYPE 00: stored
  w.align();
  w.put(0, 16); // LEN
  w.put(0xffff, 16); // NLEN
  return w.buffer();
}

const segmentSize = (j: number) => Math.ceil((10 * j + 3) / 8) + 4;

/** Exactly `n` bytes of empty blocks, the last one final if `final`; undefined if no mix of them has that size. */
export function padding(n: number, final = true): Buffer | undefined {
  const maxJ = Math.ceil((n * 8) / 10) + 1;
  for (let j = 0; j <= maxJ; j++) if (segmentSize(j) === n) return segment(j, final);
  for (let j1 = 0; j1 <= maxJ; j1++) {
    const rest = n - segmentSize(j1);
    if (rest < 5) break;
    for (let j2 = 0; j2 <= maxJ; j2++) if (segmentSize(j2) === rest) return Buffer.concat([segment(j1, false), segment(j2, final)]);
  }
  return undefined;
}

/** Exactly `n` bytes of empty non-final blocks (none for 0): four fixed-Huffman blocks are 5 bytes, a stored one ends aligned. */
function prefix(n: number): Buffer | undefined {
  if (n === 0) return Buffer.alloc(0);
  return padding(n, false);
}

/**
 * `whole` (a complete raw deflate stream) behind k empty fixed-Huffman blocks, shifted by
 * 10k bits, for each k whose result can be cut to exactly `n` bytes (only zero padding
 * bits past the end). Deflate is a bit stream except for stored blocks, which restart on
 * a byte boundary: a stream that holds one decodes wrong when shifted, which the
 * caller's inflate check catches.
 */
function* shiftedBehindBlocks(whole: Buffer, n: number): Generator<Buffer> {
  const deficit = n - whole.length;
  if (deficit <= 0) return;
  for (let k = 1; k <= Math.ceil((deficit * 8) / 10) + 1; k++) {
    const pre = new Bits();
    for (let i = 0; i < k; i++) {
      pre.put(0, 1);
      pre.put(1, 2);
      pre.put(0, 7);
    }
    const shift = (10 * k) % 8;
    const head = pre.buffer();
    const out = Buffer.alloc(head.length + whole.length);
    head.copy(out);
    const at = shift === 0 ? head.length : head.length - 1;
    for (let i = 0; i < whole.length; i++) {
      out[at + i] |= (whole[i] << shift) & 0xff;
      if (shift > 0) out[at + i + 1] |= whole[i] >> (8 - shift);
    }
    if (out.length < n || out.subarray(n).some((b) => b !== 0)) continue;
    yield out.subarray(0, n);
  }
}

/** zlib settings tried in turn until one gives a stream that fits. */
function* settings(): Generator<{ level: number; memLevel: number; strategy: number; windowBits: number }> {
  for (const strategy of [constants.Z_DEFAULT_STRATEGY, constants.Z_FILTERED, constants.Z_FIXED, constants.Z_HUFFMAN_ONLY]) {
    for (const level of [9, 6, 8, 7, 5, 4, 3, 2, 1]) {
      for (const memLevel of [8, 9, 7]) {
        for (const windowBits of [15, 14, 13, 12]) yield { level, memLevel, strategy, windowBits };
      }
    }
  }
}

/**
 * Inflate `stream`, replace the needles, and deflate to exactly `stream.length` bytes.
 * Undefined when no needle occurs. `inflated` is the size the container says; `at` the
 * stream's absolute offset, for errors. A result that cannot fit is a FormatError.
 */
export function recompressZlibTo(stream: Buffer, needles: readonly Needle[], inflated: number, where: string, at: number): Refit | undefined {
  if (stream.length < 6) throw new FormatError(`${where}: a zlib stream of ${stream.length} bytes is too short`, at);
  const cmf = stream[0];
  const flg = stream[1];
  if ((cmf & 0x0f) !== 8 || ((cmf << 8) | flg) % 31 !== 0 || flg & 0x20) {
    throw new FormatError(`${where}: not a zlib stream (header ${hex((cmf << 8) | flg)})`, at);
  }
  let data: Buffer;
  try {
    data = inflateSync(stream);
  } catch (e) {
    throw new FormatError(`${where}: the zlib data does not inflate (${(e as Error).message})`, at);
  }
  if (data.length !== inflated) throw new FormatError(`${where}: inflates to ${data.length} bytes, not the ${inflated} its header says`, at);
  const hits = findAll(data, needles);
  if (hits.length === 0) return undefined;
  const after = replaced(data, hits);
  const trailer = Buffer.alloc(4);
  trailer.writeUInt32BE(adler32(after));
  const result = (bytes: Buffer): Refit => ({ bytes, hits: hits.length, changed: !after.equals(data), old: shown(hits[0].needle.from, false), new: shown(hits[0].needle.to, false) });
  const header = stream.subarray(0, 2);
  const fits = (bytes: Buffer) => bytes.length === stream.length && inflateSync(bytes).equals(after);
  for (const options of settings()) {
    // A complete deflate stream behind empty non-final blocks that fill the difference.
    const whole = deflateRawSync(after, options);
    const before = prefix(stream.length - 2 - whole.length - 4);
    // Proof, not hope: the new stream must inflate to exactly the remapped bytes.
    if (before) {
      const bytes = Buffer.concat([header, before, whole, trailer]);
      if (fits(bytes)) return result(bytes);
    }
    // Else: empty fixed-Huffman blocks (10 bits each) before it, the stream shifted to follow them bit by bit.
    for (const body of shiftedBehindBlocks(whole, stream.length - 6)) {
      const bytes = Buffer.concat([header, body, trailer]);
      if (fits(bytes)) return result(bytes);
    }
    // Else: deflate data ended by a sync flush, then empty blocks, the last one final.
    const body = deflateRawSync(after, { ...options, finishFlush: constants.Z_SYNC_FLUSH });
    const after_ = padding(stream.length - 2 - body.length - 4);
    if (after_) {
      const bytes = Buffer.concat([header, body, after_, trailer]);
      if (fits(bytes)) return result(bytes);
    }
  }
  throw new FormatError(
    `${where}: with the paths remapped its contents no longer compress into its ${stream.length} bytes ` +
      '(remapping would change its size; a NEW that compresses as well as OLD, e.g. of repeated characters, may fit)',
    at,
  );
}
