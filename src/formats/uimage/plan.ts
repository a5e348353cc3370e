import { crc32 } from 'node:zlib';
import { hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { u32be, zeroRanges } from '../shared/bytes.js';
import { readHeader } from './header.js';
import * as S from './spec.js';

const renderStamp = (v: number) => (v === 0 ? '0 (no timestamp)' : renderTime(v));

/**
 * ih_time to the epoch, ih_hcrc recomputed over the patched header. The data and its
 * CRC (ih_dcrc) are not touched: mkimage's own time is only in the header.
 */
export async function planUimage(ctx: PlanContext): Promise<void> {
  const h = await readHeader(ctx.reader);
  const time = h.readUInt32BE(S.OFF_TIME);
  // 0 means "no time stored" (as strip-nondeterminism keeps it): writing the epoch would invent one.
  const value = time === 0 ? 0 : ctx.time(time);
  ctx.patch({ offset: S.OFF_TIME, oldBytes: h.subarray(S.OFF_TIME, S.OFF_TIME + 4), bytes: u32be(value), field: 'ih_time', old: renderStamp(time), new: renderStamp(value) });
  const own = [{ start: S.OFF_HCRC, end: S.OFF_HCRC + 4 }];
  ctx.derive({
    offset: S.OFF_HCRC,
    size: 4,
    field: 'ih_hcrc',
    stage: 0,
    range: { start: 0, end: S.HEADER_SIZE },
    createHasher: () => {
      let crc = 0;
      return {
        // The CRC is computed with its own field read as zero.
        update: (chunk, offset) => {
          crc = crc32(zeroRanges(chunk, offset, own), crc);
        },
        digest: () => u32be(crc),
      };
    },
    render: (b) => hex(b.readUInt32BE(0)),
  });
  ctx.note('image data and its CRC (ih_dcrc) kept: they do not change');
}
