// The structure of a .mo catalog as named spans, for `explain <a> <b>`: its header, the
// two string tables, the header entry with its date fields named, and the strings.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { readCatalog } from './catalog.js';
import * as S from './spec.js';

export async function moRegions(r: RangeReader): Promise<Region[]> {
  const cat = await readCatalog(r);
  const out: Region[] = [
    { start: 0, end: S.HEADER_SIZE, label: '.mo header' },
    { start: cat.originals, end: cat.originals + cat.count * S.ENTRY_SIZE, label: '.mo original string table' },
    { start: cat.translations, end: cat.translations + cat.count * S.ENTRY_SIZE, label: '.mo translation string table' },
  ];
  for (const [offset, length] of cat.headers) {
    out.push({ start: offset, end: offset + length, label: 'catalog header entry (msgid "")' });
    const text = (await r.read(offset, Math.min(length, 64 * 1024), '.mo header entry')).toString('latin1');
    for (const key of S.DATE_FIELDS) {
      const m = new RegExp(`(^|\\n)${key}: ([^\\n]*)`).exec(text);
      if (!m) continue;
      const at = offset + m.index + m[1].length + key.length + 2;
      out.push({ start: at, end: at + m[2].length, label: `catalog header ${key}`, kind: 'timestamp' });
    }
  }
  return out.filter((x) => x.start < x.end);
}
