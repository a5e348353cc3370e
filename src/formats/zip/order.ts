import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import { Directory, type Entry } from './central.js';
import type { End } from './plan.js';
import * as S from './spec.js';

/** Every entry of the central directory as an object: for the rewrites, which move or rewrite them all. */
export async function readEntries(r: RangeReader): Promise<{ entries: Entry[]; end: End; cdStart: number; cdEnd: number }> {
  const d = await Directory.read(r);
  const entries: Entry[] = [];
  for (let i = 0; i < d.count; i++) entries.push(await d.entry(i));
  return { entries, end: d.end, cdStart: d.cdStart, cdEnd: d.cdEnd };
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

/** A local header offset that no longer fits 32 bits (0xffffffff itself means "see the zip64 extra"). */
const ZIP64_OFFSET = 0xffffffff;
const ZIP64_VERSION = 45;

/**
 * The central directory record of `e` for a local header now at `offset`. An offset that
 * needs 64 bits where the record had 32 gets a zip64 extra: the 8 bytes go into the
 * entry's zip64 extra where APPNOTE puts the offset (after the sizes that are
 * saturated), or a new zip64 extra goes first. The local header stays as it is.
 */
export function centralRecord(r: RangeReader, e: Entry, offset: number, at: number): Buffer {
  const rec = Buffer.from(e.record);
  if (e.offsetWidth === 8) return (rec.writeBigUInt64LE(BigInt(offset), e.offsetAt), rec);
  if (offset < ZIP64_OFFSET) return (rec.writeUInt32LE(offset, e.offsetAt), rec);
  const where = `central directory entry at ${hex(at)} (${e.name.toString('utf8')})`;
  const n = rec.readUInt16LE(S.cdh_name_length);
  const x = rec.readUInt16LE(S.cdh_extra_length);
  const extraAt = S.CENTRAL_HEADER_SIZE + n;
  const extra = rec.subarray(extraAt, extraAt + x);
  const value = Buffer.alloc(8);
  value.writeBigUInt64LE(BigInt(offset));
  let grown: Buffer | undefined;
  for (let pos = 0; pos + 4 <= extra.length; pos += 4 + extra.readUInt16LE(pos + 2)) {
    if (extra.readUInt16LE(pos) !== S.EXTRA_ZIP64) continue;
    const size = extra.readUInt16LE(pos + 2);
    const into = pos + 4 + (rec.readUInt32LE(24) === 0xffffffff ? 8 : 0) + (rec.readUInt32LE(S.cdh_compressed_size) === 0xffffffff ? 8 : 0);
    if (into > pos + 4 + size || size + 8 > 0xffff) throw new FormatError(`${where}: its zip64 extra (${size} bytes) has no room for the local header offset it must now hold (${hex(offset)})`, r.base + at + extraAt + pos);
    grown = Buffer.concat([extra.subarray(0, into), value, extra.subarray(into)]);
    grown.writeUInt16LE(size + 8, pos + 2);
    break;
  }
  if (!grown) {
    const head = Buffer.alloc(4);
    head.writeUInt16LE(S.EXTRA_ZIP64, 0);
    head.writeUInt16LE(8, 2);
    grown = Buffer.concat([head, value, extra]);
  }
  if (grown.length > 0xffff) throw new FormatError(`${where}: the zip64 extra its local header offset ${hex(offset)} needs would make the extra field longer than 65535 bytes`, r.base + at + S.cdh_extra_length);
  const out = Buffer.concat([rec.subarray(0, extraAt), grown, rec.subarray(extraAt + x)]);
  out.writeUInt16LE(grown.length, S.cdh_extra_length);
  out.writeUInt32LE(ZIP64_OFFSET, S.cdh_local_header_offset);
  const needed = out.readUInt16LE(S.cdh_version_needed);
  if ((needed & 0xff) < ZIP64_VERSION) out.writeUInt16LE((needed & 0xff00) | ZIP64_VERSION, S.cdh_version_needed);
  return out;
}

/** What writeOrdered writes, all worked out before the first byte goes out. */
export interface OrderedLayout {
  /** Bytes [0, first) are copied as they are (a prefix). */
  first: number;
  /** Each member's bytes (local header to the next member), in name order. */
  spans: { start: number; end: number }[];
  /** The central directory in name order, with the new offsets. */
  records: Buffer[];
  /** Where the central directory ended in the original. */
  cdEnd: number;
  /**
   * The bytes from cdEnd to the end of the file with the directory's new size and the
   * zip64 record's new place, when records grew (zip64 extras added); else undefined and
   * they are copied as they are.
   */
  after?: Buffer;
}

export async function orderedLayout(r: RangeReader): Promise<OrderedLayout> {
  const { entries, end, cdStart, cdEnd } = await readEntries(r);
  const byOffset = [...entries].sort((a, b) => a.local - b.local);
  const first = byOffset.length > 0 ? byOffset[0].local : cdStart;
  for (const [i, e] of byOffset.entries()) {
    if (i > 0 && e.local === byOffset[i - 1].local) throw new FormatError(`two central directory entries share the local header at ${hex(e.local)}`, r.base + e.local);
    if (e.local < first || e.local >= cdStart) throw new FormatError(`local header at ${hex(e.local)} lies outside the member area`, r.base + e.local);
  }
  const endOf = new Map(byOffset.map((e, i) => [e, i + 1 < byOffset.length ? byOffset[i + 1].local : cdStart]));
  const sorted = [...entries].sort(byName);
  const spans = sorted.map((e) => ({ start: e.local, end: endOf.get(e)! }));
  const records: Buffer[] = [];
  let at = first;
  let cdAt = cdStart;
  for (const e of sorted) {
    records.push(centralRecord(r, e, at - end.prefix, cdAt));
    at += endOf.get(e)! - e.local;
    cdAt += e.record.length;
  }
  const grew = records.reduce((n, rec) => n + rec.length, 0) - (cdEnd - cdStart);
  if (grew === 0) return { first, spans, records, cdEnd };
  // Members only moved past 4 GiB if the directory starts there, which takes a zip64 end record.
  if (!end.zip64) throw new FormatError(`central directory at ${hex(cdStart)}: offsets past 4 GiB but no zip64 end of central directory record`, r.base + end.eocdAt);
  if (r.size - cdEnd > MAX_READ) throw new FormatError(`${r.size - cdEnd} bytes after the central directory (at ${hex(cdEnd)}): too much to move for a rewrite`, r.base + cdEnd);
  const after = Buffer.from(await r.read(cdEnd, r.size - cdEnd, 'end of central directory records'));
  const z = end.zip64.recordAt - cdEnd + S.z64end_cd_size;
  after.writeBigUInt64LE(after.readBigUInt64LE(z) + BigInt(grew), z);
  const loc = end.zip64.locatorAt - cdEnd + S.z64loc_record_offset;
  after.writeBigUInt64LE(after.readBigUInt64LE(loc) + BigInt(grew), loc);
  const size32 = end.eocdAt - cdEnd + S.eocd_cd_size;
  const old32 = after.readUInt32LE(size32);
  if (old32 !== 0xffffffff) after.writeUInt32LE(Math.min(old32 + grew, 0xffffffff), size32);
  return { first, spans, records, cdEnd, after };
}

/**
 * Members in name order: each member's bytes (local header, data, descriptor, and any
 * gap up to the next member) copied raw, never recompressed; the central directory
 * rewritten in the same order with the new local header offsets. The members only trade
 * places inside the same span, so the central directory starts where it did; it grows
 * only by the zip64 extras of members moved past 4 GiB, and then the end records after
 * it move with it.
 */
export async function writeOrdered(r: RangeReader, out: (chunk: Buffer) => Promise<void>): Promise<void> {
  const layout = await orderedLayout(r);
  await copy(r, 0, layout.first, out);
  for (const s of layout.spans) await copy(r, s.start, s.end, out);
  for (const rec of layout.records) await out(rec);
  if (layout.after) await out(layout.after);
  else await copy(r, layout.cdEnd, r.size, out);
}
