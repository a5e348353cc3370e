// Raw deflate (RFC 1951) streams in and out of a file being rewritten: gzip data and zip
// members. Everything streams in chunks of at most 1 MiB, so memory stays flat whatever
// the size.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { constants, crc32, createDeflateRaw, createInflateRaw, inflateRawSync } from 'node:zlib';
import { FormatError, hex } from '../../core/errors.js';
import { MAX_READ, type RangeReader } from '../../core/reader.js';

async function* compressed(reader: RangeReader, start: number, end: number): AsyncIterable<Buffer> {
  for (let pos = start; pos < end; pos += MAX_READ) yield await reader.read(pos, Math.min(MAX_READ, end - pos), 'compressed data');
}

/** After an inflate ran to its end: how many compressed bytes the deflate stream took. */
export interface InflateState {
  consumed: number;
}

/**
 * The data of the raw deflate stream at [start, end) of `reader`. A stream that is corrupt
 * or ends before its final block is a FormatError naming `where`. A stream that ends before
 * `end` is not an error here: `state.consumed` tells the caller where it ended.
 */
export async function* inflated(reader: RangeReader, start: number, end: number, where: string, state: InflateState = { consumed: 0 }): AsyncIterable<Buffer> {
  const inflate = createInflateRaw();
  const feed = Readable.from(compressed(reader, start, end));
  feed.on('error', (e) => inflate.destroy(e));
  feed.pipe(inflate);
  try {
    for await (const chunk of inflate) yield chunk as Buffer;
  } catch (e) {
    if (e instanceof FormatError) throw e;
    const why = (e as NodeJS.ErrnoException).code === 'Z_BUF_ERROR' ? 'it ends before its last block (truncated)' : `it is corrupt (${(e as Error).message})`;
    throw new FormatError(`${where} at ${hex(start)}: deflate data cannot be inflated: ${why}`, reader.base + start);
  } finally {
    feed.destroy();
    inflate.destroy();
  }
  state.consumed = inflate.bytesWritten;
}

/** Compressed bytes inflated at once to tell a format: a few blocks' worth (at most ~1 MiB out). */
const HEAD_INPUT = 1024;

/**
 * Up to `want` bytes from the start of the deflate stream at [start, end): enough to tell
 * a format by its magic, without inflating the rest. One synchronous inflate of the first
 * few KiB (an archive of thousands of members asks this of each); only a stream whose
 * first KiB give too little (stored blocks of a few bytes) goes through the stream path.
 */
export async function inflatedHead(reader: RangeReader, start: number, end: number, want: number, where: string): Promise<Buffer> {
  const input = await reader.read(start, Math.min(end - start, HEAD_INPUT), 'compressed data');
  let out: Buffer;
  try {
    out = inflateRawSync(input, { finishFlush: constants.Z_SYNC_FLUSH });
  } catch (e) {
    throw new FormatError(`${where} at ${hex(start)}: deflate data cannot be inflated: it is corrupt (${(e as Error).message})`, reader.base + start);
  }
  if (out.length >= want || input.length === end - start) return out.subarray(0, want);
  const parts: Buffer[] = [];
  let got = 0;
  for await (const chunk of inflated(reader, start, end, where)) {
    parts.push(chunk);
    got += chunk.length;
    if (got >= want) break;
  }
  return Buffer.concat(parts).subarray(0, want);
}

/** What deflate() wrote: the CRC-32 and size of the data it took, and the compressed size. */
export interface Deflated {
  crc: number;
  size: number;
  compressedSize: number;
}

/**
 * Compress `data` as one raw deflate stream at zlib's `level` (zlib's defaults for the
 * window, memory level and strategy, as gzip and zip tools use), handing each compressed
 * chunk to `out` as it comes.
 */
export async function deflate(data: AsyncIterable<Buffer>, level: number, out: (chunk: Buffer) => Promise<void>): Promise<Deflated> {
  const d: Deflated = { crc: 0, size: 0, compressedSize: 0 };
  async function* counted(): AsyncIterable<Buffer> {
    for await (const chunk of data) {
      d.crc = crc32(chunk, d.crc);
      d.size += chunk.length;
      yield chunk;
    }
  }
  await pipeline(Readable.from(counted()), createDeflateRaw({ level, strategy: constants.Z_DEFAULT_STRATEGY }), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      d.compressedSize += chunk.length;
      await out(chunk);
    }
  });
  return d;
}
