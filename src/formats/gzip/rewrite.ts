import { crc32 } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import { displayPath } from '../../core/paths.js';
import type { FormatRewrite, NormalizedPayload, RewriteChange, RewriteTools } from '../../core/format.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import { deflate, inflated, inflatedHead, type InflateState } from '../shared/deflate.js';
import { readHeader, type GzipHeader } from './header.js';
import { headerCrc } from './plan.js';
import * as S from './spec.js';

/** How much of the payload is inflated to tell its format. */
const HEAD = 512;

/**
 * The deflate level that reproduces what XFL says the compressor used: 2 "maximum
 * compression" (gzip -9) -> 9, 4 "fastest" (gzip -1) -> 1, anything else zlib's default 6.
 */
export function levelOf(xfl: number): number {
  return xfl === S.XFL_MAX ? 9 : xfl === S.XFL_FAST ? 1 : 6;
}

const wantsDrop = (tools: RewriteTools) => tools.settings['gzip-name'] === 'drop';

/** The header with FNAME and FCOMMENT dropped when asked, FHCRC recomputed for it. */
async function newHeader(reader: RangeReader, h: GzipHeader, drop: boolean): Promise<Buffer> {
  if (!drop || (!h.name && !h.comment)) return reader.read(0, h.dataStart, 'gzip header');
  const fixed = Buffer.from(h.fixed);
  fixed[S.OFF_FLG] = h.flg & ~(S.FNAME | S.FCOMMENT);
  const parts: Buffer[] = [fixed];
  if (h.extra) parts.push(await reader.read(h.extra[0], h.extra[1] - h.extra[0], 'gzip extra field'));
  const header = Buffer.concat(parts);
  return h.flg & S.FHCRC ? Buffer.concat([header, headerCrc(crc32(header))]) : header;
}

/**
 * The first member's payload, normalized: inflated (the deflate stream must end exactly
 * before the 8-byte trailer, and match its CRC-32 and ISIZE), then planned and rewritten
 * by whatever format it is. Undefined when no format claims it, or when the file has more
 * than one member (then `multi` is set and the payload is left alone).
 */
async function normalizedPayload(reader: RangeReader, h: GzipHeader, tools: RewriteTools, found: { multi?: boolean }): Promise<NormalizedPayload | undefined> {
  const end = reader.size - S.TRAILER_SIZE;
  const trailer = await reader.read(end, S.TRAILER_SIZE, 'gzip trailer');
  const isize = trailer.readUInt32LE(4);
  // Tell the format from the first bytes: a payload no format claims is not inflated whole.
  const head = await inflatedHead(reader, h.dataStart, reader.size, HEAD, 'gzip data');
  if (!tools.detect(head, isize)) return undefined;
  const state: InflateState = { consumed: 0 };
  let crc = 0;
  let size = 0;
  async function* data(): AsyncIterable<Buffer> {
    for await (const chunk of inflated(reader, h.dataStart, reader.size, 'gzip data', state)) {
      crc = crc32(chunk, crc);
      size += chunk.length;
      yield chunk;
    }
    const streamEnd = h.dataStart + state.consumed;
    // More after the first member's trailer: another member (or appended bytes). Only the
    // first member's payload could be rewritten, so the payload stays as it is.
    if (streamEnd < end) return void (found.multi = true);
    if (streamEnd > end) throw new FormatError(`gzip data at ${hex(h.dataStart)}: the deflate stream runs into the 8-byte trailer at ${hex(end)} (truncated?)`, reader.base + end);
    if (trailer.readUInt32LE(0) !== crc >>> 0) {
      throw new FormatError(`gzip trailer at ${hex(end)}: CRC-32 ${hex(trailer.readUInt32LE(0))} does not match the inflated data's ${hex(crc >>> 0)}`, reader.base + end);
    }
    if (isize !== size % 2 ** 32) throw new FormatError(`gzip trailer at ${hex(end)}: ISIZE ${isize} does not match the inflated size ${size}`, reader.base + end + 4);
  }
  let payload: NormalizedPayload | undefined;
  try {
    payload = await tools.normalize(data(), 'payload');
  } catch (e) {
    if (e instanceof FormatError && e.offset === undefined) throw new FormatError(`gzip data at ${hex(h.dataStart)}: ${e.message}`, reader.base + h.dataStart);
    throw e;
  }
  if (found.multi) {
    await payload?.close();
    return undefined;
  }
  return payload;
}

