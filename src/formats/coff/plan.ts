import { crc32 } from 'node:zlib';
import { jamCrc0 } from '../shared/jamcrc.js';
import { FormatError, SkipFile, hex } from '../../core/errors.js';
import { MAX_READ } from '../../core/reader.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { u32le } from '../shared/bytes.js';
import * as S from './spec.js';
import { findAll, mergeSpans, needlesOf, remapRange, remapWanted, type Needle } from '../../core/remap.js';
import { anonymousNamespaces, stringsAround } from '../shared/xxhash64.js';
import { literalRenames } from './literals.js';
import { classify } from './kind.js';

/** A FormatError at `offset` of this object (the error carries the offset in the file). */
function broken(ctx: PlanContext, offset: number, message: string): FormatError {
  return new FormatError(message, ctx.reader.base + offset);
}

function patchTimeDateStamp(ctx: PlanContext, header: Buffer, offset: number, field: string): void {
  const old = header.readUInt32LE(offset);
  const value = ctx.time(old);
  // A copy: a plan that keeps its fields must not keep the whole first block alive.
  const oldBytes = Buffer.allocUnsafe(4);
  header.copy(oldBytes, 0, offset, offset + 4);
  ctx.patch({
    offset,
    oldBytes,
    bytes: u32le(value),
    field,
    render: renderU32Time,
  });
}

/** A little-endian 32-bit timestamp as text, for reports only. */
const renderU32Time = (b: Buffer) => renderTime(b.readUInt32LE(0));

/** What `end` is checked against, for messages. */
const fileEnd = (ctx: PlanContext) => `the end of the object (size ${hex(ctx.reader.size)})`;

/** Where the header fields of a regular object or a /bigobj are. */
interface Layout {
  header: string;
  headerSize: number;
  numberOfSections: number;
  pointerToSymbolTable: number;
  numberOfSymbols: number;
  symbolSize: number;
}

const REGULAR: Layout = {
  header: 'IMAGE_FILE_HEADER',
  headerSize: S.IMAGE_SIZEOF_FILE_HEADER,
  numberOfSections: S.FH_NumberOfSections,
  pointerToSymbolTable: S.FH_PointerToSymbolTable,
  numberOfSymbols: S.FH_NumberOfSymbols,
  symbolSize: S.IMAGE_SIZEOF_SYMBOL,
};

const BIGOBJ: Layout = {
  header: 'ANON_OBJECT_HEADER_BIGOBJ',
  headerSize: S.ANON_OBJECT_HEADER_BIGOBJ_SIZE,
  numberOfSections: S.BIGOBJ_NumberOfSections,
  pointerToSymbolTable: S.BIGOBJ_PointerToSymbolTable,
  numberOfSymbols: S.BIGOBJ_NumberOfSymbols,
  symbolSize: S.IMAGE_SIZEOF_SYMBOL_EX,
};

/** Section headers read per call: about 40 KiB. */
const SECTIONS_PER_READ = 1024;

/**
 * The first bytes of an object, read once: its header, section table and (in a small
 * object) string table size mostly lie in them, so an archive member costs one read.
 */
const FIRST_BLOCK = 4096;

/** `length` bytes at `offset`: from the first block when they lie in it, else read. */
async function bytesAt(ctx: PlanContext, block: Buffer, offset: number, length: number, what: string): Promise<Buffer> {
  return offset + length <= block.length ? block.subarray(offset, offset + length) : ctx.reader.read(offset, length, what);
}

/** A name of all 8 bytes: the short name field holds it with no NUL. */
const DEBUG_S = Buffer.from('.debug$S', 'latin1');

/** Whether the section header at `e` of `table` has the short name `name`, 8 bytes long. */
function nameIs(table: Buffer, e: number, name: Buffer): boolean {
  for (let i = 0; i < S.IMAGE_SIZEOF_SHORT_NAME; i++) if (table[e + S.SH_Name + i] !== name[i]) return false;
  return true;
}

/** The short name of the section header at `e` (decoded only for a message or a span). */
function sectionName(table: Buffer, e: number): string {
  const rawName = table.subarray(e + S.SH_Name, e + S.SH_Name + S.IMAGE_SIZEOF_SHORT_NAME);
  const nul = rawName.indexOf(0);
  return rawName.toString('latin1', 0, nul < 0 ? rawName.length : nul);
}

const sectionLabel = (table: Buffer, e: number, index: number, at: number) => `section ${index} (${JSON.stringify(sectionName(table, e))}) header at ${hex(at)}`;

