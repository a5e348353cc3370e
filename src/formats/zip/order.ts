import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import { readEnd, zip64LocalOffset } from './plan.js';
import * as S from './spec.js';

interface Entry {
  name: Buffer;
  /** Actual file offset of the local header. */
  local: number;
  /** The central directory record as stored. */
  record: Buffer;
  /** Offset inside `record` of the local header offset (32-bit field, or the zip64 extra's 64-bit one). */
  offsetAt: number;
  offsetWidth: 4 | 8;
}

async function readEntries(r: RangeReader): Promise<{ entries: Entry[]; prefix: number; cdStart: number; cdEnd: number }> {
  const end = await readEnd(r);
  const cdStart = end.prefix + end.cdOffset;
  const cdEnd = cdStart + end.cdSize;
  const entries: Entry[] = [];
  let pos = cdStart;
  for (let i = 0; i < end.entries; i++) {
    const c = await r.read(pos, S.CENTRAL_HEADER_SIZE, 'central directory entry');
    if (c.readUInt32LE(0) !== S.CENTRAL_DIRECTORY_SIGNATURE) throw new FormatError(`central directory entry ${i} at ${hex(pos)}: bad signature`, r.base + pos);
    const n = c.readUInt16LE(S.cdh_name_length);
    const x = c.readUInt16LE(S.cdh_extra_length);
    const size = S.CENTRAL_HEADER_SIZE + n + x + c.readUInt16LE(S.cdh_comment_length);
    if (pos + size > cdEnd) throw new FormatError(`central directory entry ${i} at ${hex(pos)} runs past the central directory`, r.base + pos);
    const record = await r.read(pos, size, 'central directory entry');
    let offsetAt = S.cdh_local_header_offset;
    let offsetWidth: 4 | 8 = 4;
    let declared = c.readUInt32LE(S.cdh_local_header_offset);
    if (declared === 0xffffffff) {
      const extra = record.subarray(S.CENTRAL_HEADER_SIZE + n, S.CENTRAL_HEADER_SIZE + n + x);
      const z = zip64LocalOffset(extra, c, pos + S.CENTRAL_HEADER_SIZE + n, r.base);
      declared = z.value;
      offsetAt = S.CENTRAL_HEADER_SIZE + n + z.at;
      offsetWidth = 8;
    }
    entries.push({ name: record.subarray(S.CENTRAL_HEADER_SIZE, S.CENTRAL_HEADER_SIZE + n), local: declared + end.prefix, record, offsetAt, offsetWidth });
    pos += size;
  }
  return { entries, prefix: end.prefix, cdStart, cdEnd };
}

const byName = (a: Entry, b: Entry) => Buffer.compare(a.name, b.name);

/** Canonical form: central directory sorted by name (bytewise), local headers in the same order. */
export async function orderNeeded(r: RangeReader): Promise<string | undefined> {
  const { entries } = await readEntries(r);
  const sorted = [...entries].sort(byName);
  const moved = entries.filter((e, i) => e !== sorted[i]).length;
  const localsInOrder = sorted.every((e, i) => i === 0 || e.local > sorted[i - 1].local);
  if (moved === 0 && localsInOrder) return undefined;
  return `${moved} of ${entries.length} members out of name order`;
}

async function copy(r: RangeReader, start: number, end: number, out: (chunk: Buffer) => Promise<void>): Promise<void> {
  for (let pos = start; pos < end; pos += MAX_READ) await out(await r.read(pos, Math.min(MAX_READ, end - pos), 'archive data'));
}

/**
 * Members in name order: each member's bytes (local header, data, descriptor, and any
 * gap up to the next member) copied raw, never recompressed; the central directory
 * rewritten in the same order with the new local header offsets. The members only trade
 * places inside the same span, so the central directory starts where it did and
 * everything after it is copied as it is.
 */
export async function writeOrdered(r: RangeReader, out: (chunk: Buffer) => Promise<void>): Promise<void> {
  const { entries, prefix, cdStart, cdEnd } = await readEntries(r);
  const byOffset = [...entries].sort((a, b) => a.local - b.local);
  const first = byOffset.length > 0 ? byOffset[0].local : cdStart;
  for (const [i, e] of byOffset.entries()) {
    if (i > 0 && e.local === byOffset[i - 1].local) throw new FormatError(`two central directory entries share the local header at ${hex(e.local)}`, r.base + e.local);
    if (e.local < first || e.local >= cdStart) throw new FormatError(`local header at ${hex(e.local)} lies outside the member area`, r.base + e.local);
  }
  const endOf = new Map(byOffset.map((e, i) => [e, i + 1 < byOffset.length ? byOffset[i + 1].local : cdStart]));
  await copy(r, 0, first, out);
  let at = first;
  const newOffset = new Map<Entry, number>();
  for (const e of [...entries].sort(byName)) {
    newOffset.set(e, at - prefix);
    await copy(r, e.local, endOf.get(e)!, out);
    at += endOf.get(e)! - e.local;
  }
  for (const e of [...entries].sort(byName)) {
    const rec = Buffer.from(e.record);
    if (e.offsetWidth === 4) rec.writeUInt32LE(newOffset.get(e)!, e.offsetAt);
    else rec.writeBigUInt64LE(BigInt(newOffset.get(e)!), e.offsetAt);
    await out(rec);
  }
  await copy(r, cdEnd, r.size, out);
}