/**
 * The gzip rewrite, for what cannot be done in place:
 * - --gzip-name drop: the first member's header without FNAME and FCOMMENT (they differ
 *   when the input had a temporary name); the file gets shorter.
 * - --recompress auto: a payload of a known format that changes when normalized (the tar
 *   of a .tar.gz, a .cpio.gz, an .a.gz) is inflated, normalized and deflated again at the
 *   level XFL names, with a new CRC-32 and ISIZE. Two builds then come out identical when
 *   normalized by the same unstamp (the same Node and so the same zlib).
 * Otherwise the compressed data, the trailer and any later members are copied byte for byte.
 */
export const gzipRewrite: FormatRewrite = {
  async needed(reader, tools) {
    const h = await readHeader(reader);
    const changes: RewriteChange[] = [];
    if (wantsDrop(tools)) {
      const parts = [];
      if (h.name) parts.push(`FNAME ${displayPath(await reader.read(h.name[0], h.name[1] - h.name[0] - 1, 'gzip FNAME'))}`);
      if (h.comment) parts.push(`FCOMMENT (${h.comment[1] - h.comment[0] - 1} bytes)`);
      if (parts.length > 0) changes.push({ field: 'FNAME/FCOMMENT', offset: (h.name ?? h.comment)![0], old: parts.join(', '), new: 'dropped (the header without them)' });
    }
    const found: { multi?: boolean } = {};
    const payload = await normalizedPayload(reader, h, tools, found);
    if (found.multi) tools.note('payload: the file has more than one gzip member; the payload is left alone (only a single-member file is recompressed)');
    if (!payload) return changes;
    try {
      payload.notes.forEach((n) => tools.note(n));
      payload.kept.forEach((k) => tools.keep(k));
      if (payload.changes.length === 0) return changes;
      if (tools.recompress === 'never') {
        tools.keep(`payload (${payload.format}): ${payload.changes.length} fields would change (${summary(payload.changes, `payload (${payload.format}): `)}), not recompressed: --recompress never`);
        return changes;
      }
      changes.push(...payload.changes);
      changes.push({ field: `payload (${payload.format}): deflate data`, offset: h.dataStart, old: `as compressed (XFL ${h.fixed[S.OFF_XFL]})`, new: `recompressed at level ${levelOf(h.fixed[S.OFF_XFL])}, new CRC-32 and ISIZE` });
      return changes;
    } finally {
      await payload.close();
    }
  },

  async write(reader, out, tools) {
    const h = await readHeader(reader);
    await out(await newHeader(reader, h, wantsDrop(tools)));
    const payload = tools.recompress === 'auto' ? await normalizedPayload(reader, h, tools, {}) : undefined;
    try {
      if (payload && payload.changes.length > 0) {
        const d = await deflate(payload.chunks(), levelOf(h.fixed[S.OFF_XFL]), out);
        const trailer = Buffer.alloc(S.TRAILER_SIZE);
        trailer.writeUInt32LE(d.crc >>> 0, 0);
        trailer.writeUInt32LE(d.size % 2 ** 32, 4);
        await out(trailer);
        return;
      }
    } finally {
      await payload?.close();
    }
    for (let pos = h.dataStart; pos < reader.size; pos += MAX_READ) await out(await reader.read(pos, Math.min(MAX_READ, reader.size - pos), 'gzip data'));
  },
};

/** The first few changed fields (without the payload's label), for a note. */
function summary(changes: readonly RewriteChange[], label: string): string {
  const shown = changes.slice(0, 3).map((c) => (c.field.startsWith(label) ? c.field.slice(label.length) : c.field));
  return changes.length > 3 ? `${shown.join(', ')}, ...` : shown.join(', ');
}
