// Reads of a zip's central directory, through a block of their own.
import type { RangeReader } from '../../core/reader.js';

/** The most read from the central directory at a time. */
const BLOCK = 256 * 1024;
/** The first block after a jump: reads that go forward double it up to BLOCK. */
const FIRST_BLOCK = 4096;

/**
 * Reads of [.., end) through one block of its own. Through the reader's one window, each
 * entry's record and its local header (far apart) evicted each other: 64 KiB read and
 * thrown away twice per entry. The block grows while the reads go forward and starts
 * small again at a jump, so entries visited out of directory order do not read a whole
 * block each. A read that does not lie before `end` goes to the reader as it is, which
 * fails it (or serves it) exactly as it would have.
 */
export class BlockReader {
  private start = 0;
  private block: Buffer = Buffer.alloc(0);
  private next = FIRST_BLOCK;

  constructor(
    private readonly r: RangeReader,
    private readonly end: number,
  ) {}

  /** `length` bytes at `at`: a view of the block (the block is never written; do not write the view). */
  async view(at: number, length: number, what: string): Promise<Buffer> {
    const blockEnd = this.start + this.block.length;
    if (at >= this.start && at + length <= blockEnd) return this.block.subarray(at - this.start, at - this.start + length);
    if (!(Number.isSafeInteger(at) && Number.isSafeInteger(length) && at >= 0 && length >= 0 && at + length <= this.end)) return this.r.read(at, length, what);
    this.next = this.block.length > 0 && at >= this.start && at <= blockEnd ? Math.min(2 * this.next, BLOCK) : FIRST_BLOCK;
    this.start = at;
    this.block = await this.r.read(at, Math.max(length, Math.min(this.next, this.end - at)), what);
    return this.block.subarray(0, length);
  }

  /** A copy of `length` bytes at `at`, which the caller may keep and change (a patch's old bytes). */
  async read(at: number, length: number, what: string): Promise<Buffer> {
    const view = await this.view(at, length, what);
    const out = Buffer.allocUnsafe(length);
    view.copy(out);
    return out;
  }
}
