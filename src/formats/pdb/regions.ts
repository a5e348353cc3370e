// The structure of a PDB (MSF 7.00) as named spans, for `explain <a> <b>`: the
// superblock, the free block maps, the block map and stream directory, and every block
// of every stream, named by stream number (and the fixed streams by name) with the
// offset inside the stream; blocks no stream uses are "free".
import type { Region } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { isFpmBlock, readMsf } from './msf.js';
import * as S from './spec.js';

export const STREAM_NAMES: Record<number, string> = {
  [S.STREAM_OLD_DIRECTORY]: 'old stream directory',
  [S.STREAM_PDB]: 'PDB info',
  [S.STREAM_TPI]: 'TPI',
  [S.STREAM_DBI]: 'DBI',
  [S.STREAM_IPI]: 'IPI',
};

export const streamLabel = (i: number) => `stream ${i}${STREAM_NAMES[i] ? ` (${STREAM_NAMES[i]})` : ''}`;

export async function pdbRegions(r: RangeReader): Promise<Region[]> {
  const msf = await readMsf(r);
  const bs = msf.blockSize;
  const owner = new Array<Region | undefined>(msf.numBlocks);
  const out: Region[] = [];
  const block = (b: number, region: Omit<Region, 'start' | 'end'>, length = bs) => {
    const start = b * bs;
    const reg = { start, end: Math.min(start + length, r.size), ...region };
    owner[b] = reg;
    out.push(reg);
  };
  block(0, { label: 'MSF superblock' });
  for (let b = 1; b < msf.numBlocks; b++) if (isFpmBlock(bs, b)) block(b, { label: `free block map (FPM${b % bs === msf.freeBlockMapBlock ? ', current' : ', other copy'})` });
  block(msf.blockMapAddr, { label: 'MSF block map (directory block list)' });
  msf.directoryBlocks.forEach((b, i) => block(b, { label: 'MSF stream directory', rva: i * bs, rvaName: 'offset' }));
  for (const s of msf.streams) {
    s.blocks.forEach((b, j) => {
      const used = Math.min(bs, s.size - j * bs);
      block(b, { label: streamLabel(s.index), rva: j * bs, rvaName: 'stream offset' }, used);
      if (used < bs) out.push({ start: b * bs + used, end: (b + 1) * bs, label: `${streamLabel(s.index)} (slack after its end)` });
    });
  }
  // Blocks nothing references: free (or stale) space, in runs.
  for (let b = 0; b < msf.numBlocks; ) {
    if (owner[b]) {
      b++;
      continue;
    }
    let e = b;
    while (e < msf.numBlocks && !owner[e]) e++;
    out.push({ start: b * bs, end: Math.min(e * bs, r.size), label: 'free blocks (used by no stream)' });
    b = e;
  }
  if (msf.numBlocks * bs < r.size) out.push({ start: msf.numBlocks * bs, end: r.size, label: 'after the last MSF block' });
  return out;
}
