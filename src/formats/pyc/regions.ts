// A pyc as named spans, for `explain <a> <b>`: the header's fields and the marshalled code.
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export async function pycRegions(r: RangeReader): Promise<Region[]> {
  const head = await r.read(0, S.HEADER_SIZE, 'pyc header');
  const flags = head.readUInt32LE(S.OFF_FLAGS);
  const out: Region[] = [
    { start: 0, end: 4, label: 'pyc magic number' },
    { start: 4, end: 8, label: 'pyc flags' },
  ];
  if (flags & S.FLAG_HASH_BASED) out.push({ start: 8, end: 16, label: 'pyc source hash', derivedFrom: 'computed from the source file (SipHash)' });
  else out.push({ start: 8, end: 12, label: 'pyc source mtime' }, { start: 12, end: 16, label: 'pyc source size' });
  out.push({ start: 0, end: S.HEADER_SIZE, label: 'pyc header' });
  if (r.size > S.HEADER_SIZE) out.push({ start: S.HEADER_SIZE, end: r.size, label: 'marshalled code object' });
  return out;
}
