// The structure of a cpio archive as named spans, for `explain <a> <b>`: each entry's
// header (and every field in it), its name and its data, the trailer and the padding
// after it. Entry data is marked as a file of its own, so an archive or a gzip inside
// can name its own parts.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { kindOf, pad, readField, type Kind } from './header.js';
import * as S from './spec.js';

/** Most entries named; past that the rest of the archive is one span. */
const MAX_ENTRIES = 1 << 18;

export async function cpioRegions(r: RangeReader): Promise<Region[]> {
  const out: Region[] = [];
  let at = 0;
  let kind: Kind | undefined;
  for (let n = 0; at < r.size; n++) {
    if (n === MAX_ENTRIES) {
      out.push({ start: at, end: r.size, label: `entries after the first ${MAX_ENTRIES}` });
      break;
    }
    const probe = await r.readUpTo(at, 6, 'cpio header magic');
    const k = kindOf(probe);
    // One archive keeps one variant; after its trailer another archive may use any.
    if (!k || (kind && (k.layout !== kind.layout || k.le !== kind.le))) break;
    kind = k;
    const l = k.layout;
    if (at + l.headerSize > r.size) break;
    const raw = await r.read(at, l.headerSize, 'cpio header');
    const num = (f: S.Field) => readField(k, raw, f);
    const namesize = num(l.c_namesize);
    const filesize = num(l.c_filesize);
    if (namesize === undefined || filesize === undefined) break;
    const nameStart = at + l.headerSize;
    const nameBytes = await r.readUpTo(nameStart, Math.min(namesize, 1 << 16), 'cpio entry name');
    const nul = nameBytes.indexOf(0);
    const name = nameBytes.toString('utf8', 0, nul < 0 ? nameBytes.length : nul);
    const trailer = name === S.TRAILER;
    const title = trailer ? `trailer ${S.TRAILER}` : `entry ${name}`;
    out.push({ start: at, end: nameStart, label: `${title} (header)` });
    for (const f of l.fields) out.push({ start: at + f.offset, end: at + f.offset + f.size, label: `${title} ${f.name}` });
    const dataStart = Math.min(pad(nameStart + namesize, l.align), r.size);
    out.push({ start: nameStart, end: Math.min(nameStart + namesize, r.size), label: `${title} (name)` });
    if (dataStart > nameStart + namesize) out.push({ start: nameStart + namesize, end: dataStart, label: `${title} (name padding)` });
    const dataEnd = Math.min(dataStart + filesize, r.size);
    const mode = num(l.c_mode) ?? 0;
    if (dataEnd > dataStart) {
      const regular = (mode & S.S_IFMT) === S.S_IFREG;
      // A regular file's data is a file of its own, paired by name when explain compares two archives whose layout moved.
      out.push({ start: dataStart, end: dataEnd, label: `${title} (${regular ? 'data' : 'link target'})`, rva: 0, rvaName: 'offset', member: regular, ...(regular ? { entry: name } : {}) });
    }
    at = Math.min(pad(dataEnd, l.align), r.size);
    if (at > dataEnd) out.push({ start: dataEnd, end: at, label: `${title} (data padding)` });
    if (trailer) {
      let next = at;
      while (next < r.size) {
        const chunk = await r.readUpTo(next, 64 * 1024, 'padding after the trailer');
        const i = chunk.findIndex((b) => b !== 0);
        if (i >= 0) {
          next += i;
          break;
        }
        next += chunk.length;
      }
      if (next > at) out.push({ start: at, end: next, label: 'padding after the trailer' });
      if (next < r.size && !kindOf(await r.readUpTo(next, 6, 'cpio header magic'))) {
        out.push({ start: next, end: r.size, label: 'bytes after the trailer (not a cpio archive)' });
        break;
      }
      at = next;
      kind = undefined;
    }
  }
  return out.filter((x) => x.start < x.end);
}