/**
 * Every section header: its raw data, relocations and line numbers must lie inside the
 * file. Returns whether a section is named .debug$S. `spans` (wanted for --remap-path
 * only) gets each section's raw data.
 */
async function checkSections(ctx: PlanContext, block: Buffer, tableOffset: number, count: number, spans: Span[] | undefined): Promise<boolean> {
  const found = { debugS: false };
  for (let first = 0; first < count; first += SECTIONS_PER_READ) {
    const n = Math.min(SECTIONS_PER_READ, count - first);
    const chunkOffset = tableOffset + first * S.IMAGE_SIZEOF_SECTION_HEADER;
    const chunk = await bytesAt(ctx, block, chunkOffset, n * S.IMAGE_SIZEOF_SECTION_HEADER, 'section table');
    let k = checkHeaders(ctx, chunk, chunkOffset, first, 0, n, spans, found);
    while (k < n) {
      // Section k keeps its relocation count in its first relocation: read it, go on from there.
      const pointerToRelocations = chunk.readUInt32LE(k * S.IMAGE_SIZEOF_SECTION_HEADER + S.SH_PointerToRelocations);
      const relocations = (await bytesAt(ctx, block, pointerToRelocations, 4, 'relocation count (IMAGE_SCN_LNK_NRELOC_OVFL)')).readUInt32LE(0);
      k = checkHeaders(ctx, chunk, chunkOffset, first, k, n, spans, found, relocations);
    }
  }
  return found.debugS;
}

/**
 * Sections [from, n) of a piece of the section table, checked with no await (this runs
 * for every section of every archive member). Stops at a section whose relocation count
 * lies in its first relocation (IMAGE_SCN_LNK_NRELOC_OVFL) and returns its index, to be
 * called again from there with that count; returns n when done.
 */
function checkHeaders(ctx: PlanContext, chunk: Buffer, chunkOffset: number, first: number, from: number, n: number, spans: Span[] | undefined, found: { debugS: boolean }, overflowCount?: number): number {
  const size = ctx.reader.size;
  for (let k = from; k < n; k++) {
    const e = k * S.IMAGE_SIZEOF_SECTION_HEADER;
    const at = chunkOffset + e;
    const index = first + k + 1;
    /** Called again for this section with its relocation count: its first checks are done. */
    const again = k === from && overflowCount !== undefined;
    if (!found.debugS && nameIs(chunk, e, DEBUG_S)) found.debugS = true;

    const sizeOfRawData = chunk.readUInt32LE(e + S.SH_SizeOfRawData);
    const pointerToRawData = chunk.readUInt32LE(e + S.SH_PointerToRawData);
    // A section without file contents (.bss) has PointerToRawData 0.
    if (pointerToRawData !== 0 && pointerToRawData + sizeOfRawData > size) {
      throw broken(ctx, at + S.SH_PointerToRawData, `${sectionLabel(chunk, e, index, at)}: raw data at ${hex(pointerToRawData)} (SizeOfRawData ${hex(sizeOfRawData)}) runs past ${fileEnd(ctx)}`);
    }
    if (pointerToRawData !== 0 && spans && !again) spans.push({ start: pointerToRawData, end: pointerToRawData + sizeOfRawData, label: `section ${sectionName(chunk, e)}`, section: index });

    const pointerToRelocations = chunk.readUInt32LE(e + S.SH_PointerToRelocations);
    let relocations = chunk.readUInt16LE(e + S.SH_NumberOfRelocations);
    const characteristics = chunk.readUInt32LE(e + S.SH_Characteristics);
    if (relocations === 0xffff && characteristics & S.IMAGE_SCN_LNK_NRELOC_OVFL) {
      // The count is the first relocation's VirtualAddress, that entry included.
      if (pointerToRelocations + S.IMAGE_SIZEOF_RELOCATION > size) {
        throw broken(ctx, at + S.SH_PointerToRelocations, `${sectionLabel(chunk, e, index, at)}: relocations at ${hex(pointerToRelocations)} run past ${fileEnd(ctx)}`);
      }
      if (!again) return k;
      relocations = overflowCount;
    }
    if (relocations > 0 && pointerToRelocations + relocations * S.IMAGE_SIZEOF_RELOCATION > size) {
      throw broken(ctx, at + S.SH_PointerToRelocations, `${sectionLabel(chunk, e, index, at)}: ${relocations} relocations at ${hex(pointerToRelocations)} run past ${fileEnd(ctx)}`);
    }

    const linenumbers = chunk.readUInt16LE(e + S.SH_NumberOfLinenumbers);
    const pointerToLinenumbers = chunk.readUInt32LE(e + S.SH_PointerToLinenumbers);
    if (linenumbers > 0 && pointerToLinenumbers + linenumbers * S.IMAGE_SIZEOF_LINENUMBER > size) {
      throw broken(ctx, at + S.SH_PointerToLinenumbers, `${sectionLabel(chunk, e, index, at)}: ${linenumbers} line numbers at ${hex(pointerToLinenumbers)} run past ${fileEnd(ctx)}`);
    }
  }
  return n;
}

