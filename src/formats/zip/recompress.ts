// Deflated members whose content is a known format that changes (javadoc HTML in a
// -javadoc.jar, a .pyc in a wheel, a jar in a zip): inflated, normalized like a file of
// their own, deflated again. Every other member's bytes are copied as they are; the local
// headers, data descriptors, central directory and end records of the rewritten archive
// are made to match. --zip-order name is applied in the same pass.
import { crc32 } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import type { NormalizedPayload, RewriteChange, RewriteTools } from '../../core/format.js';
import { Scratch, chunksOf } from '../../core/payload.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import { deflate, inflated, inflatedHead, type InflateState } from '../shared/deflate.js';
import { Directory, type Entry } from './central.js';
import { centralRecord } from './order.js';
import type { End } from './plan.js';
import * as S from './spec.js';

/** How much of a member is inflated to tell its format. */
const HEAD = 512;

/**
 * The deflate level a member's general purpose flag bits 1-2 name (APPNOTE 4.4.4): 0
 * normal -> 6, 1 maximum -> 9, 2 fast and 3 super fast -> 1.
 */
export function memberLevel(flags: number): number {
  const option = (flags >> S.FLAG_DEFLATE_OPTION_SHIFT) & S.FLAG_DEFLATE_OPTION_MASK;
  return option === 0 ? 6 : option === 1 ? 9 : 1;
}

/** One member, in the file, as the recompress check needs it. */
interface MemberHead {
  entry: Entry;
  index: number;
  name: string;
  /** Its bytes in the file: [local, end), up to the next member or the central directory. */
  end: number;
  flags: number;
  method: number;
  crc: number;
  csize: number;
  usize: number;
  /** Where its data starts: after the local header, its name and extra. */
  data: number;
}

/** One member, with its local header (name and extra field), as the rewrite needs it. */
interface Member extends MemberHead {
  local: Buffer;
}

interface Archive {
  members: Member[];
  end: End;
  cdStart: number;
  cdEnd: number;
}

async function readArchive(r: RangeReader): Promise<Archive> {
  const d = await Directory.read(r);
  const order = d.fileOrder();
  const members: Member[] = [];
  for (let k = 0; k < order.length; k++) members.push(await memberAt(r, await d.entry(order[k]), order[k], d.limit(order, k)));
  return { members, end: d.end, cdStart: d.cdStart, cdEnd: d.cdEnd };
}

/**
 * Member `index` of the central directory, which ends at `next` (the next member or the
 * directory): its local header's fixed part read and checked; `data` says where the
 * data starts.
 */
async function memberHeadAt(r: RangeReader, entry: Entry, index: number, next: number): Promise<MemberHead> {
  const name = entry.name.toString('utf8');
  if (entry.local + S.LOCAL_HEADER_SIZE > next) throw new FormatError(`member ${name}: local header at ${hex(entry.local)} runs into the next member or the central directory at ${hex(next)}`, r.base + entry.local);
  const fixed = await r.read(entry.local, S.LOCAL_HEADER_SIZE, 'local header');
  if (fixed.readUInt32LE(0) !== S.LOCAL_FILE_HEADER_SIGNATURE) throw new FormatError(`member ${name}: local header at ${hex(entry.local)} has a bad signature`, r.base + entry.local);
  const length = S.LOCAL_HEADER_SIZE + fixed.readUInt16LE(S.lfh_name_length) + fixed.readUInt16LE(S.lfh_extra_length);
  if (entry.local + length > next) throw new FormatError(`member ${name}: local header at ${hex(entry.local)} (${length} bytes with name and extra) runs into ${hex(next)}`, r.base + entry.local);
  return headOf(entry, index, next, entry.local + length);
}

/** A member's values from its central directory record, its data at `data`. */
function headOf(entry: Entry, index: number, next: number, data: number): MemberHead {
  const rec = entry.record;
  return {
    entry,
    index,
    name: entry.name.toString('utf8'),
    end: next,
    flags: rec.readUInt16LE(S.cdh_flags),
    method: rec.readUInt16LE(S.cdh_method),
    crc: rec.readUInt32LE(S.cdh_crc32),
    csize: rec.readUInt32LE(S.cdh_compressed_size),
    usize: rec.readUInt32LE(S.cdh_uncompressed_size),
    data,
  };
}

