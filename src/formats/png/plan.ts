import { crc32, inflateSync } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { parseTextDate, rewriteTextDate } from '../shared/datetext.js';
import { readChunks, type Chunk } from './chunks.js';
import * as S from './spec.js';
import { zlibOfLength } from './zlibfit.js';

/** A date-keyword text chunk longer than this is not one date: it is looked at no further. */
const MAX_DATE_TEXT = 4096;
/** A compressed date value may inflate to this much at most. */
const MAX_INFLATED = 64 * 1024;

const u32be = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
};

/** tIME's seven bytes as seconds since 1970 (UTC), or undefined if they are no valid date. */
export function timeSeconds(b: Buffer): number | undefined {
  const [y, mo, d, h, mi, s] = [b.readUInt16BE(0), b[2], b[3], b[4], b[5], b[6]];
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return undefined;
  const ms = Date.UTC(y, mo - 1, d, h, mi, s);
  return new Date(ms).getUTCDate() === d ? ms / 1000 : undefined;
}

export function timeBytes(seconds: number): Buffer {
  const d = new Date(seconds * 1000);
  const b = Buffer.alloc(S.TIME_LENGTH);
  b.writeUInt16BE(d.getUTCFullYear(), 0);
  b[2] = d.getUTCMonth() + 1;
  b[3] = d.getUTCDate();
  b[4] = d.getUTCHours();
  b[5] = d.getUTCMinutes();
  b[6] = d.getUTCSeconds();
  return b;
}

const renderTimeBytes = (b: Buffer) => {
  const s = timeSeconds(b);
  return s === undefined ? `${b.toString('hex')} (not a valid date)` : renderTime(s);
};

/** The chunk's CRC over its type and data, computed again once its data is patched. */
function deriveCrc(ctx: PlanContext, c: Chunk): void {
  ctx.derive({
    offset: c.crcAt,
    size: S.CHUNK_CRC,
    field: `${c.type} CRC`,
    stage: 0,
    range: { start: c.offset + 4, end: c.crcAt },
    createHasher: () => {
      let crc = 0;
      return {
        update: (chunk) => {
          crc = crc32(chunk, crc);
        },
        digest: () => u32be(crc),
      };
    },
    render: (b) => hex(b.readUInt32BE(0)),
  });
}

function planTime(ctx: PlanContext, c: Chunk, old: Buffer): void {
  if (c.length !== S.TIME_LENGTH) throw new FormatError(`PNG tIME chunk at ${hex(c.offset)}: length ${c.length}, not ${S.TIME_LENGTH}`, ctx.reader.base + c.offset);
  const seconds = timeSeconds(old);
  // A tIME that is no date cannot be compared with the epoch: it becomes the epoch.
  const value = seconds === undefined ? ctx.options.epoch : ctx.time(seconds);
  const bytes = timeBytes(value);
  ctx.patch({ offset: c.data, oldBytes: old, bytes, field: 'tIME', old: renderTimeBytes(old), new: renderTimeBytes(bytes) });
  if (!bytes.equals(old)) deriveCrc(ctx, c);
}

/** Where a text chunk's value lies, from its data (tEXt, zTXt, iTXt: sections 11.3.4.3-5). */
interface TextLayout {
  keyword: string;
  /** Offset of the value in the chunk's data. */
  value: number;
  compressed: boolean;
  utf8: boolean;
}

function textLayout(c: Chunk, data: Buffer, base: number): TextLayout {
  const fail = (what: string) => new FormatError(`PNG ${c.type} chunk at ${hex(c.offset)}: ${what}`, base + c.offset);
  const nul = data.indexOf(0);
  if (nul < 1 || nul > S.MAX_KEYWORD) throw fail(nul < 0 ? 'keyword has no terminating NUL' : `keyword of ${nul} bytes (1 to ${S.MAX_KEYWORD} allowed)`);
  const keyword = data.toString('latin1', 0, nul);
  if (c.type === 'tEXt') return { keyword, value: nul + 1, compressed: false, utf8: false };
  if (c.type === 'zTXt') {
    if (nul + 1 >= data.length) throw fail('no compression method byte');
    if (data[nul + 1] !== S.COMPRESSION_DEFLATE) throw fail(`compression method ${data[nul + 1]}, not 0 (deflate)`);
    return { keyword, value: nul + 2, compressed: true, utf8: false };
  }
  // iTXt: keyword NUL, compression flag, method, language tag NUL, translated keyword NUL, text.
  if (nul + 2 >= data.length) throw fail('no compression flag and method');
  const flag = data[nul + 1];
  if (flag > 1) throw fail(`compression flag ${flag}, not 0 or 1`);
  if (flag === 1 && data[nul + 2] !== S.COMPRESSION_DEFLATE) throw fail(`compression method ${data[nul + 2]}, not 0 (deflate)`);
  const lang = data.indexOf(0, nul + 3);
  const translated = lang < 0 ? -1 : data.indexOf(0, lang + 1);
  if (translated < 0) throw fail('language tag or translated keyword has no terminating NUL');
  return { keyword, value: translated + 1, compressed: flag === 1, utf8: true };
}