/** The section table and the symbol and string tables of a regular object or a /bigobj; whether it has a .debug$S section. */
async function checkTables(ctx: PlanContext, block: Buffer, header: Buffer, l: Layout, spans: Span[] | undefined): Promise<boolean> {
  const size = ctx.reader.size;
  const count = l === REGULAR ? header.readUInt16LE(l.numberOfSections) : header.readUInt32LE(l.numberOfSections);
  if (l === REGULAR && count > S.MAX_NUMBER_OF_SECTIONS16) {
    throw broken(
      ctx,
      l.numberOfSections,
      `${l.header} at 0x0: NumberOfSections ${count} is more than ${S.MAX_NUMBER_OF_SECTIONS16}, the most a regular object can have (larger objects use the /bigobj header)`,
    );
  }
  const tableEnd = l.headerSize + count * S.IMAGE_SIZEOF_SECTION_HEADER;
  if (tableEnd > size) {
    throw broken(
      ctx,
      l.numberOfSections,
      `${l.header} at 0x0: the section table at ${hex(l.headerSize)} (NumberOfSections ${count}, ${S.IMAGE_SIZEOF_SECTION_HEADER} bytes each) runs past ${fileEnd(ctx)}`,
    );
  }

  const pointer = header.readUInt32LE(l.pointerToSymbolTable);
  const symbols = header.readUInt32LE(l.numberOfSymbols);
  if (pointer === 0 && symbols !== 0) {
    throw broken(ctx, l.pointerToSymbolTable, `${l.header} at 0x0: NumberOfSymbols is ${symbols} but PointerToSymbolTable is 0`);
  }
  if (pointer !== 0) {
    if (pointer < l.headerSize) {
      throw broken(ctx, l.pointerToSymbolTable, `${l.header} at 0x0: PointerToSymbolTable ${hex(pointer)} points into the ${l.header} itself (${l.headerSize} bytes)`);
    }
    const stringTable = pointer + symbols * l.symbolSize;
    if (stringTable > size) {
      throw broken(
        ctx,
        l.pointerToSymbolTable,
        `${l.header} at 0x0: the symbol table at ${hex(pointer)} (NumberOfSymbols ${symbols}, ${l.symbolSize} bytes each) runs past ${fileEnd(ctx)}`,
      );
    }
    if (stringTable + S.STRING_TABLE_SIZE_FIELD > size) {
      throw broken(ctx, l.pointerToSymbolTable, `${l.header} at 0x0: the string table size at ${hex(stringTable)}, right after the symbol table, runs past ${fileEnd(ctx)}`);
    }
    const stringTableSize = (await bytesAt(ctx, block, stringTable, S.STRING_TABLE_SIZE_FIELD, 'string table size')).readUInt32LE(0);
    // Sizes below 4 mean an empty table (some tools write 0).
    if (stringTableSize >= S.STRING_TABLE_SIZE_FIELD && stringTable + stringTableSize > size) {
      throw broken(ctx, stringTable, `string table at ${hex(stringTable)}: its size ${hex(stringTableSize)} runs past ${fileEnd(ctx)}`);
    }
    // The .file symbol's auxiliary records hold the source file name as the compiler got it.
    spans?.push({ start: pointer, end: stringTable, label: 'symbol table' });
    if (stringTableSize > S.STRING_TABLE_SIZE_FIELD) spans?.push({ start: stringTable + S.STRING_TABLE_SIZE_FIELD, end: stringTable + stringTableSize, label: 'string table' });
  }
  return checkSections(ctx, block, l.headerSize, count, spans);
}

function noteDebugSections(ctx: PlanContext, debugS: boolean): void {
  if (debugS) {
    ctx.note('section .debug$S (CodeView) kept as written: it can hold the object path, the compiler command line and source paths');
  }
}

