// The structure of a U-Boot legacy image, for `explain <a> <b>`: the header's fields by
// name and the image data.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export async function uimageRegions(r: RangeReader): Promise<Region[]> {
  const h = await r.read(0, S.HEADER_SIZE, 'uImage header');
  const size = h.readUInt32BE(S.OFF_SIZE);
  const end = Math.min(r.size, S.HEADER_SIZE + size);
  const out: Region[] = [
    { start: 0, end: S.HEADER_SIZE, label: 'uImage header' },
    { start: S.OFF_HCRC, end: S.OFF_HCRC + 4, label: 'ih_hcrc (header CRC)', derivedFrom: 'computed from the uImage header' },
    { start: S.OFF_TIME, end: S.OFF_TIME + 4, label: 'ih_time (creation time)', kind: 'timestamp' },
    { start: S.OFF_DCRC, end: S.OFF_DCRC + 4, label: 'ih_dcrc (data CRC)', derivedFrom: 'computed from the image data' },
    { start: S.OFF_NAME, end: S.OFF_NAME + S.NAME_SIZE, label: 'ih_name' },
    { start: S.HEADER_SIZE, end, label: 'uImage data', rva: 0, rvaName: 'offset' },
  ];
  if (end < r.size) out.push({ start: end, end: r.size, label: 'bytes after the uImage data' });
  return out.filter((x) => x.start < x.end);
}
