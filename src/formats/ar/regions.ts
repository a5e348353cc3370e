// The structure of an ar archive as named spans, for `explain <a> <b>`: each member's
// header and data (named as the tools name it: GNU // long names, BSD #1/N names), the
// symbol tables and the long-name table. Member data is marked as a file of its own, so
// an object inside can name its own parts.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';
import { fieldText } from './fields.js';

/** Most members named; past that the rest of the archive is one span. */
const MAX_MEMBERS = 1 << 20;

export async function arRegions(r: RangeReader): Promise<Region[]> {
  const magic = (await r.read(0, S.SARMAG, 'archive magic')).toString('latin1');
  const thin = magic === S.ARMAG_THIN;
  const out: Region[] = [{ start: 0, end: S.SARMAG, label: 'archive magic' }];
  let longnames: Buffer | undefined;
  let at = S.SARMAG;
  for (let n = 0; at + S.AR_HDR_SIZE <= r.size; n++) {
    if (n === MAX_MEMBERS) {
      out.push({ start: at, end: r.size, label: `members after the first ${MAX_MEMBERS}` });
      break;
    }
    const h = await r.read(at, S.AR_HDR_SIZE, 'member header');
    const size = Number(fieldText(h, S.ar_size));
    if (!Number.isSafeInteger(size) || h.toString('latin1', S.ar_fmag.offset, S.ar_fmag.offset + S.ar_fmag.size) !== S.ARFMAG) break;
    const stored = fieldText(h, S.ar_name);
    const data = at + S.AR_HDR_SIZE;
    let name = stored.endsWith('/') && stored.length > 1 && !stored.startsWith('/') ? stored.slice(0, -1) : stored;
    let nameLength = 0;
    let what = 'member';
    if (stored === S.GNU_SYMTAB || stored === S.GNU_SYMTAB64) what = 'symbol table';
    else if (stored === S.GNU_LONGNAMES) what = 'long-name table';
    else if (/^\/\d+$/.test(stored) && longnames) {
      const from = Number(stored.slice(1));
      const end = longnames.indexOf(0x0a, from);
      name = longnames.toString('latin1', from, end < 0 ? longnames.length : end).replace(/\/$/, '');
    } else if (stored.startsWith(S.BSD_LONGNAME_PREFIX)) {
      nameLength = Math.min(Number(stored.slice(S.BSD_LONGNAME_PREFIX.length)) || 0, size);
      name = (await r.readUpTo(data, nameLength, 'BSD member name')).toString('latin1').replace(/\0+$/, '');
    }
    if (name.startsWith(S.BSD_SYMTAB_PREFIX)) what = 'symbol table';
    const title = what === 'member' ? `member ${name}` : `${what} ${stored}`;
    out.push({ start: at, end: data, label: `${title} (header)` });
    const inFile = thin && what === 'member' ? 0 : Math.min(size, r.size - data);
    if (nameLength > 0) out.push({ start: data, end: data + nameLength, label: `${title} (BSD name)` });
    if (inFile > nameLength) {
      out.push({
        start: data + nameLength,
        end: data + inFile,
        label: `${title} (data)`,
        rva: 0,
        rvaName: 'offset',
        member: what === 'member',
        ...(what === 'member' ? { entry: name } : {}),
      });
    }
    if (what === 'long-name table' && inFile <= 1 << 20) longnames = await r.read(data, inFile, '// table');
    at = data + inFile;
    if (at % 2 === 1 && at < r.size) {
      out.push({ start: at, end: at + 1, label: `${title} (padding)` });
      at += 1;
    }
  }
  return out;
}
