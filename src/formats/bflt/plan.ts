import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { renderTime } from '../../core/time.js';
import { u32be } from '../shared/bytes.js';
import * as S from './spec.js';

/**
 * The header, checked: magic, a known version, segment offsets in order and, when the
 * file is not compressed, the data and relocations inside it.
 */
export async function readHeader(reader: RangeReader): Promise<Buffer> {
  const h = await reader.read(0, S.HEADER_SIZE, 'bFLT header');
  const fail = (off: number, what: string) => new FormatError(`bFLT header ${what}`, reader.base + off);
  if (h.toString('latin1', 0, 4) !== S.MAGIC) throw fail(0, `magic at 0x0 is ${h.toString('hex', 0, 4)}, not "bFLT"`);
  const rev = h.readUInt32BE(S.OFF_REV);
  if (rev !== S.REV && rev !== S.REV_OLD) throw fail(S.OFF_REV, `version at 0x4 is ${rev}, not 2 or 4`);
  const w = (off: number) => h.readUInt32BE(off);
  const [dataStart, dataEnd, bssEnd] = [w(S.OFF_DATA_START), w(S.OFF_DATA_END), w(S.OFF_BSS_END)];
  if (dataStart < S.HEADER_SIZE || dataStart > dataEnd || dataEnd > bssEnd) {
    throw fail(S.OFF_DATA_START, `offsets out of order: data_start ${hex(dataStart)}, data_end ${hex(dataEnd)}, bss_end ${hex(bssEnd)} (want 0x40 <= data_start <= data_end <= bss_end)`);
  }
  const compressed = (w(S.OFF_FLAGS) & (S.FLAG_GZIP | S.FLAG_GZDATA)) !== 0;
  if (!compressed) {
    if (dataEnd > reader.size) throw fail(S.OFF_DATA_END, `data_end ${hex(dataEnd)} at 0x10 is past the end of the file (size ${hex(reader.size)})`);
    const relocEnd = w(S.OFF_RELOC_START) + w(S.OFF_RELOC_COUNT) * S.RELOC_SIZE;
    if (relocEnd > reader.size) {
      throw fail(S.OFF_RELOC_START, `relocations (reloc_start ${hex(w(S.OFF_RELOC_START))}, ${w(S.OFF_RELOC_COUNT)} entries) run past the end of the file (size ${hex(reader.size)})`);
    }
  }
  return h;
}

const renderStamp = (v: number) => (v === 0 ? '0 (no timestamp)' : renderTime(v));

/** build_date to the epoch (version 4); a version 2 header has no date. */
export async function planBflt(ctx: PlanContext): Promise<void> {
  const h = await readHeader(ctx.reader);
  if (h.readUInt32BE(S.OFF_REV) === S.REV_OLD) {
    ctx.note('bFLT version 2 has no build_date: nothing to rewrite');
    return;
  }
  const date = h.readUInt32BE(S.OFF_BUILD_DATE);
  // 0 means "no date stored" (as strip-nondeterminism keeps it).
  const value = date === 0 ? 0 : ctx.time(date);
  const old = h.subarray(S.OFF_BUILD_DATE, S.OFF_BUILD_DATE + 4);
  ctx.patch({ offset: S.OFF_BUILD_DATE, oldBytes: old, bytes: u32be(value), field: 'build_date', old: renderStamp(date), new: renderStamp(value) });
}