async function planText(ctx: PlanContext, c: Chunk): Promise<void> {
  const { reader } = ctx;
  const keyHead = await reader.read(c.data, Math.min(c.length, S.MAX_KEYWORD + 1), `PNG ${c.type} keyword`);
  const nul = keyHead.indexOf(0);
  const keyword = keyHead.toString('latin1', 0, nul < 0 ? keyHead.length : nul);
  if (nul < 0 || !S.isDateKeyword(keyword)) return;
  const name = `${c.type} ${JSON.stringify(keyword)}`;
  if (c.length > (c.type === 'tEXt' ? MAX_DATE_TEXT : 1 << 20)) {
    ctx.note(`${name} at ${hex(c.offset)}: ${c.length} bytes is too long to be one date; left as it is`);
    return;
  }
  const data = await reader.read(c.data, c.length, `PNG ${c.type} chunk`);
  const t = textLayout(c, data, reader.base);
  const stored = data.subarray(t.value);
  let text: string;
  if (t.compressed) {
    let inflated: Buffer;
    try {
      inflated = inflateSync(stored, { maxOutputLength: MAX_INFLATED });
    } catch (e) {
      throw new FormatError(`PNG ${name} chunk at ${hex(c.offset)}: the compressed text does not inflate (${(e as Error).message})`, reader.base + c.data + t.value);
    }
    text = inflated.toString(t.utf8 ? 'utf8' : 'latin1');
  } else {
    text = stored.toString(t.utf8 ? 'utf8' : 'latin1');
  }
  const date = parseTextDate(text);
  if (!date) {
    ctx.note(`${name} at ${hex(c.offset)}: ${JSON.stringify(text.slice(0, 64))} is not a date in a shape unstamp knows; left as it is`);
    return;
  }
  const rewritten = rewriteTextDate(text, date, ctx.time(date.seconds));
  if (rewritten === undefined) {
    ctx.note(`${name} at ${hex(c.offset)}: ${JSON.stringify(text)} (${date.shape}) cannot hold the new time at the same length; left as it is`);
    return;
  }
  const encoded = Buffer.from(rewritten, t.utf8 ? 'utf8' : 'latin1');
  let bytes: Buffer = encoded;
  // A compressed value that already is the new text stays as it is (a second run changes nothing).
  if (t.compressed && rewritten === text) bytes = stored;
  else if (t.compressed) {
    const fitted = zlibOfLength(encoded, stored.length);
    if (!fitted) {
      ctx.note(`${name} at ${hex(c.offset)}: ${JSON.stringify(text)} compressed again does not fit the ${stored.length} bytes the chunk has; left as it is`);
      return;
    }
    bytes = fitted;
  }
  const how = t.compressed ? ` (${date.shape}, zlib, ${stored.length} bytes)` : ` (${date.shape})`;
  ctx.patch({ offset: c.data + t.value, oldBytes: stored, bytes, field: name, old: JSON.stringify(text) + how, new: JSON.stringify(rewritten) + how });
  if (!bytes.equals(stored)) deriveCrc(ctx, c);
}

/**
 * Every chunk checked (length, type, CRC); tIME to the epoch; the date text chunks to the
 * epoch in their own shape; the CRC of each changed chunk recomputed. Image data is never
 * touched.
 */
export async function planPng(ctx: PlanContext): Promise<void> {
  const { chunks, trailing } = await readChunks(ctx.reader);
  for (const c of chunks) {
    if (c.type === 'tIME') planTime(ctx, c, await ctx.reader.read(c.data, Math.min(c.length, S.TIME_LENGTH), 'PNG tIME'));
    else if (c.type === 'tEXt' || c.type === 'zTXt' || c.type === 'iTXt') await planText(ctx, c);
  }
  if (trailing > 0) ctx.note(`${trailing} bytes after the IEND chunk kept as they are`);
}
