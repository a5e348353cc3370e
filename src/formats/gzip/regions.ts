// The structure of a gzip file as named spans, for `explain <a> <b>`: the header (with
// its MTIME and file name), the deflate data and the trailer.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export async function gzipRegions(r: RangeReader): Promise<Region[]> {
  const h = await r.read(0, S.HEADER_SIZE, 'gzip header');
  const flg = h[S.OFF_FLG];
  const out: Region[] = [{ start: S.OFF_MTIME, end: S.OFF_MTIME + 4, label: 'gzip header MTIME' }];
  let pos = S.HEADER_SIZE;
  if (flg & S.FEXTRA) {
    const xlen = (await r.read(pos, 2, 'gzip XLEN')).readUInt16LE(0);
    out.push({ start: pos, end: Math.min(pos + 2 + xlen, r.size), label: 'gzip header FEXTRA' });
    pos += 2 + xlen;
  }
  if (flg & S.FNAME) {
    const end = (await r.findNul(pos, 'gzip FNAME')) + 1;
    out.push({ start: pos, end, label: 'gzip header FNAME (original file name)' });
    pos = end;
  }
  if (flg & S.FCOMMENT) {
    const end = (await r.findNul(pos, 'gzip FCOMMENT')) + 1;
    out.push({ start: pos, end, label: 'gzip header FCOMMENT' });
    pos = end;
  }
  if (flg & S.FHCRC) {
    out.push({ start: pos, end: pos + 2, label: 'gzip header FHCRC', derivedFrom: 'computed from the gzip header' });
    pos += 2;
  }
  out.push({ start: 0, end: pos, label: 'gzip header' });
  const trailer = Math.max(pos, r.size - S.TRAILER_SIZE);
  // Only a single-member file is known to end with its own trailer; the data is then raw deflate.
  out.push({ start: pos, end: trailer, label: 'deflate data', rva: 0, rvaName: 'offset', deflate: true });
  out.push({ start: trailer, end: r.size, label: 'gzip trailer (CRC-32, ISIZE)', derivedFrom: 'computed from the uncompressed data' });
  return out.filter((x) => x.start < x.end);
}