async function planObject(ctx: PlanContext, block: Buffer): Promise<void> {
  const header = await bytesAt(ctx, block, 0, S.IMAGE_SIZEOF_FILE_HEADER, 'IMAGE_FILE_HEADER');
  // The spans are only searched by --remap-path: a plain run lists none.
  const spans: Span[] | undefined = remapWanted(ctx) ? [] : undefined;
  const debugS = await checkTables(ctx, block, header, REGULAR, spans);
  patchTimeDateStamp(ctx, header, S.FH_TimeDateStamp, 'IMAGE_FILE_HEADER.TimeDateStamp');
  noteDebugSections(ctx, debugS);
  if (spans) await remapSpans(ctx, spans, S.IMAGE_SIZEOF_FILE_HEADER, header, REGULAR, true);
}

type Span = { start: number; end: number; label: string; section?: number };

/**
 * --remap-path: section contents (CodeView S_OBJNAME and LF_STRING_ID / LF_BUILDINFO
 * strings in .debug$S / .debug$T, DWARF of mingw objects, __FILE__ in .rdata), the
 * symbol table (.file names) and the string table. An object has no hash over them: the
 * linker builds the PDB's hash tables from these strings later. Nothing before `header`
 * (the header itself) is searched.
 */
async function remapSpans(ctx: PlanContext, spans: Span[], headerSize: number, header: Buffer, l: Layout, literals = false): Promise<void> {
  if (!remapWanted(ctx)) return;
  const needles = needlesOf(ctx.options.remap, true);
  // String literal symbols whose literal changes are renamed whole; a path-like match
  // inside such a name is part of that rename.
  const renames = literals ? await literalRenames(ctx.reader, needlesOf(ctx.options.remap, false), needles.filter((n) => n.wide)) : [];
  for (const n of renames) {
    ctx.patch({ offset: n.offset, bytes: Buffer.from(n.new, 'latin1'), oldBytes: Buffer.from(n.old, 'latin1'), field: 'string literal symbol name (after --remap-path)', old: n.old, new: n.new });
  }
  const skip = (offset: number, size: number) => renames.some((n) => offset < n.offset + n.old.length && offset + size > n.offset);
  // clang's anonymous namespace names hash the main source file's path: they follow it.
  const anon = await anonymousNamespaceNeedles(ctx, spans, headerSize, needles);
  needles.push(...anon);
  needles.sort((a, b) => b.from.length - a.from.length);
  const sections = spans.filter((s) => s.section !== undefined);
  const touched = new Set<Span>();
  const onHit = (offset: number) => sections.filter((s) => offset >= s.start && offset < s.end).forEach((s) => touched.add(s));
  for (const span of mergeSpans(spans)) {
    if (span.end <= headerSize) continue;
    await remapRange(ctx, Math.max(span.start, headerSize), span.end, span.label, needles, { onHit, skip });
  }
  if (touched.size > 0) await rederiveCheckSums(ctx, [...touched], header, l);
}

/**
 * The `?A0x<hash>@` renames for the paths the object holds (shared/xxhash64.ts); a name
 * whose hash would change length makes the object refused.
 */
async function anonymousNamespaceNeedles(ctx: PlanContext, spans: Span[], headerSize: number, needles: Needle[]): Promise<Needle[]> {
  const strings = new Set<string>();
  const merged = mergeSpans(spans).filter((s) => s.end > headerSize);
  for (const span of merged) {
    const start = Math.max(span.start, headerSize);
    for (let at = start; at < span.end; at += MAX_READ) {
      const piece = await ctx.reader.read(at, Math.min(MAX_READ, span.end - at), `${span.label} (looking for paths)`);
      stringsAround(piece, findAll(piece, needles), strings);
    }
  }
  const { renames, misfits } = anonymousNamespaces(strings, needles);
  if (misfits.length === 0 && renames.length === 0) return [];
  for (const span of merged) {
    const start = Math.max(span.start, headerSize);
    for (let at = start; at < span.end; at += MAX_READ) {
      const piece = await ctx.reader.read(at, Math.min(MAX_READ, span.end - at), span.label);
      const bad = findAll(piece, misfits)[0];
      if (bad) {
        throw broken(ctx, at + bad.at, `${span.label} at ${hex(at + bad.at)}: the anonymous namespace name ${bad.needle.from.toString('latin1')} hashes a source path, and with the path remapped its hash has another number of digits, which cannot be written in place`);
      }
    }
  }
  return renames;
}

/**
 * A section's CheckSum in its section definition record: LLVM writes JamCRC (CRC-32
 * without the final inversion, initial value 0) of the contents into every one, MSVC
 * into COMDAT sections. Where a remapped section's stored value is that CRC of its old
 * contents, it is recomputed over the new ones; 0 (not set) stays 0; any other value is
 * kept and noted.
 */