/** Member `index` with its whole local header (name and extra field). */
async function memberAt(r: RangeReader, entry: Entry, index: number, next: number): Promise<Member> {
  const head = await memberHeadAt(r, entry, index, next);
  return { ...head, local: await r.read(entry.local, head.data - entry.local, 'local header') };
}

/**
 * Where a local header's zip64 extra (0x0001) holds the sizes: APPNOTE 4.5.3 puts the
 * uncompressed size, then the compressed size, each only if its 32-bit field is
 * 0xffffffff. Offsets are in the local header buffer; undefined if it has no zip64 extra.
 */
function localZip64(local: Buffer): { usize?: number; csize?: number } | undefined {
  const extraAt = S.LOCAL_HEADER_SIZE + local.readUInt16LE(S.lfh_name_length);
  const x = local.subarray(extraAt);
  for (let pos = 0; pos + 4 <= x.length; pos += 4 + x.readUInt16LE(pos + 2)) {
    if (x.readUInt16LE(pos) !== S.EXTRA_ZIP64) continue;
    const size = x.readUInt16LE(pos + 2);
    const out: { usize?: number; csize?: number } = {};
    let at = pos + 4;
    if (local.readUInt32LE(S.lfh_uncompressed_size) === 0xffffffff && at + 8 <= pos + 4 + size) (out.usize = extraAt + at), (at += 8);
    if (local.readUInt32LE(S.lfh_compressed_size) === 0xffffffff && at + 8 <= pos + 4 + size) out.csize = extraAt + at;
    return out;
  }
  return undefined;
}

/**
 * Whether a member can be recompressed: deflated, not encrypted, its data inside its
 * span, and its sizes in the central directory's 32-bit fields (a local zip64 extra, as
 * bsdtar writes for every entry, is rewritten with the new sizes).
 */
function eligible(m: MemberHead): boolean {
  return m.method === S.METHOD_DEFLATED && !(m.flags & S.FLAG_ENCRYPTED) && m.csize !== 0xffffffff && m.usize !== 0xffffffff && m.data + m.csize <= m.end;
}

/**
 * A member whose first inflated bytes some format claims: its content normalized (the
 * deflate stream must end at its compressed size and match its CRC-32 and size). A member
 * whose first bytes cannot even be inflated is left alone (unzip -t will say why).
 */
async function normalizedMember(r: RangeReader, m: MemberHead, tools: RewriteTools): Promise<NormalizedPayload | undefined> {
  if (!eligible(m)) return undefined;
  const where = `member ${m.name}`;
  let head: Buffer;
  try {
    head = await inflatedHead(r, m.data, m.data + m.csize, HEAD, where);
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    tools.note(`${m.name}: its deflate data cannot be inflated (${e.message}); left as it is`);
    return undefined;
  }
  if (!tools.detect(head, m.usize)) return undefined;
  const state: InflateState = { consumed: 0 };
  let crc = 0;
  let size = 0;
  async function* data(): AsyncIterable<Buffer> {
    for await (const chunk of inflated(r, m.data, m.data + m.csize, where, state)) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      yield chunk;
    }
    if (state.consumed !== m.csize) throw new FormatError(`${where}: its deflate stream ends after ${state.consumed} of its ${m.csize} compressed bytes (at ${hex(m.data)})`, r.base + m.data);
    if (crc >>> 0 !== m.crc || size !== m.usize) {
      throw new FormatError(`${where}: CRC-32 ${hex(m.crc)} and size ${m.usize} in the central directory do not match the inflated data's ${hex(crc >>> 0)} and ${size}`, r.base + m.entry.local);
    }
  }
  try {
    return await tools.normalize(data(), m.name);
  } catch (e) {
    if (e instanceof FormatError && e.offset === undefined) throw new FormatError(`${where} (deflated at ${hex(m.data)}): ${e.message}`, r.base + m.data);
    throw e;
  }
}

