import { createHash, type Hash } from 'node:crypto';
import { FormatError, SkipFile, hex } from '../../core/errors.js';
import type { DerivedHasher, PlanContext } from '../../core/format.js';
import type { RangeReader } from '../../core/reader.js';
import { renderTime } from '../../core/time.js';
import { feedZeroed, u32le } from '../shared/bytes.js';
import { Layout, at4, type Write } from '../shared/layout.js';
import { guidText, pdb70Key } from '../shared/guid.js';
import { peChecksumHasher, type LaterField } from './checksum.js';
import { readPe, rvaToOffset, type PeFile } from './file.js';
import * as S from './spec.js';
import { mergeSpans, needlesOf, remapRange, remapWanted } from '../../core/remap.js';

type Range = { start: number; end: number };

/**
 * SHA-256 of the image with every rewritten field zeroed: the source of the content-
 * derived TimeDateStamp and CodeView GUID. Because the rewritten fields never feed it,
 * the result is the same whatever values they held, so it is idempotent. Several
 * derived fields read slices of the one digest; the first hasher created feeds it.
 */
class ContentDigest {
  private hash?: Hash;
  private result?: Buffer;
  constructor(private readonly masks: Range[]) {}

  slice(start: number, end: number): DerivedHasher {
    const feeds = this.hash === undefined;
    if (feeds) this.hash = createHash('sha256');
    return {
      update: (chunk, offset) => {
        if (feeds) feedZeroed((piece) => this.hash!.update(piece), chunk, offset, this.masks);
      },
      digest: () => Buffer.from(this.final(start, end)),
    };
  }

  /** Bytes [start, end) of the digest, once every chunk was fed. */
  final(start: number, end: number): Buffer {
    this.result ??= this.hash!.digest();
    return this.result.subarray(start, end);
  }

}

interface Stamp {
  offset: number;
  field: string;
  old: number;
}

interface CodeView {
  /** Debug directory entry index, for field names. */
  entry: number;
  offset: number;
  kind: 'RSDS' | 'NB10';
  guid?: Buffer;
  age: number;
  /** The PDB path as stored (up to its NUL), and as text for reports. */
  pathBytes: Buffer;
  pdbPath: string;
}


function directory(pe: PeFile, index: number) {
  const d = pe.directories[index];
  return d && d.rva !== 0 && d.size !== 0 ? d : undefined;
}

/** The debug directory entries: their TimeDateStamps, and the CodeView record if any. */
async function readDebug(r: RangeReader, pe: PeFile, stamps: Stamp[] | undefined, layout?: Layout): Promise<CodeView | undefined> {
  const d = directory(pe, S.IMAGE_DIRECTORY_ENTRY_DEBUG);
  if (!d) return undefined;
  if (d.size < S.DEBUG_DIRECTORY_SIZE) {
    throw new FormatError(`debug directory entry at ${hex(d.at)}: Size ${d.size} is smaller than one IMAGE_DEBUG_DIRECTORY (28)`, r.base + d.at);
  }
  const count = Math.floor(d.size / S.DEBUG_DIRECTORY_SIZE);
  const at = rvaToOffset(pe, d.rva, count * S.DEBUG_DIRECTORY_SIZE, 'debug directory', r, d.at);
  const table = await r.read(at, count * S.DEBUG_DIRECTORY_SIZE, 'debug directory');
  let codeView: CodeView | undefined;
  for (let i = 0; i < count; i++) {
    const e = table.subarray(i * S.DEBUG_DIRECTORY_SIZE, (i + 1) * S.DEBUG_DIRECTORY_SIZE);
    const type = e.readUInt32LE(S.dd_Type);
    const name = S.DEBUG_TYPE_NAMES[type] ?? `type ${type}`;
    const entryAt = at + i * S.DEBUG_DIRECTORY_SIZE;
    layout?.structure(entryAt, S.DEBUG_DIRECTORY_SIZE, `debug directory entry ${i}`, [at4(entryAt + S.dd_TimeDateStamp)]);
    stamps?.push({ offset: entryAt + S.dd_TimeDateStamp, field: `debug directory[${i}] (${name}) TimeDateStamp`, old: e.readUInt32LE(S.dd_TimeDateStamp) });
    if (type !== S.IMAGE_DEBUG_TYPE_CODEVIEW || codeView) continue;
    const size = e.readUInt32LE(S.dd_SizeOfData);
    const ptr = e.readUInt32LE(S.dd_PointerToRawData);
    if (size < 4) continue;
    if (ptr + size > r.size) {
      throw new FormatError(`PE debug directory at ${hex(entryAt)} points past end of file: CodeView data at ${hex(ptr)}+${hex(size)} (size ${hex(r.size)})`, r.base + entryAt + S.dd_PointerToRawData);
    }
    const rec = await r.read(ptr, Math.min(size, 4096), 'CodeView record');
    const sig = rec.readUInt32LE(0);
    const path = (start: number) => {
      const nul = rec.indexOf(0, start);
      const pathBytes = rec.subarray(start, nul < 0 ? rec.length : nul);
      return { pathBytes, pdbPath: pathBytes.toString('utf8') };
    };
    if (sig === S.CV_SIGNATURE_RSDS && rec.length >= S.RSDS_HEADER_SIZE) {
      layout?.structure(ptr, S.RSDS_HEADER_SIZE, 'CodeView RSDS record header', [{ start: ptr + S.rsds_Guid, end: ptr + S.RSDS_HEADER_SIZE }]);
      codeView = { entry: i, offset: ptr, kind: 'RSDS', guid: rec.subarray(S.rsds_Guid, S.rsds_Guid + 16), age: rec.readUInt32LE(S.rsds_Age), ...path(S.RSDS_HEADER_SIZE) };
    } else if (sig === S.CV_SIGNATURE_NB10 && rec.length >= S.NB10_HEADER_SIZE) {
      layout?.structure(ptr, S.NB10_HEADER_SIZE, 'CodeView NB10 record header', [{ start: ptr + S.nb10_Signature, end: ptr + S.NB10_HEADER_SIZE }]);
      codeView = { entry: i, offset: ptr, kind: 'NB10', age: rec.readUInt32LE(S.nb10_Age), ...path(S.NB10_HEADER_SIZE) };
    }
  }
  return codeView;
}

