import { crc32 } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

/** The header CRC: CRC-32 of the 64 bytes with ih_hcrc read as zero. */
export function headerCrc(header: Buffer): number {
  const h = Buffer.from(header);
  h.fill(0, S.OFF_HCRC, S.OFF_HCRC + 4);
  return crc32(h);
}

/** The header, checked: magic, its CRC, and the data it announces inside the file. */
export async function readHeader(reader: RangeReader): Promise<Buffer> {
  const h = await reader.read(0, S.HEADER_SIZE, 'uImage header');
  if (h.readUInt32BE(0) !== S.IH_MAGIC) throw new FormatError(`uImage magic at 0x0 is ${h.toString('hex', 0, 4)}, not 27051956`, reader.base);
  const stored = h.readUInt32BE(S.OFF_HCRC);
  const computed = headerCrc(h);
  if (stored !== computed) throw new FormatError(`uImage header CRC (ih_hcrc at 0x4) is ${hex(stored)}, not the computed ${hex(computed)}`, reader.base + S.OFF_HCRC);
  const size = h.readUInt32BE(S.OFF_SIZE);
  if (S.HEADER_SIZE + size > reader.size) {
    throw new FormatError(`uImage ih_size at 0xc is ${size} bytes, past the end of the file (size ${hex(reader.size)})`, reader.base + S.OFF_SIZE);
  }
  return h;
}
