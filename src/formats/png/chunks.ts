import { crc32 } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

/** One chunk: where it starts (its length field) and its parts. */
export interface Chunk {
  offset: number;
  type: string;
  length: number;
  /** Where the data starts; the CRC follows it. */
  data: number;
  crcAt: number;
  crc: number;
}

/** The CRC-32 of [start, end) of the reader, read in bounded pieces. */
export async function crcOf(reader: RangeReader, start: number, end: number, what: string): Promise<number> {
  let crc = 0;
  for (let pos = start; pos < end; pos += MAX_READ) crc = crc32(await reader.read(pos, Math.min(MAX_READ, end - pos), what), crc);
  return crc;
}

/** Whether 4 bytes are a chunk type: ASCII letters only (section 5.4). */
const isType = (b: Buffer) => [...b].every((c) => (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a));

/**
 * Every chunk from the signature to IEND, each checked: its length within the file, its
 * type letters, its CRC (a file whose CRC does not match was damaged: rewriting it would
 * hide that). `trailing` is what follows IEND (some tools leave bytes there).
 */
export async function readChunks(reader: RangeReader, checkCrc = true): Promise<{ chunks: Chunk[]; trailing: number }> {
  const sig = await reader.read(0, S.SIGNATURE.length, 'PNG signature');
  if (!sig.equals(S.SIGNATURE)) throw new FormatError(`PNG signature at 0x0 is ${sig.toString('hex')}, not ${S.SIGNATURE.toString('hex')}`, reader.base);
  const chunks: Chunk[] = [];
  let pos = S.SIGNATURE.length;
  for (;;) {
    if (pos === reader.size) throw new FormatError(`PNG ends at ${hex(pos)} without an IEND chunk`, reader.base + pos);
    const head = await reader.read(pos, S.CHUNK_HEADER, 'PNG chunk length and type');
    const length = head.readUInt32BE(0);
    const typeBytes = head.subarray(4, 8);
    if (!isType(typeBytes)) throw new FormatError(`PNG chunk at ${hex(pos)}: type ${typeBytes.toString('hex')} is not four ASCII letters`, reader.base + pos + 4);
    const type = typeBytes.toString('latin1');
    if (length > S.MAX_LENGTH) throw new FormatError(`PNG chunk ${type} at ${hex(pos)}: length ${length} is over the limit 2^31-1`, reader.base + pos);
    const data = pos + S.CHUNK_HEADER;
    const crcAt = data + length;
    if (crcAt + S.CHUNK_CRC > reader.size) {
      throw new FormatError(`PNG chunk ${type} at ${hex(pos)}: length ${length} runs past the end of the file (size ${hex(reader.size)})`, reader.base + pos);
    }
    const crc = (await reader.read(crcAt, S.CHUNK_CRC, `PNG chunk ${type} CRC`)).readUInt32BE(0);
    if (checkCrc) {
      const computed = await crcOf(reader, pos + 4, crcAt, `PNG chunk ${type}`);
      if (computed !== crc) throw new FormatError(`PNG chunk ${type} at ${hex(pos)}: CRC ${hex(crc)} does not match the computed ${hex(computed)}`, reader.base + crcAt);
    }
    chunks.push({ offset: pos, type, length, data, crcAt, crc });
    pos = crcAt + S.CHUNK_CRC;
    if (type === 'IEND') return { chunks, trailing: reader.size - pos };
  }
}
