import { crc32 } from 'node:zlib';
import { displayPath } from '../../core/paths.js';
import type { FormatRewrite } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { readHeader } from './header.js';
import { headerCrc } from './plan.js';
import * as S from './spec.js';

/** How much of the compressed data is copied per read. */
const CHUNK = 1 << 20;

/**
 * --gzip-name drop: the first member's header without FNAME and FCOMMENT (the original
 * file name and comment, which differ when the input had a temporary name). The file gets
 * shorter, so this goes through the engine's rewrite path; the compressed data, its
 * trailer and any later members are copied byte for byte.
 */
export const dropName: FormatRewrite = {
  field: 'FNAME/FCOMMENT',
  result: 'dropped (the header without them)',
  wanted: (settings) => settings['gzip-name'] === 'drop',
  async needed(reader) {
    const h = await readHeader(reader);
    const parts = [];
    if (h.name) parts.push(`FNAME ${displayPath((await reader.read(h.name[0], h.name[1] - h.name[0] - 1, 'gzip FNAME')))}`);
    if (h.comment) parts.push(`FCOMMENT (${h.comment[1] - h.comment[0] - 1} bytes)`);
    return parts.length > 0 ? parts.join(', ') : undefined;
  },
  async write(reader: RangeReader, out) {
    const h = await readHeader(reader);
    const fixed = Buffer.from(h.fixed);
    fixed[S.OFF_FLG] = h.flg & ~(S.FNAME | S.FCOMMENT);
    const parts: Buffer[] = [fixed];
    if (h.extra) parts.push(await reader.read(h.extra[0], h.extra[1] - h.extra[0], 'gzip extra field'));
    const header = Buffer.concat(parts);
    await out(header);
    if (h.flg & S.FHCRC) await out(headerCrc(crc32(header)));
    for (let pos = h.dataStart; pos < reader.size; pos += CHUNK) await out(await reader.read(pos, Math.min(CHUNK, reader.size - pos), 'gzip data'));
  },
};
