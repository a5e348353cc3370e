import { crc32 } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { u32le } from '../shared/bytes.js';
import * as S from './spec.js';


const renderMtime = (v: number) => (v === 0 ? '0 (no timestamp)' : renderTime(v));

/**
 * The first member's header: MTIME to the epoch, FHCRC recomputed over the patched
 * header. Optional fields are walked only to find where the header ends.
 */
export async function planGzip(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  const h = await reader.read(0, S.HEADER_SIZE, 'gzip header');
  if (h[0] !== S.ID1 || h[1] !== S.ID2) throw new FormatError(`gzip magic at 0x0 is ${h.subarray(0, 2).toString('hex')}, not 1f8b`, reader.base);
  if (h[S.OFF_CM] !== S.CM_DEFLATE) {
    throw new FormatError(`gzip compression method at 0x2 is ${h[S.OFF_CM]}, not 8 (deflate)`, reader.base + S.OFF_CM);
  }
  const flg = h[S.OFF_FLG];
  if (flg & S.FLG_RESERVED) throw new FormatError(`gzip flags at 0x3 are ${hex(flg)}: reserved bits 0xe0 are set`, reader.base + S.OFF_FLG);

  const mtime = h.readUInt32LE(S.OFF_MTIME);
  // 0 means "no time stored" (gzip -n, tar czf, Python's gzip with mtime=0): nothing to
  // normalize, and writing the epoch there would invent a time, so it stays 0.
  const value = mtime === 0 ? 0 : ctx.time(mtime);
  ctx.patch({ offset: S.OFF_MTIME, oldBytes: h.subarray(4, 8), bytes: u32le(value), field: 'MTIME', old: renderMtime(mtime), new: renderMtime(value) });

  let pos = S.HEADER_SIZE;
  if (flg & S.FEXTRA) {
    const xlen = (await reader.read(pos, 2, 'gzip XLEN')).readUInt16LE(0);
    if (pos + 2 + xlen > reader.size) {
      throw new FormatError(`gzip extra field at ${hex(pos)}: XLEN ${xlen} runs past the end of the file (size ${hex(reader.size)})`, reader.base + pos);
    }
    pos += 2 + xlen;
  }
  if (flg & S.FNAME) pos = (await reader.findNul(pos, 'gzip FNAME')) + 1;
  if (flg & S.FCOMMENT) pos = (await reader.findNul(pos, 'gzip FCOMMENT')) + 1;
  if (flg & S.FHCRC) {
    const headerEnd = pos;
    await reader.read(pos, 2, 'gzip FHCRC');
    ctx.derive({
      offset: pos,
      size: 2,
      field: 'FHCRC',
      stage: 0,
      range: { start: 0, end: headerEnd },
      createHasher: () => {
        let crc = 0;
        return {
          update: (chunk) => {
            crc = crc32(chunk, crc);
          },
          digest: () => {
            const b = Buffer.alloc(2);
            b.writeUInt16LE(crc & 0xffff);
            return b;
          },
        };
      },
      render: (b) => hex(b.readUInt16LE(0)),
    });
    pos += 2;
  }
  if (reader.size - pos < S.TRAILER_SIZE) {
    throw new FormatError(`gzip header ends at ${hex(pos)}, leaving no room for compressed data and the 8-byte trailer (size ${hex(reader.size)})`, reader.base + pos);
  }
  ctx.note('XFL and OS bytes kept as written');
  // Whether there is a second member is only known after inflating the first: say "if any".
  ctx.note('a member after the first, if any (a multi-member file), is not examined');
}
