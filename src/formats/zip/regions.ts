// The structure of a zip archive as named spans, for `explain <a> <b>`: per member its
// local header, data (stored: a file of its own; deflated: inflated to look inside) and
// data descriptor, then its central directory entry, and the end records.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { readEnd } from './plan.js';
import * as S from './spec.js';

const METHOD_DEFLATE = 8;
/** Most entries named; the central directory is bounded by the file, this by memory. */
const MAX_ENTRIES = 1 << 20;

/** The compressed size, from the zip64 extra field when the 32-bit one is saturated. */
function compressedSize(c: Buffer, extra: Buffer): number {
  const size = c.readUInt32LE(S.cdh_compressed_size);
  if (size !== 0xffffffff) return size;
  for (let pos = 0; pos + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(pos);
    const len = extra.readUInt16LE(pos + 2);
    if (id === S.EXTRA_ZIP64) {
      const off = pos + 4 + (c.readUInt32LE(24) === 0xffffffff ? 8 : 0);
      return off + 8 <= pos + 4 + len ? Number(extra.readBigUInt64LE(off)) : 0;
    }
    pos += 4 + len;
  }
  return 0;
}

export async function zipRegions(r: RangeReader): Promise<Region[]> {
  const end = await readEnd(r);
  const out: Region[] = [];
  const add = (start: number, stop: number, label: string, extra: Partial<Region> = {}) => {
    const e = Math.min(stop, r.size);
    if (start < e) out.push({ start, end: e, label, ...extra });
  };
  add(0, end.prefix, 'data before the archive (stub)');
  const cdStart = end.prefix + end.cdOffset;
  const cdEnd = cdStart + end.cdSize;
  add(cdStart, cdEnd, 'central directory');
  add(cdEnd, r.size - end.junk, 'end of central directory records');
  add(r.size - end.junk, r.size, 'data after the archive (appended)');
  let pos = cdStart;
  for (let i = 0; i < Math.min(end.entries, MAX_ENTRIES) && pos + S.CENTRAL_HEADER_SIZE <= cdEnd; i++) {
    const c = await r.read(pos, S.CENTRAL_HEADER_SIZE, 'central directory entry');
    if (c.readUInt32LE(0) !== S.CENTRAL_DIRECTORY_SIGNATURE) break;
    const nameLength = c.readUInt16LE(S.cdh_name_length);
    const extraLength = c.readUInt16LE(S.cdh_extra_length);
    const varEnd = pos + S.CENTRAL_HEADER_SIZE + nameLength + extraLength + c.readUInt16LE(S.cdh_comment_length);
    const name = (await r.readUpTo(pos + S.CENTRAL_HEADER_SIZE, nameLength, 'entry name')).toString('utf8');
    const extra = await r.readUpTo(pos + S.CENTRAL_HEADER_SIZE + nameLength, extraLength, 'central extra field');
    const crc = `computed from the data of member ${name}`;
    add(pos, varEnd, `member ${name} (central directory entry)`);
    add(pos + S.cdh_crc32, pos + S.cdh_crc32 + 4, 'CRC-32', { derivedFrom: crc });
    add(pos + S.CENTRAL_HEADER_SIZE + nameLength, pos + S.CENTRAL_HEADER_SIZE + nameLength + extraLength, 'extra fields');

    let localAt = c.readUInt32LE(S.cdh_local_header_offset);
    if (localAt === 0xffffffff) {
      const z = extra.length > 0 ? zip64Offset(c, extra) : undefined;
      if (z === undefined) {
        pos = varEnd;
        continue;
      }
      localAt = z;
    }
    localAt += end.prefix;
    if (localAt + S.LOCAL_HEADER_SIZE <= r.size) {
      const l = await r.read(localAt, S.LOCAL_HEADER_SIZE, 'local header');
      const lName = l.readUInt16LE(S.lfh_name_length);
      const lExtra = l.readUInt16LE(S.lfh_extra_length);
      const data = localAt + S.LOCAL_HEADER_SIZE + lName + lExtra;
      const flags = l.readUInt16LE(S.lfh_flags);
      const method = l.readUInt16LE(S.lfh_method);
      const size = compressedSize(c, extra);
      add(localAt, data, `member ${name} (local header)`);
      add(localAt + S.lfh_crc32, localAt + S.lfh_crc32 + 4, 'CRC-32', { derivedFrom: crc });
      add(localAt + S.LOCAL_HEADER_SIZE + lName, data, 'extra fields');
      const encrypted = (flags & S.FLAG_ENCRYPTED) !== 0;
      add(data, data + size, `member ${name} (${encrypted ? 'encrypted' : method === S.METHOD_STORED ? 'stored' : method === METHOD_DEFLATE ? 'deflated' : `method ${method}`} data)`, {
        rva: 0,
        rvaName: 'offset',
        member: method === S.METHOD_STORED && !encrypted,
        deflate: method === METHOD_DEFLATE && !encrypted,
        entry: name,
      });
      if (flags & S.FLAG_DATA_DESCRIPTOR) {
        const dd = data + size;
        const sig = dd + 4 <= r.size && (await r.read(dd, 4, 'data descriptor')).readUInt32LE(0) === S.DATA_DESCRIPTOR_SIGNATURE;
        const zip64 = c.readUInt32LE(S.cdh_compressed_size) === 0xffffffff;
        add(dd, dd + (sig ? 4 : 0) + (zip64 ? 20 : 12), `member ${name} (data descriptor)`, { derivedFrom: crc });
      }
    }
    pos = varEnd;
  }
  return out;
}

function zip64Offset(c: Buffer, extra: Buffer): number | undefined {
  for (let pos = 0; pos + 4 <= extra.length; ) {
    const id = extra.readUInt16LE(pos);
    const len = extra.readUInt16LE(pos + 2);
    if (id === S.EXTRA_ZIP64) {
      let off = pos + 4;
      if (c.readUInt32LE(24) === 0xffffffff) off += 8;
      if (c.readUInt32LE(S.cdh_compressed_size) === 0xffffffff) off += 8;
      return off + 8 <= pos + 4 + len ? Number(extra.readBigUInt64LE(off)) : undefined;
    }
    pos += 4 + len;
  }
  return undefined;
}