async function rederiveCheckSums(ctx: PlanContext, touched: Span[], header: Buffer, l: Layout): Promise<void> {
  const pointer = header.readUInt32LE(l.pointerToSymbolTable);
  const count = header.readUInt32LE(l.numberOfSymbols);
  if (pointer === 0 || count === 0) return;
  const table = await ctx.reader.readChunked(pointer, count * l.symbolSize, 'symbol table');
  const ex = l === BIGOBJ;
  const auxOf = new Map<number, number>();
  for (let i = 0; i < count; i++) {
    const at = i * l.symbolSize;
    const numAux = table[at + (ex ? S.SYMEX_NumberOfAuxSymbols : S.SYM_NumberOfAuxSymbols)];
    const storage = table[at + (ex ? S.SYMEX_StorageClass : S.SYM_StorageClass)];
    const section = ex ? table.readInt32LE(at + S.SYM_SectionNumber) : table.readInt16LE(at + S.SYM_SectionNumber);
    if (storage === S.IMAGE_SYM_CLASS_STATIC && numAux > 0 && section > 0 && table.readUInt32LE(at + S.SYM_Value) === 0 && !auxOf.has(section) && i + 1 < count) {
      auxOf.set(section, pointer + at + l.symbolSize);
    }
    i += numAux;
  }
  for (const span of touched) {
    const aux = auxOf.get(span.section!);
    if (aux === undefined) continue;
    const stored = (await ctx.reader.read(aux + S.AUX_CheckSum, 4, `${span.label} CheckSum`)).readUInt32LE(0);
    if (stored === 0) continue;
    const contents = await ctx.reader.readChunked(span.start, span.end - span.start, span.label);
    if (jamCrc0(contents) !== stored) {
      ctx.note(`${span.label}: CheckSum ${hex(stored)} in its section definition is not the JamCRC of its contents; kept although paths in it changed`);
      continue;
    }
    const range = { start: span.start, end: span.end };
    ctx.derive({
      offset: aux + S.AUX_CheckSum,
      size: 4,
      field: `${span.label} CheckSum (section definition, after --remap-path)`,
      stage: 0,
      range,
      render: (b) => hex(b.readUInt32LE(0)),
      createHasher: () => {
        let crc = 0xffffffff;
        return { update: (chunk) => void (crc = crc32(chunk, crc)), digest: () => u32le(~crc >>> 0) };
      },
    });
  }
}


async function planBigobj(ctx: PlanContext, block: Buffer): Promise<void> {
  const header = await bytesAt(ctx, block, 0, S.ANON_OBJECT_HEADER_BIGOBJ_SIZE, 'ANON_OBJECT_HEADER_BIGOBJ');
  const version = header.readUInt16LE(S.ANON_Version);
  if (version < S.BIGOBJ_MIN_VERSION) {
    throw broken(ctx, S.ANON_Version, `ANON_OBJECT_HEADER_BIGOBJ at 0x0: Version ${version} is below ${S.BIGOBJ_MIN_VERSION}, the first /bigobj version`);
  }
  const spans: Span[] | undefined = remapWanted(ctx) ? [] : undefined;
  const debugS = await checkTables(ctx, block, header, BIGOBJ, spans);
  patchTimeDateStamp(ctx, header, S.ANON_TimeDateStamp, 'ANON_OBJECT_HEADER_BIGOBJ.TimeDateStamp');
  noteDebugSections(ctx, debugS);
  if (spans) await remapSpans(ctx, spans, S.ANON_OBJECT_HEADER_BIGOBJ_SIZE, header, BIGOBJ);
}

/** Offset of the NUL ending the string at `start`, which must end before `end`. */
async function cString(ctx: PlanContext, block: Buffer, start: number, end: number, what: string): Promise<number> {
  if (start >= end) {
    throw broken(ctx, S.IMP_SizeOfData, `IMPORT_OBJECT_HEADER at 0x0: the ${what} at ${hex(start)} is missing: SizeOfData ends the object at ${hex(end)}`);
  }
  // Mostly in the first block; else (or with no NUL there) searched as before, which says what is wrong.
  const nul = block.subarray(0, Math.min(end, block.length)).indexOf(0, start);
  if (nul >= 0) return nul;
  // A window ending at `end` with the same origin: offsets in the message stay the object's.
  return ctx.reader.sub(0, end).findNul(start, `import object ${what}`);
}

