// The MSF 7.00 container: superblock, block map, stream directory and free block map,
// read through positional, bounds-checked reads. Every count and block index is checked
// against NumBlocks and the file size before it is used, so a hostile value gives a
// FormatError naming its offset, never a large allocation.
import { FormatError, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';
import * as S from './spec.js';

export interface MsfStream {
  index: number;
  /** StreamSizes[index]; 0 for a nil stream. */
  size: number;
  nil: boolean;
  blocks: Uint32Array;
  /** File offset of StreamSizes[index] in the directory, for messages. */
  sizeAt: number;
}

export interface Msf {
  /** Where the MSF starts in the file (0 unless it is a member of a container): errors carry file offsets. */
  base?: number;
  blockSize: number;
  freeBlockMapBlock: number;
  numBlocks: number;
  numDirectoryBytes: number;
  blockMapAddr: number;
  /** The blocks holding the stream directory, in order (listed at BlockMapAddr). */
  directoryBlocks: Uint32Array;
  streams: MsfStream[];
}

/** One piece of a stream's bytes: where it lives in the file. */
export interface FileRange {
  fileOffset: number;
  length: number;
  streamOffset: number;
}

const SB = S.SuperBlock;

/** Whether a block is one of the free block map blocks (FPM1 or FPM2 of any interval). */
export function isFpmBlock(blockSize: number, block: number): boolean {
  const r = block % blockSize;
  return r === S.FPM1 || r === S.FPM2;
}

function blocksFor(bytes: number, blockSize: number): number {
  return Math.ceil(bytes / blockSize);
}

/** A block index read from the file: inside the file and none of the reserved blocks. */
function checkBlock(base: number, block: number, numBlocks: number, blockSize: number, what: string, at: number): void {
  if (block >= numBlocks) throw new FormatError(`${what} at ${hex(at)} is block ${block}, past the last block (NumBlocks ${numBlocks})`, base + at);
  if (block === S.SUPERBLOCK_BLOCK) throw new FormatError(`${what} at ${hex(at)} is block 0, which holds the superblock`, base + at);
  if (isFpmBlock(blockSize, block)) {
    throw new FormatError(`${what} at ${hex(at)} is block ${block}, a free block map block (blocks 1 and 2 of every ${blockSize}-block interval)`, base + at);
  }
}

/** Parse the superblock, the block map and the stream directory. */
export async function readMsf(reader: RangeReader): Promise<Msf> {
  const sb = await reader.read(0, S.SUPERBLOCK_SIZE, 'MSF superblock');
  if (!sb.subarray(0, S.Magic.length).equals(S.Magic)) {
    throw new FormatError(`MSF superblock at 0x0: FileMagic is not "Microsoft C/C++ MSF 7.00\\r\\n\\x1aDS\\0\\0\\0"`, reader.base);
  }
  const blockSize = sb.readUInt32LE(SB.BlockSize.offset);
  if (!S.VALID_BLOCK_SIZES.includes(blockSize)) {
    throw new FormatError(`MSF superblock at ${hex(SB.BlockSize.offset)}: BlockSize ${blockSize} is not one of ${S.VALID_BLOCK_SIZES.join(', ')}`, reader.base + SB.BlockSize.offset);
  }
  const freeBlockMapBlock = sb.readUInt32LE(SB.FreeBlockMapBlock.offset);
  if (freeBlockMapBlock !== S.FPM1 && freeBlockMapBlock !== S.FPM2) {
    throw new FormatError(`MSF superblock at ${hex(SB.FreeBlockMapBlock.offset)}: FreeBlockMapBlock ${freeBlockMapBlock} is neither 1 nor 2`, reader.base + SB.FreeBlockMapBlock.offset);
  }
  const numBlocks = sb.readUInt32LE(SB.NumBlocks.offset);
  if (numBlocks * blockSize > reader.size) {
    throw new FormatError(
      `MSF superblock at ${hex(SB.NumBlocks.offset)}: NumBlocks ${numBlocks} × BlockSize ${blockSize} = ${hex(numBlocks * blockSize)} bytes, more than the file holds (size ${hex(reader.size)})`,
      reader.base + SB.NumBlocks.offset,
    );
  }
  if (numBlocks <= freeBlockMapBlock) {
    throw new FormatError(`MSF superblock at ${hex(SB.NumBlocks.offset)}: NumBlocks ${numBlocks} leaves no room for the free block map at block ${freeBlockMapBlock}`, reader.base + SB.NumBlocks.offset);
  }
  const numDirectoryBytes = sb.readUInt32LE(SB.NumDirectoryBytes.offset);
  const dirAt = SB.NumDirectoryBytes.offset;
  if (numDirectoryBytes < 4 || numDirectoryBytes % 4 !== 0) {
    throw new FormatError(`MSF superblock at ${hex(dirAt)}: NumDirectoryBytes ${numDirectoryBytes} is not a positive multiple of 4`, reader.base + dirAt);
  }
  const numDirectoryBlocks = blocksFor(numDirectoryBytes, blockSize);
  // The block map is one block of ulittle32_t directory block indices.
  if (numDirectoryBlocks > blockSize / 4) {
    throw new FormatError(
      `MSF superblock at ${hex(dirAt)}: NumDirectoryBytes ${numDirectoryBytes} needs ${numDirectoryBlocks} directory blocks, more than the block map (one ${blockSize}-byte block) can list (${blockSize / 4})`,
      reader.base + dirAt,
    );
  }
  if (numDirectoryBlocks > numBlocks) {
    throw new FormatError(`MSF superblock at ${hex(dirAt)}: NumDirectoryBytes ${numDirectoryBytes} needs ${numDirectoryBlocks} blocks, more than the file has (NumBlocks ${numBlocks})`, reader.base + dirAt);
  }
  const blockMapAddr = sb.readUInt32LE(SB.BlockMapAddr.offset);
  checkBlock(reader.base, blockMapAddr, numBlocks, blockSize, 'MSF superblock BlockMapAddr', SB.BlockMapAddr.offset);

  // The block map: the directory's block indices.
  const mapAt = blockMapAddr * blockSize;
  const map = await reader.read(mapAt, numDirectoryBlocks * 4, 'MSF block map');
  const directoryBlocks = new Uint32Array(numDirectoryBlocks);
  for (let i = 0; i < numDirectoryBlocks; i++) {
    const block = map.readUInt32LE(i * 4);
    checkBlock(reader.base, block, numBlocks, blockSize, `MSF block map entry ${i} (directory block)`, mapAt + i * 4);
    directoryBlocks[i] = block;
  }

  // The directory: at most blockSize / 4 blocks (4 MiB), read one block at a time.
  const pieces: Buffer[] = [];
  for (let i = 0, left = numDirectoryBytes; left > 0; i++) {
    const n = Math.min(blockSize, left);
    pieces.push(await reader.read(directoryBlocks[i] * blockSize, n, `MSF stream directory block ${i}`));
    left -= n;
  }
  const dir = Buffer.concat(pieces, numDirectoryBytes);
  /** File offset of directory byte `d`. */
  const fileAt = (d: number) => directoryBlocks[Math.floor(d / blockSize)] * blockSize + (d % blockSize);

  const numStreams = dir.readUInt32LE(0);
  if (4 + numStreams * 4 > numDirectoryBytes) {
    throw new FormatError(
      `MSF stream directory at ${hex(fileAt(0))}: NumStreams ${numStreams} needs ${4 + numStreams * 4} bytes of stream sizes, but the directory has ${numDirectoryBytes} (NumDirectoryBytes)`,
      reader.base + fileAt(0),
    );
  }
  const streams: MsfStream[] = [];
  let pos = 4 + numStreams * 4;
  for (let i = 0; i < numStreams; i++) {
    const sizeAt = fileAt(4 + i * 4);
    const raw = dir.readUInt32LE(4 + i * 4);
    const nil = raw === S.NIL_STREAM_SIZE;
    const size = nil ? 0 : raw;
    const n = blocksFor(size, blockSize);
    if (pos + n * 4 > numDirectoryBytes) {
      throw new FormatError(
        `MSF stream directory at ${hex(sizeAt)}: stream ${i} of ${size} bytes needs ${n} block indices at directory offset ${hex(pos)}, past the end of the directory (NumDirectoryBytes ${numDirectoryBytes})`,
        reader.base + sizeAt,
      );
    }
    const blocks = new Uint32Array(n);
    for (let j = 0; j < n; j++) {
      const block = dir.readUInt32LE(pos + j * 4);
      checkBlock(reader.base, block, numBlocks, blockSize, `MSF stream directory: stream ${i} block ${j}`, fileAt(pos + j * 4));
      blocks[j] = block;
    }
    pos += n * 4;
    streams.push({ index: i, size, nil, blocks, sizeAt });
  }
  return { base: reader.base, blockSize, freeBlockMapBlock, numBlocks, numDirectoryBytes, blockMapAddr, directoryBlocks, streams };
}

/**
 * Where bytes [offset, offset+length) of a stream lie in the file: one range per block
 * they touch, since consecutive stream blocks need not be adjacent in the file.
 */
export function streamRanges(msf: Msf, stream: number, offset: number, length: number): FileRange[] {
  const s = msf.streams[stream];
  if (!s || s.nil) {
    const dir = (msf.base ?? 0) + msf.directoryBlocks[0] * msf.blockSize;
    throw new FormatError(`MSF stream ${stream} does not exist (stream directory at ${hex(dir - (msf.base ?? 0))}: NumStreams ${msf.streams.length})`, dir);
  }
  if (offset < 0 || length < 0 || offset + length > s.size) {
    throw new FormatError(`MSF stream ${stream}: bytes ${hex(offset)}..${hex(offset + length)} run past its size ${s.size} (StreamSizes at ${hex(s.sizeAt)})`, (msf.base ?? 0) + s.sizeAt);
  }
  const bs = msf.blockSize;
  const out: FileRange[] = [];
  for (let pos = offset; pos < offset + length; ) {
    const within = pos % bs;
    const n = Math.min(bs - within, offset + length - pos);
    out.push({ fileOffset: s.blocks[Math.floor(pos / bs)] * bs + within, length: n, streamOffset: pos });
    pos += n;
  }
  return out;
}

/** Read a few bytes of a stream (a header), gathering them across block boundaries. */
export async function readStream(reader: RangeReader, msf: Msf, stream: number, offset: number, length: number, what: string): Promise<Buffer> {
  const parts = [];
  for (const r of streamRanges(msf, stream, offset, length)) parts.push(await reader.read(r.fileOffset, r.length, what));
  return Buffer.concat(parts, length);
}

/**
 * The current free block map: one bit per block (set = free), least significant bit
 * first, for the first NumBlocks blocks. The bitmap is contiguous across the FPM blocks
 * FreeBlockMapBlock + k*BlockSize (each holds BlockSize*8 bits), as LLVM reads it.
 */
export async function readFreeBlockMap(reader: RangeReader, msf: Msf): Promise<Buffer> {
  const bs = msf.blockSize;
  const bytes = Math.ceil(msf.numBlocks / 8);
  const parts: Buffer[] = [];
  for (let k = 0, left = bytes; left > 0; k++) {
    const block = msf.freeBlockMapBlock + k * bs;
    if (block >= msf.numBlocks) {
      throw new FormatError(`MSF free block map: block ${k} of the map would be block ${block}, past the last block (NumBlocks ${msf.numBlocks})`, reader.base + S.SuperBlock.NumBlocks.offset);
    }
    const n = Math.min(bs, left);
    parts.push(await reader.read(block * bs, n, `MSF free block map block ${block}`));
    left -= n;
  }
  return Buffer.concat(parts, bytes);
}

export function isFree(fpm: Buffer, block: number): boolean {
  return ((fpm[block >> 3] >> (block & 7)) & 1) === 1;
}

/** Which blocks the directory references: the block map, the directory and every stream. */
export function usedBlocks(msf: Msf): Uint8Array {
  const used = new Uint8Array(msf.numBlocks);
  used[msf.blockMapAddr] = 1;
  for (const b of msf.directoryBlocks) used[b] = 1;
  for (const s of msf.streams) for (const b of s.blocks) used[b] = 1;
  return used;
}

/** What uses a block, for messages. */
export function blockOwner(msf: Msf, block: number): string {
  if (block === msf.blockMapAddr) return 'the block map';
  if (msf.directoryBlocks.includes(block)) return 'the stream directory';
  const s = msf.streams.find((st) => st.blocks.includes(block));
  return s ? `stream ${s.index}` : 'nothing';
}
