import { FormatError, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

/** Where the parts of a gzip member header lie (offsets in the reader). */
export interface GzipHeader {
  /** The fixed 10 bytes. */
  fixed: Buffer;
  flg: number;
  /** FEXTRA (XLEN and its bytes), if present: [start, end). */
  extra?: [number, number];
  /** FNAME and FCOMMENT with their NULs, if present: [start, end). */
  name?: [number, number];
  comment?: [number, number];
  /** Where FHCRC sits if FLG.FHCRC is set, else where the compressed data starts. */
  headerEnd: number;
  /** Where the compressed data starts. */
  dataStart: number;
}

/** Read and check the first member's header: magic, method, reserved flags, every optional field in bounds. */
export async function readHeader(reader: RangeReader): Promise<GzipHeader> {
  const fixed = await reader.read(0, S.HEADER_SIZE, 'gzip header');
  if (fixed[0] !== S.ID1 || fixed[1] !== S.ID2) throw new FormatError(`gzip magic at 0x0 is ${fixed.subarray(0, 2).toString('hex')}, not 1f8b`, reader.base);
  if (fixed[S.OFF_CM] !== S.CM_DEFLATE) {
    throw new FormatError(`gzip compression method at 0x2 is ${fixed[S.OFF_CM]}, not 8 (deflate)`, reader.base + S.OFF_CM);
  }
  const flg = fixed[S.OFF_FLG];
  if (flg & S.FLG_RESERVED) throw new FormatError(`gzip flags at 0x3 are ${hex(flg)}: reserved bits 0xe0 are set`, reader.base + S.OFF_FLG);

  const h: GzipHeader = { fixed, flg, headerEnd: 0, dataStart: 0 };
  let pos = S.HEADER_SIZE;
  if (flg & S.FEXTRA) {
    const xlen = (await reader.read(pos, 2, 'gzip XLEN')).readUInt16LE(0);
    if (pos + 2 + xlen > reader.size) {
      throw new FormatError(`gzip extra field at ${hex(pos)}: XLEN ${xlen} runs past the end of the file (size ${hex(reader.size)})`, reader.base + pos);
    }
    h.extra = [pos, pos + 2 + xlen];
    pos += 2 + xlen;
  }
  if (flg & S.FNAME) {
    h.name = [pos, (await reader.findNul(pos, 'gzip FNAME')) + 1];
    pos = h.name[1];
  }
  if (flg & S.FCOMMENT) {
    h.comment = [pos, (await reader.findNul(pos, 'gzip FCOMMENT')) + 1];
    pos = h.comment[1];
  }
  h.headerEnd = pos;
  if (flg & S.FHCRC) {
    await reader.read(pos, 2, 'gzip FHCRC');
    pos += 2;
  }
  h.dataStart = pos;
  if (reader.size - pos < S.TRAILER_SIZE) {
    throw new FormatError(`gzip header ends at ${hex(pos)}, leaving no room for compressed data and the 8-byte trailer (size ${hex(reader.size)})`, reader.base + pos);
  }
  return h;
}