/** What the recompress part of the zip rewrite would change; notes and kept changes go to `tools`. */
export async function recompressNeeded(r: RangeReader, tools: RewriteTools): Promise<RewriteChange[]> {
  const d = await Directory.read(r);
  const order = d.fileOrder();
  // Every local header checked first, so a bad one is reported before any member is
  // inflated, and where each member's data starts kept; then one member at a time, none
  // kept past its turn, its entry read again from the directory: the directory is a few
  // columns of numbers, not an object per entry (23 MB for 60,000 entries).
  const data = new Float64Array(order.length);
  for (let k = 0; k < order.length; k++) data[k] = (await memberHeadAt(r, await d.entry(order[k]), order[k], d.limit(order, k))).data;
  const changes: RewriteChange[] = [];
  for (let k = 0; k < order.length; k++) {
    const m = headOf(await d.entry(order[k]), order[k], d.limit(order, k), data[k]);
    const p = await normalizedMember(r, m, tools);
    if (!p) continue;
    try {
      p.notes.forEach((n) => tools.note(n));
      p.kept.forEach((k) => tools.keep(k));
      if (p.changes.length === 0) continue;
      if (tools.recompress === 'never') {
        tools.keep(`${m.name} (${p.format}): ${p.changes.length} fields would change, not recompressed: --recompress never`);
        continue;
      }
      changes.push(...p.changes);
      changes.push({ field: `${m.name} (${p.format}): deflate data`, offset: m.data, old: `deflated (${m.csize} bytes)`, new: `recompressed at level ${memberLevel(m.flags)}; CRC-32, sizes and offsets rewritten` });
    } finally {
      await p.close();
    }
  }
  return changes;
}

/**
 * Whether the archive is aligned as zipalign leaves it: every stored member's data at a
 * multiple of 4 (a shared library's at a page, with -p). Then a stored member that a
 * recompressed member before it moved gets its padding again (alignedLocal).
 */
function isAligned(members: readonly Member[]): boolean {
  const stored = members.filter((m) => m.method === S.METHOD_STORED && m.csize > 0);
  return stored.length > 0 && stored.every((m) => m.data % 4 === 0);
}

/** The alignment zipalign -p gives a stored member: a page for a shared library already at one, else 4. */
const alignmentOf = (m: Member) => (/\.so$/.test(m.name) && m.data % 4096 === 0 ? 4096 : 4);

/** apksigner's alignment extra field: a 2-byte alignment, then zero padding. */
const EXTRA_ALIGNMENT = 0xd935;

/**
 * The local header of stored member `m` moved to `at`, padded so its data is aligned
 * again: the padding zipalign put at the end of the extra field (zero bytes), or inside
 * apksigner's 0xd935 field, is replaced by the least that aligns, which is what zipalign
 * itself writes, so a moved member comes out as an aligner would have written it there.
 */
function alignedLocal(m: Member, at: number): Buffer {
  const n = m.local.readUInt16LE(S.lfh_name_length);
  const extraAt = S.LOCAL_HEADER_SIZE + n;
  const extra = m.local.subarray(extraAt);
  let keep = extra.length;
  let field: number | undefined;
  for (let pos = 0; pos < extra.length; ) {
    const rest = extra.subarray(pos);
    if (rest.every((b) => b === 0)) {
      keep = pos;
      break;
    }
    if (pos + 4 > extra.length) break;
    const size = extra.readUInt16LE(pos + 2);
    if (extra.readUInt16LE(pos) === EXTRA_ALIGNMENT && pos + 4 + size === extra.length && size >= 2) {
      field = pos;
      keep = pos + 6;
      break;
    }
    pos += 4 + size;
  }
  const base = at + extraAt + keep;
  const align = alignmentOf(m);
  const pad = (align - (base % align)) % align;
  if (keep + pad > 0xffff) return m.local;
  const header = Buffer.concat([m.local.subarray(0, extraAt + keep), Buffer.alloc(pad)]);
  header.writeUInt16LE(keep + pad, S.lfh_extra_length);
  if (field !== undefined) header.writeUInt16LE(2 + pad, extraAt + field + 2);
  return header;
}

