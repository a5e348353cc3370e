// A javadoc page as named spans, for `explain <a> <b>`: the head with its dated fields,
// and the body (the documentation itself).
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { readHead } from './page.js';

export async function javadocRegions(r: RangeReader): Promise<Region[]> {
  const head = await readHead(r);
  const out: Region[] = [
    { start: head.comment.start, end: head.comment.end, label: 'javadoc generator comment' },
    { start: head.date.start, end: head.date.end, label: 'javadoc generator comment date' },
    ...head.metas.map((m) => ({ start: m.start, end: m.end, label: `<meta name="${m.name}"> date` })),
  ];
  const headEnd = head.headEnd ?? head.scanned;
  out.push({ start: 0, end: headEnd, label: 'HTML head' });
  if (headEnd < r.size) out.push({ start: headEnd, end: r.size, label: 'HTML body (the documentation)' });
  return out.filter((x) => x.start < x.end);
}
