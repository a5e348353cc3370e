import { crc32 } from 'node:zlib';
import { FormatError, SkipFile, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { renderTime } from '../../core/time.js';
import { u16le, u32le } from '../shared/bytes.js';
import { Numbers } from '../../core/runs.js';
import { BlockReader } from './blocks.js';
import * as S from './spec.js';

/** A DOS date/time pair, computed in UTC: never from the machine's timezone. */
export function dosDateTime(seconds: number): { date: number; time: number } {
  const d = new Date(Math.min(Math.max(seconds, S.DOS_MIN_SECONDS), S.DOS_MAX_SECONDS) * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/** Seconds (read as UTC) of a DOS date/time pair; NaN-free for any 16-bit values. */
export function dosSeconds(date: number, time: number): number {
  return Date.UTC(1980 + (date >> 9), ((date >> 5) & 15) - 1, date & 31, time >> 11, (time >> 5) & 63, (time & 31) * 2) / 1000;
}

// Field texts for reports, from the field's bytes: only called for a field a report shows.
const renderU32Time = (b: Buffer) => renderTime(b.readUInt32LE(0));
/** DOS time then date, little-endian 16-bit each. */
const renderDosBytes = (b: Buffer) => renderDos(b.readUInt16LE(2), b.readUInt16LE(0));
/** The Unix mode in the high half of the external attributes. */
const renderMode = (b: Buffer) => (b.readUInt32LE(0) >>> 16).toString(8);

function renderDos(date: number, time: number): string {
  const s = dosSeconds(date, time);
  return Number.isFinite(s) ? `${new Date(s * 1000).toISOString().replace('T', ' ').replace('.000Z', '')} (DOS, as UTC)` : `date ${hex(date)} time ${hex(time)}`;
}

const filetime = (seconds: number) => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(seconds) * 10_000_000n + S.FILETIME_UNIX_EPOCH);
  return b;
};
const filetimeSeconds = (b: Buffer) => Number((b.readBigUInt64LE(0) - S.FILETIME_UNIX_EPOCH) / 10_000_000n);

interface Where {
  /** "local" or "central", for field names. */
  side: 'local' | 'central';
  name: string;
  /** The entry for messages: `central directory entry 3 ("a.txt")`. */
  entry: string;
}

/** Rewrite the time, owner and mode fields of one extra block; unknown IDs are kept. */
function planExtra(ctx: PlanContext, extra: Buffer, at: number, w: Where): void {
  const field = (what: string) => `${w.name}: ${w.side} ${what}`;
  const time32 = (off: number, what: string) => {
    const old = extra.readUInt32LE(off);
    const value = ctx.time(old);
    ctx.patch({ offset: at + off, oldBytes: extra.subarray(off, off + 4), bytes: u32le(value), field: field(what), render: renderU32Time });
  };
  const zero = (off: number, size: number, what: string) => {
    if (size === 0) return;
    const old = extra.subarray(off, off + size);
    ctx.patch({ offset: at + off, oldBytes: old, bytes: Buffer.alloc(size), field: field(what), old: old.length <= 6 ? String(old.readUIntLE(0, old.length)) : old.toString('hex'), new: '0' });
  };
  let pos = 0;
  while (pos < extra.length) {
    // zipalign pads a local extra field with zero bytes to align the data after it.
    if (pos + 4 > extra.length && w.side === 'local' && extra.subarray(pos).every((b) => b === 0)) break;
    if (pos + 4 > extra.length) throw new FormatError(`${w.entry}: ${w.side} extra field at ${hex(at + pos)}: ${extra.length - pos} stray bytes, not a header`, ctx.reader.base + at + pos);
    const id = extra.readUInt16LE(pos);
    const size = extra.readUInt16LE(pos + 2);
    const d = pos + 4;
    if (d + size > extra.length) {
      throw new FormatError(
        `${w.entry}: ${w.side} extra field ${hex(id)} at ${hex(at + pos)}: size ${size} runs past the extra data (${extra.length} bytes at ${hex(at)}, ${extra.length - d} left after this field's header)`,
        ctx.reader.base + at + pos + 2,
      );
    }
    const bad = (rule: string) => new FormatError(`${w.entry}: ${w.side} extra field ${hex(id)} at ${hex(at + pos)}: ${rule}`, ctx.reader.base + at + pos);
    switch (id) {
      case S.EXTRA_EXTENDED_TIMESTAMP: {
        if (size < 1) throw bad('empty extended timestamp');
        const flags = extra[d];
        const names = ['UT mtime', 'UT atime', 'UT ctime'];
        let off = d + 1;
        // Info-ZIP's central copy holds only the mtime whatever the flags say, bsdtar's all
        // three: take each flagged time the field has room for.
        for (let bit = 0; bit < 3 && off + 4 <= d + size; bit++) {
          if (!(flags & (1 << bit))) continue;
          time32(off, names[bit]);
          off += 4;
        }
        break;
      }
      case S.EXTRA_NTFS: {
        let off = d + 4;
        while (off + 4 <= d + size) {
          const tag = extra.readUInt16LE(off);
          const tsize = extra.readUInt16LE(off + 2);
          if (off + 4 + tsize > d + size) throw bad(`NTFS attribute tag ${tag} of ${tsize} bytes runs past the field`);
          if (tag === S.NTFS_TAG_TIMES && tsize >= 24) {
            ['NTFS mtime', 'NTFS atime', 'NTFS ctime'].forEach((what, i) => {
              const o = off + 4 + i * 8;
              const oldBytes = extra.subarray(o, o + 8);
              const old = filetimeSeconds(oldBytes);
              const value = ctx.time(Math.max(0, old));
              ctx.patch({ offset: at + o, oldBytes, bytes: filetime(value), field: field(what), old: renderTime(old), new: renderTime(value) });
            });
          }
          off += 4 + tsize;
        }
        break;
      }
      case S.EXTRA_INFOZIP_UNIX_OLD:
      case S.EXTRA_PKWARE_UNIX: {
        const prefix = id === S.EXTRA_PKWARE_UNIX ? 'PKWARE Unix' : 'Info-ZIP Unix (UX)';
        if (size >= 8) {
          time32(d, `${prefix} atime`);
          time32(d + 4, `${prefix} mtime`);
        }
        if (size >= 12) {
          zero(d + 8, 2, `${prefix} uid`);
          zero(d + 10, 2, `${prefix} gid`);
        }
        break;
      }
      case S.EXTRA_INFOZIP_UNIX_2:
        if (size >= 4) {
          zero(d, 2, 'Info-ZIP Unix (Ux) uid');
          zero(d + 2, 2, 'Info-ZIP Unix (Ux) gid');
        }
        break;
      case S.EXTRA_INFOZIP_UNIX_N: {
        if (size < 3) throw bad('too short for version and uid size');
        const uidSize = extra[d + 1];
        const gidAt = d + 2 + uidSize;
        if (gidAt + 1 > d + size || gidAt + 1 + extra[gidAt] > d + size) throw bad(`uid/gid sizes ${uidSize}/${extra[gidAt] ?? '?'} run past the field`);
        zero(d + 2, uidSize, 'Info-ZIP Unix (ux) uid');
        zero(gidAt + 1, extra[gidAt], 'Info-ZIP Unix (ux) gid');
        break;
      }
      default:
        break;
    }
    pos = d + size;
  }
}

/** Permissions as `zip` would store them from a umask-022 checkout: type bits kept. */
function normalMode(mode: number): number {
  const type = mode & S.S_IFMT;
  if (type === S.S_IFDIR) return type | 0o755;
  if (type === S.S_IFREG || type === 0) return type | (mode & S.S_IXUSR ? 0o755 : 0o644);
  return mode; // symlinks and others unchanged
}

export interface End {
  entries: number;
  cdOffset: number;
  cdSize: number;
  /** Bytes before the archive (self-extractor stub, or a zip appended to a file). */
  prefix: number;
  /** File offset of the end of central directory record. */
  eocdAt: number;
  /** Bytes after the record and its comment (appended to the archive), kept as they are. */
  junk: number;
  /** File offsets of the zip64 end of central directory record and its locator, if any. */
  zip64?: { recordAt: number; locatorAt: number };
}

/** Find the end of central directory (and its zip64 record) from the end of the file. */
export async function readEnd(r: RangeReader): Promise<End> {
  const tail = Math.min(r.size, S.EOCD_SEARCH);
  const buf = await r.read(r.size - tail, tail, 'end of the file');
  // A record whose comment ends the file; failing that, as Go's reader does, the last one
  // whose comment fits before the end, with whatever follows it taken as appended junk.
  const find = (fits: (end: number) => boolean) => {
    for (let i = buf.length - S.EOCD_SIZE; i >= 0; i--) {
      if (buf.readUInt32LE(i) === S.END_OF_CENTRAL_DIRECTORY_SIGNATURE && fits(i + S.EOCD_SIZE + buf.readUInt16LE(i + S.eocd_comment_length))) return i;
    }
    return -1;
  };
  let eocd = find((end) => end === buf.length);
  if (eocd < 0) eocd = find((end) => end <= buf.length);
  if (eocd < 0) {
    throw new FormatError(
      `no end of central directory record ("PK\\5\\6") in the last ${tail} bytes (${hex(r.size - tail)}..${hex(r.size)}): truncated or not a zip`,
      r.base + r.size - tail,
    );
  }
  const at = r.size - tail + eocd;
  const junk = buf.length - (eocd + S.EOCD_SIZE + buf.readUInt16LE(eocd + S.eocd_comment_length));
  let entries = buf.readUInt16LE(eocd + S.eocd_entries);
  /** The count exactly as stored (a 64-bit zip64 count may not fit a double), for messages. */
  let stored = BigInt(entries);
  let cdSize = buf.readUInt32LE(eocd + S.eocd_cd_size);
  let cdOffset = buf.readUInt32LE(eocd + S.eocd_cd_offset);
  let cdEnd = at;
  /** The record that gave the counts, and where its entry count is, for messages. */
  let record = `end of central directory at ${hex(at)}`;
  let entriesAt = at + S.eocd_entries;
  let cdOffsetAt = at + S.eocd_cd_offset;
  let zip64: End['zip64'];
  if (at >= S.ZIP64_LOCATOR_SIZE) {
    const locAt = at - S.ZIP64_LOCATOR_SIZE;
    const loc = await r.read(locAt, S.ZIP64_LOCATOR_SIZE, 'zip64 locator');
    if (loc.readUInt32LE(0) === S.ZIP64_LOCATOR_SIGNATURE) {
      const recAt = Number(loc.readBigUInt64LE(S.z64loc_record_offset));
      if (recAt + S.ZIP64_END_SIZE > locAt) {
        throw new FormatError(
          `zip64 end of central directory locator at ${hex(locAt)}: the record offset ${hex(recAt)} leaves no room for the ${S.ZIP64_END_SIZE}-byte zip64 end of central directory record before the locator`,
          r.base + locAt + S.z64loc_record_offset,
        );
      }
      const rec = await r.read(recAt, S.ZIP64_END_SIZE, 'zip64 end of central directory record');
      if (rec.readUInt32LE(0) !== S.ZIP64_END_SIGNATURE) {
        throw new FormatError(
          `zip64 end of central directory record at ${hex(recAt)}: bad signature ${hex(rec.readUInt32LE(0))}, not ${hex(S.ZIP64_END_SIGNATURE)} ("PK\\6\\6"); the zip64 locator at ${hex(locAt)} points there`,
          r.base + locAt + S.z64loc_record_offset,
        );
      }
      stored = rec.readBigUInt64LE(S.z64end_entries);
      entries = Number(stored);
      cdSize = Number(rec.readBigUInt64LE(S.z64end_cd_size));
      cdOffset = Number(rec.readBigUInt64LE(S.z64end_cd_offset));
      cdEnd = recAt;
      record = `zip64 end of central directory record at ${hex(recAt)}`;
      entriesAt = recAt + S.z64end_entries;
      cdOffsetAt = recAt + S.z64end_cd_offset;
      zip64 = { recordAt: recAt, locatorAt: locAt };
    }
  }
  // Checked before any entry is read: the work never depends on what the count claims.
  if (entries > Math.floor(cdSize / S.CENTRAL_HEADER_SIZE)) {
    throw new FormatError(
      `${record}: ${stored} entries need at least ${stored * BigInt(S.CENTRAL_HEADER_SIZE)} bytes (${S.CENTRAL_HEADER_SIZE} each), but the central directory is ${cdSize} bytes`,
      r.base + entriesAt,
    );
  }
  const prefix = cdEnd - cdSize - cdOffset;
  if (prefix < 0 || cdEnd - cdSize < 0) {
    throw new FormatError(`${record}: central directory ${hex(cdOffset)}+${hex(cdSize)} does not fit before it`, r.base + cdOffsetAt);
  }
  return { entries, cdOffset, cdSize, prefix, eocdAt: at, junk, zip64 };
}

export async function planZip(ctx: PlanContext): Promise<void> {
  const r = ctx.reader;
  const end = await readEnd(r);
  const cdStart = end.prefix + end.cdOffset;
  if (cdStart >= S.APK_SIG_BLOCK_MAGIC.length && (await r.read(cdStart - S.APK_SIG_BLOCK_MAGIC.length, S.APK_SIG_BLOCK_MAGIC.length, 'APK Signing Block magic')).equals(S.APK_SIG_BLOCK_MAGIC)) {
    throw new SkipFile(`signed (APK Signing Block before the central directory at ${hex(cdStart)}; its signatures cover every entry): normalize before signing`);
  }
  if (end.prefix > 0) ctx.note(`${end.prefix} bytes before the archive (self-extractor stub or appended zip) kept`);
  if (end.junk > 0) ctx.note(`${end.junk} bytes after the end of central directory record (appended to the archive) kept`);
  const dos = (date: number, time: number) => {
    const old = dosSeconds(date, time);
    return dosDateTime(ctx.options.clamp && old <= ctx.options.epoch ? old : ctx.options.epoch);
  };
  let pos = end.prefix + end.cdOffset;
  const cdEnd = pos + end.cdSize;
  const central = new BlockReader(r, cdEnd);
  const localOwners = new LocalOwners();
  const members = new Members();
  for (let i = 0; i < end.entries; i++) {
    if (pos + S.CENTRAL_HEADER_SIZE > cdEnd) throw new FormatError(`central directory entry ${i} at ${hex(pos)} runs past the central directory (ends ${hex(cdEnd)})`, r.base + pos);
    const c = await central.read(pos, S.CENTRAL_HEADER_SIZE, 'central directory entry');
    if (c.readUInt32LE(0) !== S.CENTRAL_DIRECTORY_SIGNATURE) {
      throw new FormatError(`central directory entry ${i} at ${hex(pos)}: bad signature ${hex(c.readUInt32LE(0))}, not ${hex(S.CENTRAL_DIRECTORY_SIGNATURE)} ("PK\\1\\2")`, r.base + pos);
    }
    const nameLength = c.readUInt16LE(S.cdh_name_length);
    const extraLength = c.readUInt16LE(S.cdh_extra_length);
    const commentLength = c.readUInt16LE(S.cdh_comment_length);
    const varEnd = pos + S.CENTRAL_HEADER_SIZE + nameLength + extraLength + commentLength;
    if (varEnd > cdEnd) {
      throw new FormatError(
        `central directory entry ${i} at ${hex(pos)}: name, extra and comment lengths ${nameLength} + ${extraLength} + ${commentLength} run past the central directory (ends ${hex(cdEnd)})`,
        r.base + pos + S.cdh_name_length,
      );
    }
    const name = (await central.read(pos + S.CENTRAL_HEADER_SIZE, nameLength, 'entry name')).toString('utf8');
    const entry = `central directory entry ${i} (${JSON.stringify(name)})`;
    const flags = c.readUInt16LE(S.cdh_flags);
    const keepTime = (flags & S.FLAG_ENCRYPTED) !== 0 && (flags & S.FLAG_DATA_DESCRIPTOR) !== 0;
    if (keepTime) ctx.note(`${name}: encrypted with a data descriptor; its DOS time is the password check byte and is kept`);

    const planDos = (at: number, raw: Buffer, timeOff: number, side: string) => {
      const time = raw.readUInt16LE(timeOff);
      const date = raw.readUInt16LE(timeOff + 2);
      const n = keepTime ? { date, time } : dos(date, time);
      const bytes = Buffer.concat([u16le(n.time), u16le(n.date)]);
      ctx.patch({ offset: at + timeOff, oldBytes: raw.subarray(timeOff, timeOff + 4), bytes, field: `${name}: ${side} DOS time/date`, render: renderDosBytes });
    };
    planDos(pos, c, S.cdh_time, 'central');
    const extraAt = pos + S.CENTRAL_HEADER_SIZE + nameLength;
    planExtra(ctx, await central.read(extraAt, extraLength, 'central extra field'), extraAt, { side: 'central', name, entry });
    if (c[S.cdh_version_made_by + 1] === S.HOST_UNIX) {
      const ext = c.readUInt32LE(S.cdh_external_attributes);
      const mode = ext >>> 16;
      const value = ((normalMode(mode) << 16) | (ext & 0xffff)) >>> 0;
      ctx.patch({ offset: pos + S.cdh_external_attributes, oldBytes: c.subarray(S.cdh_external_attributes, S.cdh_external_attributes + 4), bytes: u32le(value), field: `${name}: external attributes (mode)`, render: renderMode });
    }

    let localAt = c.readUInt32LE(S.cdh_local_header_offset);
    let offsetAt = pos + S.cdh_local_header_offset;
    if (localAt === 0xffffffff) {
      const z = zip64LocalOffset(await central.read(extraAt, extraLength, 'zip64 extra'), c, extraAt, r.base);
      localAt = z.value;
      offsetAt = extraAt + z.at;
    }
    localAt += end.prefix;
    if (localAt + S.LOCAL_HEADER_SIZE > r.size) {
      throw new FormatError(`${entry}: local header offset ${hex(localAt)} runs past the end of the file (size ${hex(r.size)})`, r.base + offsetAt);
    }
    const sharing = localOwners.get(localAt);
    if (sharing !== undefined) {
      throw new FormatError(`${entry}: local header offset ${hex(localAt)} is also that of central directory entry ${sharing}; entries cannot share a local header`, r.base + offsetAt);
    }
    localOwners.set(localAt, i);
    const l = await r.read(localAt, S.LOCAL_HEADER_SIZE, 'local header');
    if (l.readUInt32LE(0) !== S.LOCAL_FILE_HEADER_SIGNATURE) {
      throw new FormatError(`${entry}: local header at ${hex(localAt)} has a bad signature ${hex(l.readUInt32LE(0))}, not ${hex(S.LOCAL_FILE_HEADER_SIGNATURE)} ("PK\\3\\4")`, r.base + localAt);
    }
    planDos(localAt, l, S.lfh_time, 'local');
    const localNameLength = l.readUInt16LE(S.lfh_name_length);
    const localExtraAt = localAt + S.LOCAL_HEADER_SIZE + localNameLength;
    const localExtraLength = l.readUInt16LE(S.lfh_extra_length);
    if (localExtraAt + localExtraLength > r.size) {
      throw new FormatError(
        `${entry}: local header at ${hex(localAt)}: name and extra lengths ${localNameLength} + ${localExtraLength} run past the end of the file (size ${hex(r.size)})`,
        r.base + localAt + S.lfh_name_length,
      );
    }
    planExtra(ctx, await r.read(localExtraAt, localExtraLength, 'local extra field'), localExtraAt, { side: 'local', name, entry });
    const data = localExtraAt + localExtraLength;
    const size = c.readUInt32LE(S.cdh_compressed_size);
    const descriptorEnd = await planStoredMember(ctx, { name, entry, flags, method: l.readUInt16LE(S.lfh_method), size, data, localAt, centralAt: pos });
    members.add(localAt, data, size === 0xffffffff ? data : data + size, descriptorEnd, pos);
    pos = varEnd;
  }
  if (pos !== cdEnd) {
    throw new FormatError(`end of central directory counts ${end.entries} entries, but the central directory holds ${hex(cdEnd - pos)} more bytes after them`, r.base + pos);
  }
  await checkMembers(r, members, end.prefix + end.cdOffset);
  ctx.note('archive comment, entry comments, member order and compressed data kept');
}

/**
 * Local header offset -> the central directory entry that claimed it: a hash table
 * (open addressing) over two typed arrays, not a Map with an entry per member.
 */
class LocalOwners {
  private keys = new Float64Array(16).fill(-1);
  private owners = new Uint32Array(16);
  private size = 0;

  get(offset: number): number | undefined {
    const i = this.slot(offset);
    return this.keys[i] === offset ? this.owners[i] : undefined;
  }

  set(offset: number, owner: number): void {
    if (2 * (this.size + 1) > this.keys.length) this.grow();
    const i = this.slot(offset);
    if (this.keys[i] !== offset) this.size++;
    this.keys[i] = offset;
    this.owners[i] = owner;
  }

  /** Where `offset` is, or the empty slot it would go in (offsets are never negative: -1 is empty). */
  private slot(offset: number): number {
    const mask = this.keys.length - 1;
    let h = Math.imul(offset >>> 0, 0x9e3779b1) ^ Math.imul((offset / 2 ** 32) >>> 0, 0x85ebca6b);
    h ^= h >>> 15;
    let i = h & mask;
    while (this.keys[i] !== -1 && this.keys[i] !== offset) i = (i + 1) & mask;
    return i;
  }

  private grow(): void {
    const { keys, owners } = this;
    this.keys = new Float64Array(2 * keys.length).fill(-1);
    this.owners = new Uint32Array(2 * keys.length);
    for (let k = 0; k < keys.length; k++) {
      if (keys[k] === -1) continue;
      const i = this.slot(keys[k]);
      this.keys[i] = keys[k];
      this.owners[i] = owners[k];
    }
  }
}

/**
 * The members as the central directory places them, row i for entry i, a number column
 * per value (an object and a message string per member was 10 MB for 60,000 members).
 */
class Members {
  readonly localAt = new Numbers();
  /** Where the data starts: after the local header, its name and extra. */
  readonly data = new Numbers();
  /** data + compressed size (data alone when the size is only in a zip64 extra). */
  readonly dataEnd = new Numbers();
  /** End of the data descriptor CRC rewritten after the data (NaN: none is). */
  readonly descriptorEnd = new Numbers();
  readonly centralAt = new Numbers();

  get count(): number {
    return this.localAt.length;
  }

  add(localAt: number, data: number, dataEnd: number, descriptorEnd: number | undefined, centralAt: number): void {
    this.localAt.push(localAt);
    this.data.push(data);
    this.dataEnd.push(dataEnd);
    this.descriptorEnd.push(descriptorEnd ?? NaN);
    this.centralAt.push(centralAt);
  }
}

/** How messages name entry i: `central directory entry 3 ("a.txt")`, its name read again. */
async function entryName(r: RangeReader, i: number, centralAt: number): Promise<string> {
  const length = (await r.read(centralAt + S.cdh_name_length, 2, 'central directory entry')).readUInt16LE(0);
  const name = (await r.read(centralAt + S.CENTRAL_HEADER_SIZE, length, 'entry name')).toString('utf8');
  return `central directory entry ${i} (${JSON.stringify(name)})`;
}

/**
 * Members follow each other: each local header, its name, extra, data and data
 * descriptor end before the next local header, the last before the central directory.
 * A member laid over another would have its fields rewritten as part of the other's
 * bytes (and --zip-order name, which moves members whole, would cut them apart).
 */
async function checkMembers(r: RangeReader, members: Members, cdStart: number): Promise<void> {
  const { localAt, data, dataEnd, descriptorEnd, centralAt } = members;
  const order = localAt.order();
  for (let k = 0; k < order.length; k++) {
    const m = order[k];
    const next = k + 1 < order.length ? order[k + 1] : undefined;
    const limit = next !== undefined ? localAt.get(next) : cdStart;
    const into = () => (next !== undefined ? `the local header of central directory entry ${next} at ${hex(limit)}` : `the central directory at ${hex(limit)}`);
    const entry = () => entryName(r, m, centralAt.get(m));
    if (data.get(m) > limit) {
      throw new FormatError(`${await entry()}: local header at ${hex(localAt.get(m))}: its name and extra (up to ${hex(data.get(m))}) run into ${into()}`, r.base + localAt.get(m) + S.lfh_name_length);
    }
    if (dataEnd.get(m) > limit) {
      throw new FormatError(`${await entry()}: its data at ${hex(data.get(m))} (compressed size ${hex(dataEnd.get(m) - data.get(m))}) runs into ${into()}`, r.base + centralAt.get(m) + S.cdh_compressed_size);
    }
    if (descriptorEnd.get(m) > limit) {
      throw new FormatError(`${await entry()}: its data descriptor after ${hex(dataEnd.get(m))} runs into ${into()}`, r.base + centralAt.get(m) + S.cdh_compressed_size);
    }
  }
}

/**
 * The local header offset from a zip64 extra field, when the 32-bit field is 0xffffffff,
 * and where in `extra` it sits.
 */
export function zip64LocalOffset(extra: Buffer, c: Buffer, at: number, base: number): { value: number; at: number } {
  let pos = 0;
  while (pos + 4 <= extra.length) {
    const id = extra.readUInt16LE(pos);
    const size = extra.readUInt16LE(pos + 2);
    if (id === S.EXTRA_ZIP64) {
      // Present in this order, each only if its 32-bit field is saturated.
      let off = pos + 4;
      if (c.readUInt32LE(24) === 0xffffffff) off += 8;
      if (c.readUInt32LE(S.cdh_compressed_size) === 0xffffffff) off += 8;
      if (off + 8 > pos + 4 + size) break;
      return { value: Number(extra.readBigUInt64LE(off)), at: off };
    }
    pos += 4 + size;
  }
  throw new FormatError(`central directory entry at ${hex(at - S.CENTRAL_HEADER_SIZE - c.readUInt16LE(S.cdh_name_length))}: local header offset is 0xffffffff but no zip64 extra gives it`, base + at);
}

/**
 * A member stored uncompressed is planned in place by whatever format it is (a jar in a
 * zip, a gzip, a PE); its CRC-32 is then recomputed, in the local header, the central
 * directory and the data descriptor, after everything inside it.
 */
async function planStoredMember(
  ctx: PlanContext,
  m: { name: string; entry: string; flags: number; method: number; size: number; data: number; localAt: number; centralAt: number },
): Promise<number | undefined> {
  const r = ctx.reader;
  if (m.method !== S.METHOD_STORED) {
    if (/\.(zip|jar|apk|aar|whl|nupkg|vsix|war|ear|gz|tgz|a|lib)$/i.test(m.name)) ctx.note(`${m.name}: a compressed nested archive, not normalized in place (the recompress rewrite normalizes it unless --recompress never)`);
    return;
  }
  if (m.flags & S.FLAG_ENCRYPTED || m.size === 0xffffffff || m.size < 4) return;
  if (m.data + m.size > r.size) {
    throw new FormatError(
      `${m.entry}: stored data at ${hex(m.data)} (compressed size ${hex(m.size)}) runs past the end of the file (size ${hex(r.size)})`,
      r.base + m.centralAt + S.cdh_compressed_size,
    );
  }
  if (!(await ctx.member(m.data, m.size, m.name))) return;
  const places = [
    { at: m.localAt + S.lfh_crc32, side: 'local' },
    { at: m.centralAt + S.cdh_crc32, side: 'central' },
  ];
  let descriptorEnd: number | undefined;
  if (m.flags & S.FLAG_DATA_DESCRIPTOR) {
    const dd = m.data + m.size;
    const sig = (await r.read(dd, 4, 'data descriptor')).readUInt32LE(0);
    const at = sig === S.DATA_DESCRIPTOR_SIGNATURE ? dd + 4 : dd;
    places.push({ at, side: 'data descriptor' });
    descriptorEnd = at + 4;
  }
  for (const p of places) {
    ctx.derive({
      offset: p.at,
      size: 4,
      field: `${m.name}: ${p.side} CRC-32 of the normalized member`,
      stage: S.CRC_STAGE_BASE - ctx.depth,
      range: { start: m.data, end: m.data + m.size },
      render: (b) => hex(b.readUInt32LE(0)),
      createHasher: () => {
        let crc = 0;
        return { update: (chunk) => void (crc = crc32(chunk, crc)), digest: () => u32le(crc) };
      },
    });
  }
  return descriptorEnd;
}