async function planImport(ctx: PlanContext, block: Buffer): Promise<void> {
  const header = await bytesAt(ctx, block, 0, S.IMPORT_OBJECT_HEADER_SIZE, 'IMPORT_OBJECT_HEADER');
  const sizeOfData = header.readUInt32LE(S.IMP_SizeOfData);
  const end = S.IMPORT_OBJECT_HEADER_SIZE + sizeOfData;
  if (end > ctx.reader.size) {
    throw broken(ctx, S.IMP_SizeOfData, `IMPORT_OBJECT_HEADER at 0x0: SizeOfData ${hex(sizeOfData)} runs past ${fileEnd(ctx)}`);
  }
  const typeInfo = header.readUInt16LE(S.IMP_TypeInfo);
  const type = typeInfo & S.IMPORT_OBJECT_TYPE_MASK;
  if (type > S.IMPORT_OBJECT_TYPE_MAX) {
    throw broken(ctx, S.IMP_TypeInfo, `IMPORT_OBJECT_HEADER at 0x0: Type ${type} (TypeInfo ${hex(typeInfo)}) is not CODE (0), DATA (1) or CONST (2)`);
  }
  const nameType = (typeInfo >> S.IMPORT_OBJECT_NAME_TYPE_SHIFT) & S.IMPORT_OBJECT_NAME_TYPE_MASK;
  if (nameType > S.IMPORT_OBJECT_NAME_TYPE_MAX) {
    throw broken(ctx, S.IMP_TypeInfo, `IMPORT_OBJECT_HEADER at 0x0: NameType ${nameType} (TypeInfo ${hex(typeInfo)}) is not one of 0..${S.IMPORT_OBJECT_NAME_TYPE_MAX}`);
  }
  let pos = (await cString(ctx, block, S.IMPORT_OBJECT_HEADER_SIZE, end, 'symbol name')) + 1;
  pos = (await cString(ctx, block, pos, end, 'DLL name')) + 1;
  if (nameType === S.IMPORT_OBJECT_NAME_EXPORTAS) await cString(ctx, block, pos, end, 'export name (IMPORT_OBJECT_NAME_EXPORTAS)');
  patchTimeDateStamp(ctx, header, S.ANON_TimeDateStamp, 'IMPORT_OBJECT_HEADER.TimeDateStamp');
}

async function planLtcg(ctx: PlanContext, block: Buffer): Promise<void> {
  const version = (await bytesAt(ctx, block, 0, S.ANON_TimeDateStamp, 'ANON_OBJECT_HEADER')).readUInt16LE(S.ANON_Version);
  const v2 = version >= S.ANON_OBJECT_HEADER_V2_VERSION;
  const header = await bytesAt(ctx, block, 0, v2 ? S.ANON_OBJECT_HEADER_V2_SIZE : S.ANON_OBJECT_HEADER_SIZE, v2 ? 'ANON_OBJECT_HEADER_V2' : 'ANON_OBJECT_HEADER');
  patchTimeDateStamp(ctx, header, S.ANON_TimeDateStamp, 'ANON_OBJECT_HEADER.TimeDateStamp');
  ctx.note('link-time code generation object (cl /GL): only its header is read; the intermediate code after it is kept as written');
}

/**
 * The TimeDateStamp of the header. The tables the header points to are checked to lie
 * inside the file first, so a damaged object is refused as a whole; nothing past the
 * header is rewritten.
 */
export async function planCoff(ctx: PlanContext): Promise<void> {
  const { reader } = ctx;
  // classify looks at the first 60 bytes at most.
  const head = reader.sync ? reader.readUpToSync(0, FIRST_BLOCK, 'COFF header') : await reader.readUpTo(0, FIRST_BLOCK, 'COFF header');
  const kind = classify(head, reader.size);
  switch (kind) {
    case 'object':
      return planObject(ctx, head);
    case 'bigobj':
      return planBigobj(ctx, head);
    case 'import':
      return planImport(ctx, head);
    case 'ltcg':
      return planLtcg(ctx, head);
    case 'anon':
      throw new SkipFile(`ANON_OBJECT_HEADER with ClassID ${head.subarray(S.ANON_ClassID, S.ANON_ClassID + 16).toString('hex')}: an object kind unstamp does not know`);
    default:
      throw broken(ctx, 0, `COFF header at 0x0: ${head.subarray(0, 4).toString('hex')}... is neither a known Machine nor the 0000ffff of an import or anonymous object`);
  }
}
