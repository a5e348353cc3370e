// The structure of a PNG as named spans, for `explain <a> <b>`: each chunk, its data and
// CRC, and the fields unstamp knows by name (tIME, the date text chunks), so a difference
// there is called what it is rather than guessed from its bytes.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { readChunks } from './chunks.js';
import * as S from './spec.js';

const WHAT: Record<string, string> = {
  IHDR: 'image header',
  PLTE: 'palette',
  IDAT: 'image data',
  IEND: 'end',
  tIME: 'last-modification time',
  tEXt: 'text',
  zTXt: 'compressed text',
  iTXt: 'international text',
  pHYs: 'physical pixel size',
  gAMA: 'gamma',
  cHRM: 'chromaticities',
  bKGD: 'background colour',
  eXIf: 'Exif data',
};

export async function pngRegions(r: RangeReader): Promise<Region[]> {
  // Regions describe even a damaged file: its CRCs are not checked here.
  const { chunks, trailing } = await readChunks(r, false);
  const out: Region[] = [{ start: 0, end: S.SIGNATURE.length, label: 'PNG signature' }];
  let idat = 0;
  for (const c of chunks) {
    let label = `PNG chunk ${c.type}${c.type === 'IDAT' ? ` #${++idat}` : ''}`;
    if (WHAT[c.type]) label += ` (${WHAT[c.type]})`;
    let kind: Region['kind'];
    let data = `${c.type} data`;
    if (c.type === 'tIME') kind = 'timestamp';
    else if (c.type === 'tEXt' || c.type === 'zTXt' || c.type === 'iTXt') {
      const head = await r.readUpTo(c.data, Math.min(c.length, S.MAX_KEYWORD + 1), 'PNG text keyword');
      const nul = head.indexOf(0);
      if (nul > 0) {
        const keyword = head.toString('latin1', 0, nul);
        label = `PNG chunk ${c.type} ${JSON.stringify(keyword)}`;
        data = `${c.type} ${JSON.stringify(keyword)} keyword and text`;
        if (S.isDateKeyword(keyword)) kind = 'timestamp';
      }
    }
    out.push({ start: c.offset, end: c.crcAt + S.CHUNK_CRC, label });
    if (c.length > 0) out.push({ start: c.data, end: c.crcAt, label: data, ...(kind ? { kind } : {}) });
    out.push({ start: c.crcAt, end: c.crcAt + S.CHUNK_CRC, label: `${c.type} CRC`, derivedFrom: `computed from the ${c.type} chunk's type and data` });
  }
  if (trailing > 0) out.push({ start: r.size - trailing, end: r.size, label: 'bytes after the IEND chunk' });
  return out;
}