/**
 * Every IMAGE_RESOURCE_DIRECTORY of the tree (ducible patches only the root). Directories
 * and their entries never share bytes in a well-formed tree, so together they fit in the
 * resource data: checking that keeps the walk linear in the file size, whatever the
 * entry counts and offsets say.
 */
async function readResourceStamps(r: RangeReader, pe: PeFile, stamps: Stamp[], layout: Layout): Promise<void> {
  const d = directory(pe, S.IMAGE_DIRECTORY_ENTRY_RESOURCE);
  if (!d) return;
  const base = rvaToOffset(pe, d.rva, Math.min(d.size, S.RESOURCE_DIRECTORY_SIZE), 'resource directory', r, d.at);
  const dataSize = `the resource data (Size ${hex(d.size)} in the data directory entry at ${hex(d.at)})`;
  const seen = new Set<number>();
  let bytes = 0;
  /** `from`: the file offset of the field pointing at the directory (its parent's entry, or the data directory). */
  const queue: { off: number; depth: number; path: string; from: number }[] = [{ off: 0, depth: 0, path: 'root', from: d.at }];
  while (queue.length > 0) {
    const { off, depth, path, from } = queue.shift()!;
    if (seen.has(off)) continue;
    seen.add(off);
    const at = base + off;
    if (off + S.RESOURCE_DIRECTORY_SIZE > d.size) {
      throw new FormatError(`resource directory ${path} at offset ${hex(off)} of the resource data (pointed to at ${hex(from)}) lies outside ${dataSize}`, r.base + from);
    }
    if (at + S.RESOURCE_DIRECTORY_SIZE > r.size) {
      throw new FormatError(`resource directory ${path} at ${hex(at)} (pointed to at ${hex(from)}) runs past the end of the file (size ${hex(r.size)})`, r.base + from);
    }
    const h = await r.read(at, S.RESOURCE_DIRECTORY_SIZE, 'resource directory');
    stamps.push({ offset: at + S.rd_TimeDateStamp, field: `resource directory ${path} TimeDateStamp`, old: h.readUInt32LE(S.rd_TimeDateStamp) });
    const n = h.readUInt16LE(S.rd_NumberOfNamedEntries) + h.readUInt16LE(S.rd_NumberOfIdEntries);
    const entriesAt = off + S.RESOURCE_DIRECTORY_SIZE;
    const countAt = at + S.rd_NumberOfNamedEntries;
    if (entriesAt + n * S.RESOURCE_ENTRY_SIZE > d.size) {
      throw new FormatError(`resource directory ${path} at ${hex(at)}: ${n} entries run past ${dataSize}`, r.base + countAt);
    }
    if (base + entriesAt + n * S.RESOURCE_ENTRY_SIZE > r.size) {
      throw new FormatError(`resource directory ${path} at ${hex(at)}: ${n} entries run past the end of the file (size ${hex(r.size)})`, r.base + countAt);
    }
    bytes += S.RESOURCE_DIRECTORY_SIZE + n * S.RESOURCE_ENTRY_SIZE;
    if (bytes > d.size) {
      throw new FormatError(`resource directory ${path} at ${hex(at)}: the directories reached so far hold more entries than fit in ${dataSize}; they overlap`, r.base + countAt);
    }
    layout.structure(at, S.RESOURCE_DIRECTORY_SIZE, `resource directory ${path}`, [at4(at + S.rd_TimeDateStamp)]);
    layout.structure(base + entriesAt, n * S.RESOURCE_ENTRY_SIZE, `resource directory ${path} entries`);
    const entries = await r.read(base + entriesAt, n * S.RESOURCE_ENTRY_SIZE, 'resource directory entries');
    for (let i = 0; i < n; i++) {
      const nameOrId = entries.readUInt32LE(i * S.RESOURCE_ENTRY_SIZE);
      const target = entries.readUInt32LE(i * S.RESOURCE_ENTRY_SIZE + S.re_OffsetToData);
      if (!(target & S.IMAGE_RESOURCE_DATA_IS_DIRECTORY)) continue;
      const entryAt = base + entriesAt + i * S.RESOURCE_ENTRY_SIZE;
      if (depth >= 8) throw new FormatError(`resource directory ${path} at ${hex(at)}: entry ${i} at ${hex(entryAt)} makes the tree deeper than 8 levels`, r.base + entryAt + S.re_OffsetToData);
      const label = nameOrId & 0x80000000 ? `name@${hex(nameOrId & 0x7fffffff)}` : String(nameOrId);
      queue.push({ off: target & 0x7fffffff, depth: depth + 1, path: path === 'root' ? label : `${path}/${label}`, from: entryAt + S.re_OffsetToData });
    }
  }
}

