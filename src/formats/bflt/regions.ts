// The structure of a bFLT binary, for `explain <a> <b>`: header fields, text, data and relocations.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export async function bfltRegions(r: RangeReader): Promise<Region[]> {
  const h = await r.read(0, S.HEADER_SIZE, 'bFLT header');
  const w = (off: number) => h.readUInt32BE(off);
  const clip = (x: number) => Math.min(Math.max(x, S.HEADER_SIZE), r.size);
  const out: Region[] = [{ start: 0, end: S.HEADER_SIZE, label: 'bFLT header' }];
  if (w(S.OFF_REV) === S.REV) out.push({ start: S.OFF_BUILD_DATE, end: S.OFF_BUILD_DATE + 4, label: 'build_date', kind: 'timestamp' });
  if (!(w(S.OFF_FLAGS) & S.FLAG_GZIP)) {
    out.push({ start: S.HEADER_SIZE, end: clip(w(S.OFF_DATA_START)), label: 'bFLT text', rva: 0, rvaName: 'offset' });
    out.push({ start: clip(w(S.OFF_DATA_START)), end: clip(w(S.OFF_DATA_END)), label: 'bFLT data', rva: 0, rvaName: 'offset' });
    const reloc = clip(w(S.OFF_RELOC_START));
    out.push({ start: reloc, end: clip(reloc + w(S.OFF_RELOC_COUNT) * S.RELOC_SIZE), label: 'bFLT relocations' });
  }
  return out.filter((x) => x.start < x.end);
}