const byName = (a: Member, b: Member) => Buffer.compare(a.entry.name, b.entry.name);

async function copy(r: RangeReader, start: number, end: number, out: (chunk: Buffer) => Promise<void>): Promise<void> {
  for (let pos = start; pos < end; pos += MAX_READ) await out(await r.read(pos, Math.min(MAX_READ, end - pos), 'archive data'));
}

/**
 * The archive rewritten: members in file order (or by name with `sorted`), each either
 * copied as it is or, if its content changes when normalized, with a new local header,
 * the data deflated again at the level its flags name, and a new data descriptor if it
 * had one; then the central directory (its order kept, or by name) with the new CRC-32s,
 * sizes and offsets, and the end records with the directory's new place and size.
 */
export async function writeRewritten(r: RangeReader, out: (chunk: Buffer) => Promise<void>, tools: RewriteTools, sorted: boolean): Promise<void> {
  const { members, end, cdStart, cdEnd } = await readArchive(r);
  const sequence = sorted ? [...members].sort(byName) : members;
  const aligned = !sorted && isAligned(members);
  const first = members.length > 0 ? members[0].entry.local : cdStart;
  let pos = 0;
  const emit = async (chunk: Buffer) => {
    pos += chunk.length;
    await out(chunk);
  };
  await copy(r, 0, first, emit);
  const placed = new Map<Member, { local: number; record: Buffer }>();
  for (const m of sequence) {
    const local = pos;
    const p = tools.recompress === 'auto' ? await normalizedMember(r, m, tools) : undefined;
    if (!p || p.changes.length === 0) {
      await p?.close();
      if (aligned && local !== m.entry.local && m.method === S.METHOD_STORED && m.csize > 0) {
        // Moved by a recompressed member before it: aligned again, the rest copied.
        await emit(alignedLocal(m, local));
        await copy(r, m.data, m.end, emit);
      } else await copy(r, m.entry.local, m.end, emit);
      placed.set(m, { local, record: m.entry.record });
      continue;
    }
    const deflated = new Scratch();
    try {
      const d = await deflate(p.chunks(), memberLevel(m.flags), (c) => deflated.write(c));
      const header = Buffer.from(m.local);
      const z64 = localZip64(header);
      const descriptor = m.flags & S.FLAG_DATA_DESCRIPTOR ? await newDescriptor(r, m, d, z64 !== undefined) : Buffer.alloc(0);
      const localZero = header.readUInt32LE(S.lfh_crc32) === 0 && header.readUInt32LE(S.lfh_compressed_size) === 0 && header.readUInt32LE(S.lfh_uncompressed_size) === 0;
      // With a data descriptor the local header may hold zeros (a streaming writer): kept so.
      if (!(m.flags & S.FLAG_DATA_DESCRIPTOR && localZero)) {
        header.writeUInt32LE(d.crc >>> 0, S.lfh_crc32);
        // A size that a zip64 extra holds keeps 0xffffffff here; the extra gets the value.
        if (z64?.csize === undefined) header.writeUInt32LE(d.compressedSize, S.lfh_compressed_size);
        if (z64?.usize === undefined) header.writeUInt32LE(d.size, S.lfh_uncompressed_size);
      }
      if (z64?.usize !== undefined) header.writeBigUInt64LE(BigInt(d.size), z64.usize);
      if (z64?.csize !== undefined) header.writeBigUInt64LE(BigInt(d.compressedSize), z64.csize);
      if (d.compressedSize >= 0xffffffff || d.size >= 0xffffffff) throw new FormatError(`member ${m.name}: normalized, it no longer fits 32-bit sizes`, r.base + m.entry.local);
      await emit(header);
      for await (const c of chunksOf(deflated)) await emit(c);
      await emit(descriptor);
      const record = Buffer.from(m.entry.record);
      record.writeUInt32LE(d.crc >>> 0, S.cdh_crc32);
      record.writeUInt32LE(d.compressedSize, S.cdh_compressed_size);
      record.writeUInt32LE(d.size, S.cdh_uncompressed_size);
      placed.set(m, { local, record });
    } finally {
      await p.close();
      await deflated.close();
    }
  }
  const newCdStart = pos;
  const directory = sorted ? sequence : [...members].sort((a, b) => a.index - b.index);
  let cdAt = cdStart;
  for (const m of directory) {
    const { local, record } = placed.get(m)!;
    await emit(centralRecord(r, { ...m.entry, record }, local - end.prefix, cdAt));
    cdAt += m.entry.record.length;
  }
  await emit(await endRecords(r, end, cdEnd, newCdStart, pos - newCdStart));
}

