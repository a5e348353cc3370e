import { FormatError, SkipFile, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { renderTime } from '../../core/time.js';
import { blockOwner, isFpmBlock, isFree, readFreeBlockMap, readMsf, readStream, streamRanges, usedBlocks, type Msf } from './msf.js';
import * as S from './spec.js';
import { guidText, pdb70Key } from '../shared/guid.js';
import { remapWanted } from '../../core/remap.js';
import { remapPdb } from './remap.js';

interface InfoHeader {
  version: number;
  signature: number;
  age: number;
  /** The UniqueId GUID; absent before PdbStreamVersion VC70. */
  guid?: Buffer;
}

/** The PDB info stream header (stream 1), which every PDB has. */
async function readInfo(reader: RangeReader, msf: Msf): Promise<InfoHeader> {
  const info = msf.streams[S.STREAM_PDB];
  if (!info || info.nil) {
    const at = msf.directoryBlocks[0] * msf.blockSize;
    throw new FormatError(`MSF stream directory at ${hex(at)}: there is no PDB info stream (stream 1; NumStreams ${msf.streams.length})`, reader.base + at);
  }
  if (info.size < S.PDB_STREAM_HEADER_MIN) {
    throw new FormatError(`MSF stream directory at ${hex(info.sizeAt)}: the PDB info stream is ${info.size} bytes, shorter than its ${S.PDB_STREAM_HEADER_MIN}-byte header`, reader.base + info.sizeAt);
  }
  const h = await readStream(reader, msf, S.STREAM_PDB, 0, S.PDB_STREAM_HEADER_MIN, 'PDB info stream header');
  const H = S.PdbStreamHeader;
  const version = h.readUInt32LE(H.Version.offset);
  const header: InfoHeader = { version, signature: h.readUInt32LE(H.Signature.offset), age: h.readUInt32LE(H.Age.offset) };
  if (version >= S.PdbStreamVersion.VC70) {
    if (info.size < S.PDB_STREAM_HEADER_SIZE) {
      throw new FormatError(
        `MSF stream directory at ${hex(info.sizeAt)}: the PDB info stream is ${info.size} bytes, but its Version ${version} has a ${S.PDB_STREAM_HEADER_SIZE}-byte header with a GUID`,
        reader.base + info.sizeAt,
      );
    }
    header.guid = await readStream(reader, msf, S.STREAM_PDB, H.UniqueId.offset, H.UniqueId.size, 'PDB info stream GUID');
  }
  return header;
}

/** The pairing key: `pdb70:` + the info stream GUID bytes in hex, or undefined before VC70. */
export async function pdbLinkKey(reader: RangeReader): Promise<string | undefined> {
  const msf = await readMsf(reader);
  const info = await readInfo(reader, msf);
  return info.guid ? pdb70Key(info.guid) : undefined;
}

/**
 * One field of a stream: patched piece by piece, since a field may straddle a block
 * boundary and the next block can be anywhere in the file.
 */
async function patchStreamField(
  ctx: PlanContext,
  msf: Msf,
  stream: number,
  f: { offset: number; size: number },
  bytes: Buffer,
  field: string,
  render: (b: Buffer) => string,
): Promise<void> {
  const oldBytes = await readStream(ctx.reader, msf, stream, f.offset, f.size, field);
  const ranges = streamRanges(msf, stream, f.offset, f.size);
  const old = render(oldBytes);
  const value = render(bytes);
  for (const [i, r] of ranges.entries()) {
    const block = Math.floor(r.fileOffset / msf.blockSize);
    if (block === msf.blockMapAddr || msf.directoryBlocks.includes(block)) {
      throw new FormatError(
        `${field} at ${hex(r.fileOffset)}: stream ${stream} puts it in block ${block}, which also holds ${blockOwner(msf, block)}; blocks cannot be shared`,
        (msf.base ?? 0) + r.fileOffset,
      );
    }
    const from = r.streamOffset - f.offset;
    ctx.patch({
      offset: r.fileOffset,
      bytes: bytes.subarray(from, from + r.length),
      oldBytes: oldBytes.subarray(from, from + r.length),
      field: ranges.length === 1 ? field : `${field} (part ${i + 1} of ${ranges.length})`,
      old,
      new: value,
    });
  }
}

function linkedValue(ctx: PlanContext, name: string, size: number): Buffer {
  const v = ctx.linked(name);
  if (!v || v.length !== size) {
    throw new Error(`the paired executable published ${v ? `a ${v.length}-byte` : 'no'} '${name}' value; ${size} bytes expected`);
  }
  return v;
}

const renderU32Time = (b: Buffer) => renderTime(b.readUInt32LE(0));
const renderU32 = (b: Buffer) => String(b.readUInt32LE(0));

/** DBI stream (stream 3): its Age, when the stream and a new-format header are there. */
async function planDbi(ctx: PlanContext, msf: Msf, age: Buffer): Promise<void> {
  const dbi = msf.streams[S.STREAM_DBI];
  if (!dbi || dbi.nil || dbi.size === 0) {
    ctx.note('there is no DBI stream (stream 3 is absent, nil or empty), so no DBI Age to rewrite');
    return;
  }
  if (dbi.size < S.DBI_STREAM_HEADER_MIN) {
    throw new FormatError(`MSF stream directory at ${hex(dbi.sizeAt)}: the DBI stream is ${dbi.size} bytes, too short for its header (VersionSignature, VersionHeader, Age)`, (msf.base ?? 0) + dbi.sizeAt);
  }
  const D = S.DbiStreamHeader;
  const versionSignature = (await readStream(ctx.reader, msf, S.STREAM_DBI, D.VersionSignature.offset, 4, 'DBI VersionSignature')).readUInt32LE(0);
  if (versionSignature !== S.DBI_VERSION_SIGNATURE_NEW) {
    ctx.note(`the DBI stream has an old-format header (VersionSignature ${hex(versionSignature)}, not -1) without an Age; left alone`);
    return;
  }
  await patchStreamField(ctx, msf, S.STREAM_DBI, D.Age, age, 'DBI stream Age', renderU32);
}

/**
 * Free blocks hold whatever was there before (an earlier link, a previous directory):
 * each one is zeroed. A block the directory uses is never touched, even when the free
 * block map calls it free (GNU ld 2.40 writes its map off by one).
 */
async function planFreeBlocks(ctx: PlanContext, msf: Msf): Promise<void> {
  const { reader } = ctx;
  const bs = msf.blockSize;
  const fpm = await readFreeBlockMap(reader, msf);
  const used = usedBlocks(msf);
  const zeros = Buffer.alloc(bs);
  const inUse: number[] = [];
  let free = 0;
  let stale = 0;
  let unreferenced = 0;
  for (let b = 0; b < msf.numBlocks; b++) {
    const reserved = b === S.SUPERBLOCK_BLOCK || isFpmBlock(bs, b);
    if (!isFree(fpm, b)) {
      if (!reserved && !used[b]) unreferenced++;
      continue;
    }
    if (reserved) continue;
    if (used[b]) {
      inUse.push(b);
      continue;
    }
    free++;
    const old = await reader.read(b * bs, bs, `free block ${b}`);
    let nonZero = 0;
    for (let i = 0; i < bs; i++) if (old[i] !== 0) nonZero++;
    if (nonZero > 0) stale++;
    ctx.patch({
      offset: b * bs,
      bytes: zeros,
      oldBytes: nonZero > 0 ? old : zeros,
      field: `free block ${b}`,
      old: nonZero > 0 ? `stale data (${nonZero} non-zero bytes)` : 'zeros',
      new: 'zeros',
    });
  }
  const map = `free block map (FPM${msf.freeBlockMapBlock})`;
  if (free === 0) ctx.note(`${map}: no free blocks to zero; the map itself is kept`);
  else ctx.note(`${map}: ${free} free block${free === 1 ? '' : 's'} zeroed, ${stale} of them held stale data; the map itself is kept`);
  if (inUse.length > 0) {
    const shown = inUse.slice(0, 8).map((b) => `${b} (${blockOwner(msf, b)})`).join(', ');
    const more = inUse.length > 8 ? `, ... (${inUse.length} in all)` : '';
    ctx.note(`the free block map marks block${inUse.length === 1 ? '' : 's'} ${shown}${more} free although the directory uses ${inUse.length === 1 ? 'it' : 'them'}; kept as ${inUse.length === 1 ? 'it is' : 'they are'}`);
  }
  if (unreferenced > 0) ctx.note(`${unreferenced} block${unreferenced === 1 ? ' is' : 's are'} marked in use but belong${unreferenced === 1 ? 's' : ''} to no stream; left alone`);
}

export async function planPdb(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  const msf = await readMsf(reader);
  const info = await readInfo(reader, msf);
  if (!info.guid) {
    throw new SkipFile(`PDB info stream Version ${info.version} is older than VC70 (${S.PdbStreamVersion.VC70}): it has no GUID to pair it with an executable; left alone`);
  }
  if (ctx.linked('guid') === undefined) throw new SkipFile('its executable was not normalized in this run; left alone');
  const guid = linkedValue(ctx, 'guid', 16);
  const timestamp = linkedValue(ctx, 'timestamp', 4);
  const age = linkedValue(ctx, 'age', 4);

  // Paths first: a PDB that cannot be remapped is refused before anything else is planned.
  if (remapWanted(ctx)) {
    const changed = await remapPdb(ctx, msf);
    if (changed === 0) ctx.note('--remap-path: no stream holds OLD');
  }
  const H = S.PdbStreamHeader;
  await patchStreamField(ctx, msf, S.STREAM_PDB, H.Signature, timestamp, 'PDB info stream Signature', renderU32Time);
  await patchStreamField(ctx, msf, S.STREAM_PDB, H.Age, age, 'PDB info stream Age', renderU32);
  await patchStreamField(ctx, msf, S.STREAM_PDB, H.UniqueId, guid, 'PDB info stream GUID', guidText);
  await planDbi(ctx, msf, age);
  await planFreeBlocks(ctx, msf);

  if (remapWanted(ctx)) ctx.note("other stream contents are kept: type and symbol records, module streams and the info stream's named stream map, but for the paths --remap-path changed and the tables that hash them");
  else ctx.note("other stream contents are kept: type and symbol records, module streams, the /names table, the info stream's named stream map, and the command line and paths linkers record in S_ENVBLOCK");
  ctx.note("the superblock (NumBlocks, BlockMapAddr, Unknown), the block map, the stream directory and the slack after each stream's last byte are kept");
  const old = msf.streams[S.STREAM_OLD_DIRECTORY];
  if (old && !old.nil && old.size > 0) ctx.note(`stream 0 (a copy of an earlier stream directory, ${old.size} bytes) is kept`);
  const end = msf.numBlocks * msf.blockSize;
  if (end < reader.size) ctx.note(`${reader.size - end} bytes after the last block (NumBlocks × BlockSize = ${hex(end)}) are kept`);
}