/** The pairing key shared with the PDB: its GUID, from the CodeView RSDS record. */
export async function peLinkKey(r: RangeReader): Promise<string | undefined> {
  try {
    const pe = await readPe(r);
    const cv = await readDebug(r, pe, undefined);
    return cv?.guid ? pdb70Key(cv.guid) : undefined;
  } catch {
    return undefined;
  }
}

/** The PDB file name the CodeView record references, without its folder (either slash). */
export async function pePdbName(r: RangeReader): Promise<string | undefined> {
  try {
    const cv = await readDebug(r, await readPe(r), undefined);
    const name = cv?.pdbPath.split(/[\\/]/).pop();
    return name || undefined;
  } catch {
    return undefined;
  }
}

export async function planPe(ctx: PlanContext): Promise<void> {
  const r = ctx.reader;
  const pe = await readPe(r);
  const cert = pe.directories[S.IMAGE_DIRECTORY_ENTRY_SECURITY];
  if (cert && cert.size !== 0) throw new SkipFile('signed (Authenticode certificate table present): normalize before signing');

  const stamps: Stamp[] = [{ offset: pe.fileHeader + S.fh_TimeDateStamp, field: 'COFF TimeDateStamp', old: pe.timeDateStamp }];
  const layout = new Layout();
  // Of the DOS header only e_magic and e_lfanew are read.
  layout.structure(0, 2, 'DOS header e_magic');
  layout.structure(S.e_lfanew, 4, 'DOS header e_lfanew');
  layout.structure(pe.fileHeader - 4, pe.headersEnd - (pe.fileHeader - 4), 'PE headers and section table', [at4(pe.fileHeader + S.fh_TimeDateStamp), at4(pe.checksumOffset)]);
  const exp = directory(pe, S.IMAGE_DIRECTORY_ENTRY_EXPORT);
  if (exp) {
    const at = rvaToOffset(pe, exp.rva, S.EXPORT_DIRECTORY_SIZE, 'export directory', r, exp.at);
    layout.structure(at, S.EXPORT_DIRECTORY_SIZE, 'export directory', [at4(at + S.ed_TimeDateStamp)]);
    stamps.push({ offset: at + S.ed_TimeDateStamp, field: 'export directory TimeDateStamp', old: (await r.read(at + S.ed_TimeDateStamp, 4, 'export directory TimeDateStamp')).readUInt32LE(0) });
  }
  await readResourceStamps(r, pe, stamps, layout);
  const lc = directory(pe, S.IMAGE_DIRECTORY_ENTRY_LOAD_CONFIG);
  if (lc) {
    const at = rvaToOffset(pe, lc.rva, 8, 'load config directory', r, lc.at);
    const h = await r.read(at, 8, 'load config directory');
    layout.structure(at, 8, 'load config directory', h.readUInt32LE(S.lc_Size) >= 8 ? [at4(at + S.lc_TimeDateStamp)] : []);
    if (h.readUInt32LE(S.lc_Size) >= 8) stamps.push({ offset: at + S.lc_TimeDateStamp, field: 'load config TimeDateStamp', old: h.readUInt32LE(S.lc_TimeDateStamp) });
  }
  const cv = await readDebug(r, pe, stamps, layout);
  const writes: Write[] = stamps.map((st) => ({ offset: st.offset, size: 4, field: st.field }));
  const bound = directory(pe, S.IMAGE_DIRECTORY_ENTRY_BOUND_IMPORT);
  if (bound) ctx.note(`bound import table at ${hex(bound.rva)} (${bound.size} bytes): the bound DLLs' TimeDateStamps are kept`);

  const masks: Range[] = stamps.map((s) => ({ start: s.offset, end: s.offset + 4 }));
  masks.push({ start: pe.checksumOffset, end: pe.checksumOffset + 4 });
  if (cv?.kind === 'RSDS') masks.push({ start: cv.offset + S.rsds_Guid, end: cv.offset + S.RSDS_HEADER_SIZE });
  if (cv?.kind === 'NB10') masks.push({ start: cv.offset + S.nb10_Signature, end: cv.offset + S.NB10_HEADER_SIZE });
  const digest = new ContentDigest(masks);
  const whole = { start: 0, end: r.size };
  const hashMode = ctx.setting('pe-timestamp') === 'hash';
  const renderStamp = (b: Buffer) => renderTime(b.readUInt32LE(0));
  /** The fields derived from the digest: the checksum, summed in the same pass, adds their final values. */
  const later: LaterField[] = [];
  const fromDigest = (offset: number, size: number, start: number, end: number) => {
    later.push({ offset, size, value: () => digest.final(start, end) });
    return () => digest.slice(start, end);
  };

  for (const s of stamps) {
    if (s.old === 0) {
      // 0 means "not set" (windres, GNU ld --no-insert-timestamp): already deterministic.
      ctx.patch({ offset: s.offset, oldBytes: u32le(0), bytes: u32le(0), field: s.field, old: '0 (not set)', new: '0 (not set)' });
    } else if (hashMode) {
      ctx.derive({ offset: s.offset, size: 4, field: s.field, stage: 0, range: whole, render: renderStamp, createHasher: fromDigest(s.offset, 4, 0, 4) });
    } else {
      const value = ctx.time(s.old);
      ctx.patch({ offset: s.offset, oldBytes: u32le(s.old), bytes: u32le(value), field: s.field, old: renderTime(s.old), new: renderTime(value) });
    }
  }
  ctx.publish('timestamp', pe.fileHeader + S.fh_TimeDateStamp, 4);

  if (cv) {
    const ageAt = cv.offset + (cv.kind === 'RSDS' ? S.rsds_Age : S.nb10_Age);
    writes.push({ offset: ageAt, size: 4, field: `CodeView ${cv.kind} Age` });
    ctx.patch({ offset: ageAt, oldBytes: u32le(cv.age), bytes: u32le(1), field: `CodeView ${cv.kind} Age`, old: String(cv.age), new: '1' });
    if (cv.kind === 'RSDS') {
      const at = cv.offset + S.rsds_Guid;
      writes.push({ offset: at, size: 16, field: 'CodeView RSDS GUID' });
      ctx.derive({ offset: at, size: 16, field: 'CodeView RSDS GUID', stage: 0, range: whole, render: guidText, createHasher: fromDigest(at, 16, 4, 20) });
      ctx.publish('guid', at, 16);
    } else {
      // NB10 pairs a PDB 2.00 by signature: it gets the image timestamp, like link.exe writes it.
      const at = cv.offset + S.nb10_Signature;
      writes.push({ offset: at, size: 4, field: 'CodeView NB10 Signature' });
      const old = (await r.read(at, 4, 'CodeView NB10 Signature')).readUInt32LE(0);
      if (hashMode) ctx.derive({ offset: at, size: 4, field: 'CodeView NB10 Signature', stage: 0, range: whole, render: renderStamp, createHasher: fromDigest(at, 4, 0, 4) });
      else ctx.patch({ offset: at, oldBytes: u32le(old), bytes: u32le(ctx.time(old)), field: 'CodeView NB10 Signature', old: renderTime(old), new: renderTime(ctx.time(old)) });
    }
    ctx.publish('age', ageAt, 4);
    const pathAt = cv.offset + (cv.kind === 'RSDS' ? S.RSDS_HEADER_SIZE : S.NB10_HEADER_SIZE);
    // Split on the bytes themselves: '/' and '\\' never occur inside a UTF-8 sequence, and a
    // path that is not valid UTF-8 keeps its exact bytes and length.
    const oldPath = cv.pathBytes;
    const cut = Math.max(oldPath.lastIndexOf(0x2f), oldPath.lastIndexOf(0x5c));
    if (ctx.setting('pdb-path') === 'basename' && cut >= 0) {
      // What /PDBALTPATH:%_PDB% writes, NUL-padded to the same length.
      const base = oldPath.subarray(cut + 1);
      const bytes = Buffer.alloc(oldPath.length);
      base.copy(bytes);
      writes.push({ offset: pathAt, size: oldPath.length, field: `CodeView ${cv.kind} PDB path` });
      ctx.patch({ offset: pathAt, oldBytes: oldPath, bytes, field: `CodeView ${cv.kind} PDB path`, old: cv.pdbPath, new: base.toString('utf8') });
    } else {
      ctx.note(`CodeView PDB path kept: ${cv.pdbPath}`);
    }
  }

  if (remapWanted(ctx)) {
    // Every section's raw data (DWARF of mingw builds, __FILE__, the CodeView path, resources
    // in UTF-16LE); the derived stamps, GUID and checksum below then hash the remapped bytes.
    const spans = pe.sections.map((s) => ({ start: s.pointerToRawData, end: Math.min(s.pointerToRawData + s.sizeOfRawData, r.size), label: `section ${s.name}` }));
    const basename = cv && ctx.setting('pdb-path') === 'basename';
    if (cv && !basename) {
      const at = cv.offset + (cv.kind === 'RSDS' ? S.RSDS_HEADER_SIZE : S.NB10_HEADER_SIZE);
      spans.push({ start: at, end: at + cv.pathBytes.length, label: `CodeView ${cv.kind} PDB path` });
    }
    // With --pdb-path basename the CodeView path is rewritten whole (folder dropped).
    const pathAt = cv ? cv.offset + (cv.kind === 'RSDS' ? S.RSDS_HEADER_SIZE : S.NB10_HEADER_SIZE) : 0;
    const skip = basename ? (offset: number, size: number) => offset < pathAt + cv.pathBytes.length && offset + size > pathAt : undefined;
    const needles = needlesOf(ctx.options.remap, true);
    const hits: number[] = [];
    for (const span of mergeSpans(spans)) {
      const onHit = (offset: number, size: number) => {
        writes.push({ offset, size, field: `path in ${span.label}` });
        hits.push(offset);
      };
      await remapRange(ctx, span.start, span.end, span.label, needles, { onHit, skip });
    }
    // The PDB names section contents by a CRC (section contributions' DataCrc, string literal
    // symbols): each section that changed is handed to it, remapped, as section:<number>.
    pe.sections.forEach((s, i) => {
      const end = Math.min(s.pointerToRawData + s.sizeOfRawData, r.size);
      if (hits.some((h) => h >= s.pointerToRawData && h < end)) ctx.publish(`section:${i + 1}`, s.pointerToRawData, end - s.pointerToRawData);
    });
  }
  if (pe.checksum !== 0) writes.push({ offset: pe.checksumOffset, size: 4, field: 'OptionalHeader CheckSum' });
  layout.check(r, writes);
  if (pe.checksum !== 0) {
    ctx.derive({
      offset: pe.checksumOffset,
      size: 4,
      field: 'OptionalHeader CheckSum',
      // Summed in the pass that feeds the digest, not in a second pass over the file.
      stage: 0,
      range: whole,
      render: (b) => hex(b.readUInt32LE(0)),
      createHasher: () => peChecksumHasher(pe.checksumOffset, r.size, later),
    });
  } else {
    ctx.note('OptionalHeader CheckSum is 0 (not set) and stays 0');
  }
}
