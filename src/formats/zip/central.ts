// The central directory as the rewrite walks it: two number columns (where each record
// is, where its local header is), each entry read again from the directory when its turn
// comes, never an object per entry: a zip64 of 60,000 entries held 23 MB of those.
import { FormatError, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import { Numbers } from '../../core/runs.js';
import { readEnd, zip64LocalOffset, type End } from './plan.js';
import { BlockReader } from './blocks.js';
import * as S from './spec.js';

/** One central directory entry, read again from the directory when it is needed. */
export interface Entry {
  name: Buffer;
  /** Actual file offset of the local header. */
  local: number;
  /** The central directory record as stored (a view: not to be written). */
  record: Buffer;
  /** Offset inside `record` of the local header offset (32-bit field, or the zip64 extra's 64-bit one). */
  offsetAt: number;
  offsetWidth: 4 | 8;
}

/**
 * The central directory, every entry checked: entry i's record is at `recordAt` (a file
 * offset) and its local header at `local` (the prefix added).
 */
export class Directory {
  readonly recordAt = new Numbers();
  readonly local = new Numbers();
  readonly cdStart: number;
  readonly cdEnd: number;
  private readonly blocks: BlockReader;

  private constructor(
    private readonly r: RangeReader,
    readonly end: End,
  ) {
    this.cdStart = end.prefix + end.cdOffset;
    this.cdEnd = this.cdStart + end.cdSize;
    this.blocks = new BlockReader(r, this.cdEnd);
  }

  get count(): number {
    return this.recordAt.length;
  }

  static async read(r: RangeReader): Promise<Directory> {
    const d = new Directory(r, await readEnd(r));
    let pos = d.cdStart;
    for (let i = 0; i < d.end.entries; i++) {
      const c = await d.blocks.view(pos, S.CENTRAL_HEADER_SIZE, 'central directory entry');
      if (c.readUInt32LE(0) !== S.CENTRAL_DIRECTORY_SIGNATURE) throw new FormatError(`central directory entry ${i} at ${hex(pos)}: bad signature`, r.base + pos);
      const size = recordSize(c);
      if (pos + size > d.cdEnd) throw new FormatError(`central directory entry ${i} at ${hex(pos)} runs past the central directory`, r.base + pos);
      d.recordAt.push(pos);
      d.local.push((await d.localOffset(pos, c)).value + d.end.prefix);
      pos += size;
    }
    return d;
  }

  /** Entry i (its record read again: a view into the directory's block). */
  async entry(i: number): Promise<Entry> {
    const pos = this.recordAt.get(i);
    const fixed = await this.blocks.view(pos, S.CENTRAL_HEADER_SIZE, 'central directory entry');
    const record = await this.blocks.view(pos, recordSize(fixed), 'central directory entry');
    const { at, width } = await this.localOffset(pos, record);
    return { name: record.subarray(S.CENTRAL_HEADER_SIZE, S.CENTRAL_HEADER_SIZE + record.readUInt16LE(S.cdh_name_length)), local: this.local.get(i), record, offsetAt: at, offsetWidth: width };
  }

  /** The local header offset the record at `pos` declares (prefix not added), and where in the record it is. */
  private async localOffset(pos: number, c: Buffer): Promise<{ value: number; at: number; width: 4 | 8 }> {
    const declared = c.readUInt32LE(S.cdh_local_header_offset);
    if (declared !== 0xffffffff) return { value: declared, at: S.cdh_local_header_offset, width: 4 };
    const n = c.readUInt16LE(S.cdh_name_length);
    const extraAt = pos + S.CENTRAL_HEADER_SIZE + n;
    const extra = await this.blocks.view(extraAt, c.readUInt16LE(S.cdh_extra_length), 'central directory entry');
    const z = zip64LocalOffset(extra, c, extraAt, this.r.base);
    return { value: z.value, at: S.CENTRAL_HEADER_SIZE + n + z.at, width: 8 };
  }

  /** The entries in the order of their local headers in the file (entries at the same offset in directory order). */
  fileOrder(): Uint32Array {
    return this.local.order();
  }

  /** Where the member at place `k` of `order` (fileOrder()) ends: the next member's local header, or the central directory. */
  limit(order: Uint32Array, k: number): number {
    return k + 1 < order.length ? this.local.get(order[k + 1]) : this.cdStart;
  }
}

/** A central directory record's whole size: the fixed part, name, extra and comment. */
const recordSize = (c: Buffer) => S.CENTRAL_HEADER_SIZE + c.readUInt16LE(S.cdh_name_length) + c.readUInt16LE(S.cdh_extra_length) + c.readUInt16LE(S.cdh_comment_length);