/** The data descriptor after a recompressed member: as the original was laid out (signature or not), new values. */
async function newDescriptor(r: RangeReader, m: Member, d: { crc: number; size: number; compressedSize: number }, zip64: boolean): Promise<Buffer> {
  const signed = m.data + m.csize + 4 <= m.end && (await r.read(m.data + m.csize, 4, 'data descriptor')).readUInt32LE(0) === S.DATA_DESCRIPTOR_SIGNATURE;
  // APPNOTE 4.3.9.2: with a zip64 extra in the local header, the descriptor's sizes are 8 bytes.
  const width = zip64 ? 8 : 4;
  const b = Buffer.alloc((signed ? 8 : 4) + 2 * width);
  let at = 0;
  if (signed) at = b.writeUInt32LE(S.DATA_DESCRIPTOR_SIGNATURE, 0);
  at = b.writeUInt32LE(d.crc >>> 0, at);
  for (const v of [d.compressedSize, d.size]) at = width === 8 ? b.writeBigUInt64LE(BigInt(v), at) : b.writeUInt32LE(v, at);
  return b;
}

/**
 * The bytes after the central directory (zip64 end record and locator, end record,
 * comment, anything appended) with the directory's new offset and size, and the zip64
 * record's new place. 0xffffffff in a 32-bit field ("see the zip64 record") stays.
 */
async function endRecords(r: RangeReader, end: End, cdEnd: number, newCdStart: number, newCdSize: number): Promise<Buffer> {
  if (r.size - cdEnd > MAX_READ) throw new FormatError(`${r.size - cdEnd} bytes after the central directory (at ${hex(cdEnd)}): too much to move for a rewrite`, r.base + cdEnd);
  const after = Buffer.from(await r.read(cdEnd, r.size - cdEnd, 'end of central directory records'));
  const moved = newCdStart + newCdSize - cdEnd;
  const offset = newCdStart - end.prefix;
  if (end.zip64) {
    const z = end.zip64.recordAt - cdEnd;
    after.writeBigUInt64LE(BigInt(newCdSize), z + S.z64end_cd_size);
    after.writeBigUInt64LE(BigInt(offset), z + S.z64end_cd_offset);
    const loc = end.zip64.locatorAt - cdEnd + S.z64loc_record_offset;
    after.writeBigUInt64LE(after.readBigUInt64LE(loc) + BigInt(moved), loc);
  }
  const e = end.eocdAt - cdEnd;
  const set32 = (at: number, value: number, what: string) => {
    if (after.readUInt32LE(at) === 0xffffffff && end.zip64) return;
    if (value >= 0xffffffff) {
      if (!end.zip64) throw new FormatError(`end of central directory at ${hex(end.eocdAt)}: the rewritten archive's ${what} ${hex(value)} needs zip64, which the archive does not use`, r.base + end.eocdAt);
      value = 0xffffffff;
    }
    after.writeUInt32LE(value, at);
  };
  set32(e + S.eocd_cd_size, newCdSize, 'central directory size');
  set32(e + S.eocd_cd_offset, offset, 'central directory offset');
  return after;
}
