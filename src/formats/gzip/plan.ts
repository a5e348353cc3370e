import { crc32 } from 'node:zlib';
import { hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { u32le } from '../shared/bytes.js';
import * as S from './spec.js';
import { readHeader } from './header.js';

/** FHCRC: the low 16 bits of the CRC-32 of the header before it. */
export function headerCrc(crc: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(crc & 0xffff);
  return b;
}

const renderMtime = (v: number) => (v === 0 ? '0 (no timestamp)' : renderTime(v));

/**
 * The first member's header: MTIME to the epoch, FHCRC recomputed over the patched
 * header. Optional fields are walked only to find where the header ends.
 */
export async function planGzip(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  const h = await readHeader(reader);
  const mtime = h.fixed.readUInt32LE(S.OFF_MTIME);
  // 0 means "no time stored" (gzip -n, tar czf, Python's gzip with mtime=0): nothing to
  // normalize, and writing the epoch there would invent a time, so it stays 0.
  const value = mtime === 0 ? 0 : ctx.time(mtime);
  ctx.patch({ offset: S.OFF_MTIME, oldBytes: h.fixed.subarray(4, 8), bytes: u32le(value), field: 'MTIME', old: renderMtime(mtime), new: renderMtime(value) });

  if (h.flg & S.FHCRC) {
    ctx.derive({
      offset: h.headerEnd,
      size: 2,
      field: 'FHCRC',
      stage: 0,
      range: { start: 0, end: h.headerEnd },
      createHasher: () => {
        let crc = 0;
        return {
          update: (chunk) => {
            crc = crc32(chunk, crc);
          },
          digest: () => headerCrc(crc),
        };
      },
      render: (b) => hex(b.readUInt16LE(0)),
    });
  }
  ctx.note('XFL and OS bytes kept as written');
  // Whether there is a second member is only known after inflating the first: say "if any".
  ctx.note('a member after the first, if any (a multi-member file), is not examined');
}
