// The structure of a tar archive as named spans, for `explain <a> <b>`: each header with
// its fields, each pax record, each entry's data (a file of its own, so a jar or an
// archive inside names its own parts) and the end-of-archive marker. A header the walk
// cannot read ends the list: what follows is one span.
import { FormatError } from '../../core/errors.js';
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';
import { walkTar, type TarHeader } from './walk.js';

/** Most headers named; past that the rest of the archive is one span. */
const MAX_HEADERS = 1 << 20;

const FIELDS: [string, S.Field][] = [
  ['name', S.name],
  ['mode', S.mode],
  ['uid', S.uid],
  ['gid', S.gid],
  ['size', S.size],
  ['mtime', S.mtime],
  ['chksum', S.chksum],
  ['typeflag', S.typeflag],
  ['linkname', S.linkname],
];
const USTAR_FIELDS: [string, S.Field][] = [
  ['magic and version', { offset: S.magic.offset, size: 8 }],
  ['uname', S.uname],
  ['gname', S.gname],
  ['devmajor', S.devmajor],
  ['devminor', S.devminor],
];

function headerRegions(h: TarHeader): Region[] {
  const title = `tar ${h.label}`;
  const out: Region[] = [{ start: h.at, end: h.at + S.BLOCK, label: title }];
  const fields = h.flavor === 'v7' ? FIELDS : [...FIELDS, ...USTAR_FIELDS];
  if (h.flavor === 'ustar') fields.push(['prefix', S.prefix]);
  if (h.flavor === 'gnu') fields.push(['atime', S.gnuAtime], ['ctime', S.gnuCtime]);
  for (const [name, f] of fields) {
    const r: Region = { start: h.at + f.offset, end: h.at + f.offset + f.size, label: `${title}: ${name}` };
    if (name === 'chksum') r.derivedFrom = 'computed from the header block';
    out.push(r);
  }
  if (h.dataStart > h.at + S.BLOCK) out.push({ start: h.at + S.BLOCK, end: h.dataStart, label: `${title}: sparse extension blocks` });
  for (const r of h.records) out.push({ start: r.start, end: r.end, label: `${title}: pax record ${r.key}` });
  if (h.size > 0) {
    const data: Region = { start: h.dataStart, end: h.dataStart + h.size, label: `tar ${h.kind === 'entry' ? `entry ${h.path}` : h.label} (data)`, rva: 0, rvaName: 'offset' };
    if (h.kind === 'entry' && S.FILE_TYPES.has(h.type) && !h.sparse) {
      data.member = true;
      // explain pairs the entries of a and b by name when the archive's layout moved.
      data.entry = h.path;
    }
    out.push(data);
  }
  if (h.next > h.dataStart + h.size) out.push({ start: h.dataStart + h.size, end: h.next, label: `${title} (padding to 512 bytes)` });
  return out;
}

export async function tarRegions(r: RangeReader): Promise<Region[]> {
  const out: Region[] = [];
  const walk = walkTar(r);
  let at = 0;
  try {
    for (let n = 0; ; n++) {
      if (n === MAX_HEADERS) {
        out.push({ start: at, end: r.size, label: `tar headers after the first ${MAX_HEADERS}` });
        break;
      }
      const step = await walk.next();
      if (step.done) {
        const end = step.value;
        if (end.end > end.at) out.push({ start: end.at, end: end.end, label: 'tar end-of-archive marker (zero blocks)' });
        if (r.size > end.end) out.push({ start: end.end, end: r.size, label: 'after the end of the tar archive (padding or appended data)' });
        break;
      }
      out.push(...headerRegions(step.value));
      at = step.value.next;
    }
  } catch (e) {
    if (!(e instanceof FormatError)) throw e;
    out.push({ start: at, end: r.size, label: `tar data the walk could not read (${e.message})` });
  }
  return out.filter((x) => x.start < x.end);
}
