// `unstamp explain <a> <b>`: why two builds differ. Both are planned in memory by the
// engine (explain mode: nothing is written), then compared as unstamp would leave them:
// the fields that differ and that unstamp fixes, and the bytes that would still differ,
// located in the file's structure with a likely cause.
import { open, stat } from 'node:fs/promises';
import { run, type EngineOptions, type FileResult } from '../core/engine.js';
import { UsageError, hex } from '../core/errors.js';
import type { Format } from '../core/format.js';
import { detectFormat, PatchedSource, type Patch, type Plan } from '../core/plan.js';
import { rewriteTools, Scratch } from '../core/payload.js';
import { BufferSource, FileSource, MAX_READ, RangeReader, type ByteSource } from '../core/reader.js';
import { fromBytes, joinPath, pathKey, reportPath, toBytes, type FilePath } from '../core/paths.js';
import { binaryCauses, showBytes, textCauses, type Cause, type CauseKind } from './causes.js';
import { comparePatched, fixedFields, readPatched, sortedPatches, type DiffRange, type FixedField } from './compare.js';
import { findCompanion } from './companion.js';
import { Demangler } from './demangle.js';
import { compareMembers, layoutMoved, type ByMember } from './members.js';
import { MAX_DEFLATED, compressed, inflate, memberContents, readRegion, type Inflated } from './inflate.js';
import { Locator, locationLabel, type Location, type Placed } from './locate.js';
import { blockReordering, memberReordering, reorderText, symbolReordering, type Reordering } from './reorder.js';

export type { Cause, CauseKind } from './causes.js';
export type { FixedField } from './compare.js';

/** Ranges reported in full per pair; the rest are counted. */
export const MAX_RANGES = 20;
/** Differing bytes closer than this join one range. */
export const GAP = 8;
/** Bytes of context either side of a range that cause recognition looks at. */
const CONTEXT = 160;
/** Bytes of a range that cause recognition reads (the start of a long range). */
const MAX_LOOK = 4096;

export interface Remaining {
  offset: number;
  length: number;
  /** Bytes inside the range that differ (the rest are equal bytes between them). */
  differingBytes: number;
  /** Where in a's structure; `locationB` only when b's structure says something else. */
  location: string;
  locationB?: string;
  /** The function or data object the range starts in (demangled when a demangler is installed), and the offset in it. */
  symbol?: { name: string; offset: number };
  /** The likely causes, most specific first; kinds joined with " + " in `cause`. */
  cause: string;
  causes: Cause[];
  /** The bytes of the range on each side, after normalization (text or hex, bounded). */
  a: string;
  b: string;
}

export interface PairResult {
  /** The path relative to both directories (directory form only). */
  path?: string;
  pathHex?: string;
  a: string;
  aHex?: string;
  b: string;
  bHex?: string;
  format?: string;
  /** Only when b is of another format than a. */
  formatB?: string;
  sizeA: number;
  sizeB: number;
  identicalBefore: boolean;
  identicalAfter: boolean;
  fixedFields: FixedField[];
  remaining: Remaining[];
  remainingRanges: number;
  remainingBytes: number;
  /** A side unstamp did not plan (unknown format, a PDB without its PE, a signed image): compared as it is. */
  skipped?: { a?: string; b?: string };
  error?: { side: 'a' | 'b'; message: string; offset?: number };
  /** The differing bytes are the same content in another order: what moved, and the sentence that says so. */
  reordered?: { what: Reordering['what']; moved: string[]; text: string };
  /** The archive's members lie at other offsets in a and b: compared by name, contents with contents. */
  byMember?: ByMember;
}

export interface DiffReport {
  a: string;
  b: string;
  directories: boolean;
  pairs: PairResult[];
  onlyInA: string[];
  onlyInB: string[];
  /** Paths that could not be walked or read (a directory that cannot be read). */
  errors: { path: string; message: string }[];
  summary: {
    pairs: number;
    identicalBefore: number;
    identicalAfter: number;
    differ: number;
    onlyInA: number;
    onlyInB: number;
    failed: number;
    seconds: number;
  };
}

export interface DiffOptions extends EngineOptions {
  jobs?: number;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Formats whose regions name locations (all of them, whatever --formats selects). */
  locateWith: readonly Format[];
  /** Called as each pair is done, in path order. */
  onPair?: (p: PairResult) => void;
}

interface Side {
  results: FileResult[];
  plans: Map<string, Plan>;
}

const resultPath = (r: FileResult): FilePath => (r.pathHex !== undefined ? fromBytes(Buffer.from(r.pathHex, 'hex')) : r.path);

/** Plan every file under `top` (or `top` itself) as `unstamp explain` would, keeping the plans. */
async function planSide(top: FilePath, opts: DiffOptions): Promise<Side> {
  const plans = new Map<string, Plan>();
  const { files: results } = await run([top], {
    ...opts,
    mode: 'explain',
    onPlan: (path, plan) => plans.set(pathKey(path), plan),
  });
  return { results, plans };
}

async function isDirectory(p: FilePath): Promise<boolean | undefined> {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return undefined;
  }
}

async function withSources<T>(a: FilePath, b: FilePath, fn: (sa: ByteSource, sb: ByteSource) => Promise<T>): Promise<T> {
  const fa = await open(a, 'r');
  try {
    const fb = await open(b, 'r');
    try {
      return await fn(new FileSource(fa, (await fa.stat()).size), new FileSource(fb, (await fb.stat()).size));
    } finally {
      await fb.close();
    }
  } finally {
    await fa.close();
  }
}

/** Patches that overlap [start, end). */
function overlapping(patches: readonly Patch[], start: number, end: number): Patch[] {
  return patches.filter((p) => p.offset < end && p.offset + p.bytes.length > start);
}

/** Both sides of a deflate region inflated, or why not. */
type InflatedPair = { a: Inflated; b: Inflated } | { why: string };

async function inflatePair(sa: ByteSource, sb: ByteSource, ra: Placed, rb: Placed): Promise<InflatedPair> {
  if (ra.end - ra.start > MAX_DEFLATED || rb.end - rb.start > MAX_DEFLATED) return { why: `inside compressed data (${ra.label}) too large to inflate here` };
  const a = inflate(await readRegion(sa, ra.start, ra.end), ra);
  const b = inflate(await readRegion(sb, rb.start, rb.end), rb);
  return a && b ? { a, b } : { why: `inside compressed data (${ra.label}) that does not inflate` };
}

/** Why the inflated bytes of two deflate streams differ: where first, and what is there. */
async function inflatedCauses(ia: Buffer, ib: Buffer, label: string, formats: readonly Format[], recompress: 'auto' | 'never'): Promise<Cause[]> {
  if (ia.equals(ib)) {
    return [{ kind: 'unknown', text: `${label}: the inflated bytes are the same; only the compression differs (another compressor, level or version)` }];
  }
  let first: DiffRange | undefined;
  let places = 0;
  const common = Math.min(ia.length, ib.length);
  for (let i = 0, last = -GAP; i < common; i++) {
    if (ia[i] === ib[i]) continue;
    if (i - last >= GAP) places++;
    if (!first) first = { start: i, end: i + 1, bytes: 1 };
    else if (places === 1) first.end = i + 1;
    last = i + 1;
  }
  if (!first) return [{ kind: 'unknown', text: `${label}: the inflated data differs in length only (${ia.length} vs ${ib.length} bytes)` }];
  const sizes = ia.length !== ib.length ? `, inflated sizes ${ia.length} vs ${ib.length}` : '';
  const where = `inflated data of ${label} differs at +${hex(first.start)}${places > 1 ? ` (first of ${places} places)` : ''}${sizes}`;
  const nested = await detectFormat(formats, RangeReader.of(new BufferSource(ia)));
  if (nested) {
    const why =
      recompress === 'never'
        ? 'and --recompress never leaves files inside compressed data alone (drop it to have them recompressed)'
        : 'normalized already (--recompress auto): what still differs is in its content, or it is a payload unstamp cannot rewrite (a multi-member gzip, an encrypted member)';
    return [{ kind: 'compressed archive', text: `${where}: it is a ${nested.name} file, ${why}` }];
  }
  const from = Math.max(0, first.start - CONTEXT);
  const w = { a: ia.subarray(from, first.end + CONTEXT), b: ib.subarray(from, first.end + CONTEXT), offset: from, from: first.start - from, to: first.end - from };
  const text = textCauses(w);
  const causes = text.length > 0 ? text : binaryCauses(w);
  if (causes.length === 0) {
    const shown = showBytes(ia.subarray(first.start, first.end), ib.subarray(first.start, first.end));
    return [{ kind: 'unknown', text: `${where}: ${shown.a} vs ${shown.b}` }];
  }
  return causes.map((c) => ({ kind: c.kind, text: `${where}: ${c.text}` }));
}

/**
 * A side as unstamp would leave it: the file with its patches, or, when its format's
 * rewrite would change it (a recompressed payload, --zip-order name), the rewritten bytes
 * (in scratch space, freed by `close`) with no patches left to lay over.
 */
async function finalSide(source: ByteSource, patches: Patch[], result: FileResult, opts: DiffOptions): Promise<{ source: ByteSource; patches: Patch[]; close: () => Promise<void> }> {
  const how = opts.formats.find((f) => f.name === result.format)?.rewrite;
  const none = { source, patches, close: async () => undefined };
  if (!how || result.status === 'skipped') return none;
  const tools = rewriteTools(opts.formats, opts, opts.recompress, { notes: [], kept: [] });
  const planned = new PatchedSource(source, patches.filter((p) => !p.bytes.equals(p.oldBytes)));
  if ((await how.needed(RangeReader.of(planned), tools)).length === 0) return none;
  const out = new Scratch();
  try {
    await how.write(RangeReader.of(planned), (chunk) => out.write(chunk), tools);
  } catch (e) {
    await out.close();
    throw e;
  }
  return { source: out, patches: [], close: () => out.close() };
}

interface PairInput {
  /** The path relative to both directories (directory form only). */
  rel?: FilePath;
  pathA: FilePath;
  pathB: FilePath;
  resultA: FileResult;
  resultB: FileResult;
  planA?: Plan;
  planB?: Plan;
}

async function comparePair(input: PairInput, opts: DiffOptions, demangler: Demangler): Promise<PairResult> {
  const { resultA: ra, resultB: rb, planA, planB } = input;
  const ap = reportPath(input.pathA);
  const bp = reportPath(input.pathB);
  const rel = input.rel !== undefined ? reportPath(input.rel) : undefined;
  const out: PairResult = {
    ...(rel ? { path: rel.path, ...(rel.pathHex !== undefined ? { pathHex: rel.pathHex } : {}) } : {}),
    a: ap.path,
    ...(ap.pathHex !== undefined ? { aHex: ap.pathHex } : {}),
    b: bp.path,
    ...(bp.pathHex !== undefined ? { bHex: bp.pathHex } : {}),
    format: ra.format,
    ...(rb.format !== ra.format ? { formatB: rb.format } : {}),
    sizeA: ra.size,
    sizeB: rb.size,
    identicalBefore: false,
    identicalAfter: false,
    fixedFields: [],
    remaining: [],
    remainingRanges: 0,
    remainingBytes: 0,
  };
  for (const [side, r] of [['a', ra], ['b', rb]] as const) {
    if (r.status === 'failed' && !out.error) out.error = { side, message: r.error?.message ?? 'failed', ...(r.error?.offset !== undefined ? { offset: r.error.offset } : {}) };
  }
  if (out.error) return out;
  if (ra.status === 'skipped' || rb.status === 'skipped') {
    out.skipped = { ...(ra.status === 'skipped' ? { a: ra.reason } : {}), ...(rb.status === 'skipped' ? { b: rb.reason } : {}) };
  }
  out.fixedFields = fixedFields(planA, planB);
  try {
    await withSources(input.pathA, input.pathB, async (originalA, originalB) => {
      out.sizeA = originalA.size;
      out.sizeB = originalB.size;
      out.identicalBefore = await sameBytes(originalA, originalB);
      // Compared as unstamp leaves them: rewritten (payloads recompressed) where it would rewrite.
      const fa = await finalSide(originalA, sortedPatches(planA), ra, opts);
      const fb = await finalSide(originalB, sortedPatches(planB), rb, opts).catch(async (e) => {
        await fa.close();
        throw e;
      });
      try {
        await compareFinal(fa.source, fb.source, fa.patches, fb.patches);
      } finally {
        await fa.close();
        await fb.close();
      }
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    out.error = { side: 'a', message: err.code ? `${err.syscall ?? 'read'} failed: ${err.code}` : String(err.message ?? e) };
  }
  return out;

  async function compareFinal(sa: ByteSource, sb: ByteSource, pa: Patch[], pb: Patch[]): Promise<void> {
    const cmp = await comparePatched({ source: sa, patches: pa }, { source: sb, patches: pb }, { gap: GAP, keep: MAX_RANGES });
    out.identicalAfter = sa.size === sb.size && cmp.totalRanges === 0;
    out.remainingRanges = cmp.totalRanges;
    out.remainingBytes = cmp.totalBytes;
    if (out.identicalAfter) return;
    // A PE's PDB beside it (same GUID) names the functions the image's own tables do not.
    const ca = await findCompanion(input.pathA, sa, opts.locateWith);
    const cb = await findCompanion(input.pathB, sb, opts.locateWith);
    try {
      await locateFinal(sa, sb, pa, pb, cmp, new Locator(sa, opts.locateWith, ca?.reader), new Locator(sb, opts.locateWith, cb?.reader));
    } finally {
      await ca?.close();
      await cb?.close();
    }
  }

  async function locateFinal(sa: ByteSource, sb: ByteSource, pa: Patch[], pb: Patch[], cmp: Awaited<ReturnType<typeof comparePatched>>, la: Locator, lb: Locator): Promise<void> {
    const contents = async (side: 'a' | 'b', r: Placed) => memberContents(side === 'a' ? sa : sb, side === 'a' ? pa : pb, r);
    const entriesA = await la.entries();
    const entriesB = await lb.entries();
    if (entriesA.length > 0 && entriesB.length > 0 && layoutMoved(entriesA, entriesB)) {
      // An offset-aligned comparison only holds for files whose structure does not move.
      const m = await compareMembers({ source: sa, patches: pa, locator: la, entries: entriesA }, { source: sb, patches: pb, locator: lb, entries: entriesB }, { gap: GAP, keep: MAX_RANGES, context: CONTEXT });
      out.byMember = m.byMember;
      out.remainingRanges = m.totalRanges;
      out.remainingBytes = m.totalBytes;
      const reorder = await memberReordering(entriesA, entriesB, contents, ra.format);
      if (reorder) out.reordered = { what: reorder.what, moved: reorder.moved, text: reorderText(reorder) };
      demangler.add(m.ranges.flatMap((r) => [r.where.symbol?.name, r.whereB.symbol?.name].filter((n): n is string => n !== undefined)));
      const name = (raw: string) => demangler.name(raw);
      out.remaining = m.ranges.map((r) => {
        const location = locationLabel(r.where, name);
        const locationB = locationLabel(r.whereB, name);
        return {
          offset: r.offset,
          length: r.length,
          differingBytes: r.differingBytes,
          location,
          ...(locationB !== location ? { locationB } : {}),
          ...(r.where.symbol ? { symbol: { name: name(r.where.symbol.name), offset: r.where.symbol.offset } } : {}),
          cause: [...new Set(r.causes.map((c) => c.kind))].join(' + '),
          causes: r.causes,
          a: r.a,
          b: r.b,
        };
      });
      return;
    }
    if (cmp.ranges.length === 0) return;
    const derivedA = new Set(planA?.derived.map((d) => d.offset));
    const derivedB = new Set(planB?.derived.map((d) => d.offset));
    const deflateSeen: RangeContext['deflateSeen'] = new Map();
    // Each range with where it lies on both sides, and the caller of moved code it lies in (named once demangled).
    const located: [Remaining, Location, Location, string | undefined][] = [];
    const reorder =
      (await memberReordering(entriesA, entriesB, contents, ra.format)) ??
      (await findReordering(
        { source: sa, patches: pa, symbols: await la.symbols() },
        { source: sb, patches: pb, symbols: await lb.symbols() },
        cmp.ranges[0].start,
        (cmp.last ?? cmp.ranges[cmp.ranges.length - 1]).end,
      ));
    for (const range of cmp.ranges) {
      const where = await la.locate(range.start, range.end);
      const whereB = await lb.locate(range.start, range.end);
      // A range can be megabytes (files of different layouts): only its start is looked at.
      const end = Math.min(range.end, range.start + MAX_LOOK);
      const wa = await readPatched(sa, pa, range.start - CONTEXT, end + CONTEXT);
      const wb = await readPatched(sb, pb, range.start - CONTEXT, end + CONTEXT);
      const offset = Math.max(0, range.start - CONTEXT);
      const w = { a: wa, b: wb, offset, from: range.start - offset, to: end - offset };
      let causes = await explainRange(range, w, { sa, sb, pa, pb, derivedA, derivedB, chainA: where.chain, chainB: whereB.chain, endA: where.chainEnd, endB: whereB.chainEnd, deflateSeen, formats: opts.locateWith, recompress: opts.recompress });
      let adjusted: string | undefined;
      if (reorder) ({ causes, adjusted } = reorderCauses(reorder, where, whereB, causes));
      const entry: Remaining = {
        offset: range.start,
        length: range.end - range.start,
        differingBytes: range.bytes,
        location: where.label,
        cause: causes.length > 0 ? [...new Set(causes.map((c) => c.kind))].join(' + ') : 'unknown',
        causes: causes.length > 0 ? causes : [{ kind: 'unknown', text: 'no known pattern in these bytes' }],
        ...showBytes(wa.subarray(w.from, w.to), wb.subarray(w.from, w.to)),
      };
      out.remaining.push(entry);
      located.push([entry, where, whereB, adjusted]);
    }
    // Symbol names demangled in one run of the demangler for the pair, then the labels made.
    demangler.add([...located.flatMap(([, x, y]) => [x.symbol?.name, y.symbol?.name].filter((n): n is string => n !== undefined)), ...(reorder?.moved ?? []), ...(reorder?.adjusted ?? [])]);
    const name = (raw: string) => demangler.name(raw);
    if (reorder) {
      const text = reorderText(reorder, name);
      out.reordered = { what: reorder.what, moved: reorder.moved.map(name), text };
      for (const [entry, , , adjusted] of located) {
        if (entry.cause === 'reordered') entry.causes = [{ kind: 'reordered', text }];
        else if (adjusted !== undefined) {
          entry.causes = [{ kind: 'derived', text: `derived from the reordering: ${name(adjusted)} is the same code in a and b but for the addresses of the moved code it calls or refers to` }];
        }
      }
    }
    for (const [entry, where, whereB] of located) {
      entry.location = locationLabel(where, name);
      const labelB = locationLabel(whereB, name);
      if (labelB !== entry.location) entry.locationB = labelB;
      if (where.symbol) entry.symbol = { name: name(where.symbol.name), offset: where.symbol.offset };
    }
    // Key order as documented: location, locationB, symbol, then the causes.
    out.remaining = out.remaining.map((e) => {
      const { offset, length, differingBytes, location, locationB, symbol, ...rest } = e;
      return { offset, length, differingBytes, location, ...(locationB !== undefined ? { locationB } : {}), ...(symbol ? { symbol } : {}), ...rest };
    });
  }
}

/** Whether two sources hold the same bytes. */
async function sameBytes(a: ByteSource, b: ByteSource): Promise<boolean> {
  if (a.size !== b.size) return false;
  for (let pos = 0; pos < a.size; pos += MAX_READ) {
    const n = Math.min(MAX_READ, a.size - pos);
    if (!(await a.readAt(pos, n)).equals(await b.readAt(pos, n))) return false;
  }
  return true;
}

/** Both sides' symbols: a reordering of functions, else of content blocks over [start, end). */
async function findReordering(a: Parameters<typeof symbolReordering>[0], b: Parameters<typeof symbolReordering>[1], start: number, end: number): Promise<Reordering | undefined> {
  if (a.symbols.length > 0 && b.symbols.length > 0) {
    const bySymbol = await symbolReordering(a, b);
    if (bySymbol) return bySymbol;
  }
  return a.source.size === b.source.size ? blockReordering(a, b, start, end) : undefined;
}

/**
 * The causes of a range once a reordering is known: in a function that moved, the
 * reordering (its sentence is filled in once names are demangled); in one that did not
 * move but differs in addresses, derived from it; elsewhere, a range nothing else
 * explains most likely holds addresses or offsets of the moved code.
 */
function reorderCauses(r: Reordering, where: Location, whereB: Location, causes: Cause[]): { causes: Cause[]; adjusted?: string } {
  const reordered: Cause[] = [{ kind: 'reordered', text: 'the same content in another order' }];
  const a = where.symbol?.name;
  const b = whereB.symbol?.name;
  const moved = new Set(r.moved);
  if (r.what === 'functions' && ((a && moved.has(a)) || (b && moved.has(b)))) return { causes: reordered };
  if (r.what === 'members') {
    const ea = where.chain.find((x) => x.entry !== undefined)?.entry ?? memberOf(where);
    const eb = whereB.chain.find((x) => x.entry !== undefined)?.entry ?? memberOf(whereB);
    if ((ea && moved.has(ea)) || (eb && moved.has(eb))) return { causes: reordered };
  }
  const adjusted = [a, b].find((n) => n !== undefined && r.adjusted.has(n));
  if (adjusted) return { causes: [{ kind: 'derived', text: 'derived from the reordering' }], adjusted };
  // A guess from the shape of a few bytes (a time, a GUID) does not stand against a reordering.
  if (causes.some((c) => c.kind !== 'unknown' && c.kind !== 'timestamp' && c.kind !== 'GUID')) return { causes };
  if (r.what === 'content blocks') return { causes: reordered };
  const what = r.what === 'members' ? 'offsets or names of the moved members' : 'addresses, offsets or sizes of the moved code';
  return { causes: [{ kind: 'derived', text: `derived from the reordering (most likely): this part of the file records ${what}` }] };
}

/** The member a header region belongs to ("member x.o (header)"): headers carry no entry of their own. */
function memberOf(l: Location): string | undefined {
  const m = /^member (.+) \((?:header|local header|central directory entry|data descriptor|BSD name|padding)\)$/.exec(l.chain.find((x) => x.label.startsWith('member '))?.label ?? '');
  return m?.[1];
}

interface RangeContext {
  sa: ByteSource;
  sb: ByteSource;
  pa: Patch[];
  pb: Patch[];
  derivedA: Set<number>;
  derivedB: Set<number>;
  chainA: Placed[];
  chainB: Placed[];
  /** The regions holding the range's last byte. */
  endA: Placed[];
  endB: Placed[];
  deflateSeen: Map<string, { pair?: { a: Inflated; b: Inflated }; causes: Cause[] }>;
  formats: readonly Format[];
  recompress: 'auto' | 'never';
}

/**
 * Why a range differs, in order of certainty: a field unstamp rewrites but to different
 * values (a content hash of content that still differs); a recognizable string; a region
 * computed from other bytes (a CRC); the inflated content of compressed data; a binary
 * shape (a Unix time, a GUID).
 */
async function explainRange(range: DiffRange, w: Parameters<typeof textCauses>[0], c: RangeContext): Promise<Cause[]> {
  const fieldsA = overlapping(c.pa, range.start, range.end);
  const fieldsB = overlapping(c.pb, range.start, range.end);
  // Planned fields explain a range only when they hold all of it; a larger range (files of
  // different layouts) is about the bytes around them.
  const covered = (fields: Patch[]) => {
    let at = range.start;
    for (const p of [...fields].sort((x, y) => x.offset - y.offset)) if (p.offset <= at) at = Math.max(at, p.offset + p.bytes.length);
    return at >= range.end;
  };
  if ((fieldsA.length > 0 || fieldsB.length > 0) && (covered(fieldsA) || covered(fieldsB))) {
    const names = [...new Set([...fieldsA, ...fieldsB].map((p) => p.field))];
    return names.map((name) => {
      const pa = fieldsA.find((p) => p.field === name);
      const pb = fieldsB.find((p) => p.field === name);
      const derived = (pa && c.derivedA.has(pa.offset)) || (pb && c.derivedB.has(pb.offset));
      const values = `a -> ${pa?.new ?? '(not rewritten)'}, b -> ${pb?.new ?? '(not rewritten)'}`;
      const kept = [pa, pb].every((p) => !p || p.bytes.equals(p.oldBytes));
      if (kept) return { kind: 'field' as CauseKind, text: `${name}: a field unstamp knows but keeps as it is in these files (the notes of \`unstamp explain\` on each say why; a: ${pa?.old ?? '-'}, b: ${pb?.old ?? '-'})` };
      return derived
        ? { kind: 'derived' as CauseKind, text: `${name}: computed by unstamp from the file's content, which still differs elsewhere (${values})` }
        : { kind: 'field' as CauseKind, text: `${name}: rewritten by unstamp, but to different values (${values})` };
    });
  }
  const text = textCauses(w);
  // A span the format names as a field of a known kind (a PNG tIME chunk, a uImage
  // ih_time) is that, whatever its bytes look like: the name wins over guessing.
  const innerA = c.chainA[c.chainA.length - 1];
  const known = knownField(c.chainA) ?? knownField(c.endA) ?? knownField(c.chainB) ?? knownField(c.endB);
  if (known) {
    const shown = showBytes(w.a.subarray(w.from, w.to), w.b.subarray(w.from, w.to));
    const out: Cause[] = [{ kind: known.kind!, text: `${known.label}: a ${known.kind} field of the format, ${shown.a} vs ${shown.b}` }];
    // The range may also hold a checksum over that field (a PNG chunk's CRC, a uImage ih_hcrc).
    for (const r of [innerA, c.endA[c.endA.length - 1]]) {
      if (r && r !== known && r.derivedFrom && !out.some((x) => x.text.startsWith(`${r.label}:`))) out.push({ kind: 'derived', text: `${r.label}: ${r.derivedFrom}, which differs` });
    }
    return [...out, ...text];
  }
  if (text.length > 0) return text;
  if (innerA?.derivedFrom) return [{ kind: 'derived', text: `${innerA.label}: ${innerA.derivedFrom}, which differs` }];
  const deflateA = [...c.chainA].reverse().find(compressed);
  const deflateB = [...c.chainB].reverse().find(compressed);
  if (deflateA && deflateB) {
    const key = `${deflateA.start}:${deflateB.start}`;
    let seen = c.deflateSeen.get(key);
    if (!seen) {
      const pair = await inflatePair(c.sa, c.sb, deflateA, deflateB);
      seen = 'why' in pair ? { causes: [{ kind: 'unknown', text: pair.why }] } : { pair, causes: await inflatedCauses(pair.a.data, pair.b.data, deflateA.label, c.formats, c.recompress) };
      c.deflateSeen.set(key, seen);
    }
    // Past the end of the stream: data of another kind (a second gzip member, say).
    const end = seen.pair ? deflateA.start + Math.min(seen.pair.a.consumed, seen.pair.b.consumed) : Infinity;
    if (range.start >= end) {
      const what = `after the ${deflateA.zlib ? 'zlib' : 'deflate'} stream of ${deflateA.label} ends (at +${hex(end - deflateA.start)}): data that is not part of it (in a gzip file, a further member, whose header unstamp leaves alone)`;
      const after = binaryCauses(w);
      return after.length > 0 ? after.map((x) => ({ kind: x.kind, text: `${what}; ${x.text}` })) : [{ kind: 'unknown', text: what }];
    }
    return seen.causes;
  }
  const member = [...c.chainA].reverse().find((r) => r.member);
  return binaryCauses({ ...w, alignBase: member?.start ?? 0 });
}

/** The innermost region holding the range, if the format says what kind of field it is. */
function knownField(chain: Placed[]): Placed | undefined {
  const inner = chain[chain.length - 1];
  return inner?.kind ? inner : undefined;
}

/** The path of `file` below `top`, as bytes, or undefined if it is not below it. */
function below(top: FilePath, file: FilePath): Buffer | undefined {
  const marker = toBytes(joinPath(top, 'x'));
  const prefix = marker.subarray(0, marker.length - 1);
  const bytes = toBytes(file);
  return bytes.length > prefix.length && bytes.subarray(0, prefix.length).equals(prefix) ? bytes.subarray(prefix.length) : undefined;
}

/** Explain why `a` and `b` (two files, or two directories paired by relative path) differ. */
export async function explainDiff(a: FilePath, b: FilePath, opts: DiffOptions): Promise<DiffReport> {
  const started = process.hrtime.bigint();
  const [dirA, dirB] = await Promise.all([isDirectory(a), isDirectory(b)]);
  if (dirA !== undefined && dirB !== undefined && dirA !== dirB) {
    throw new UsageError(`explain: ${String(dirA ? a : b)} is a directory and ${String(dirA ? b : a)} is not; give two files or two directories`);
  }
  const directories = dirA === true || dirB === true;
  const report: DiffReport = {
    a: reportPath(a).path,
    b: reportPath(b).path,
    directories,
    pairs: [],
    onlyInA: [],
    onlyInB: [],
    errors: [],
    summary: { pairs: 0, identicalBefore: 0, identicalAfter: 0, differ: 0, onlyInA: 0, onlyInB: 0, failed: 0, seconds: 0 },
  };
  const demangler = new Demangler();
  const sideA = await planSide(a, opts);
  const sideB = await planSide(b, opts);

  type Entry = { path: FilePath; result: FileResult; plan?: Plan };
  const index = (top: FilePath, side: Side): Map<string, Entry & { rel: Buffer }> => {
    const m = new Map<string, Entry & { rel: Buffer }>();
    for (const r of side.results) {
      const path = resultPath(r);
      const rel = directories ? below(top, path) : Buffer.alloc(0);
      // A directory that could not be read is an error of the walk, not a file of the pair.
      const walkError = r.status === 'failed' && r.format === undefined && /cannot read this directory/.test(r.error?.message ?? '');
      if (rel === undefined || (directories && walkError)) {
        report.errors.push({ path: r.path, message: r.error?.message ?? 'not below the directory' });
        continue;
      }
      m.set(rel.toString('latin1'), { path, result: r, plan: side.plans.get(pathKey(path)), rel });
    }
    return m;
  };
  const ia = index(a, sideA);
  const ib = index(b, sideB);
  const keys = [...new Set([...ia.keys(), ...ib.keys()])].sort((x, y) => Buffer.compare(Buffer.from(x, 'latin1'), Buffer.from(y, 'latin1')));
  for (const key of keys) {
    const ea = ia.get(key);
    const eb = ib.get(key);
    const rel = fromBytes(Buffer.from(key, 'latin1'));
    const shown = reportPath(rel);
    if (!ea || !eb) {
      (ea ? report.onlyInA : report.onlyInB).push(shown.path);
      continue;
    }
    const pair = await comparePair(
      { rel: directories ? rel : undefined, pathA: ea.path, pathB: eb.path, resultA: ea.result, resultB: eb.result, planA: ea.plan, planB: eb.plan },
      opts,
      demangler,
    );
    report.pairs.push(pair);
    opts.onPair?.(pair);
  }
  const s = report.summary;
  s.pairs = report.pairs.length;
  s.identicalBefore = report.pairs.filter((p) => !p.error && p.identicalBefore).length;
  s.identicalAfter = report.pairs.filter((p) => !p.error && p.identicalAfter).length;
  s.failed = report.pairs.filter((p) => p.error).length + report.errors.length;
  s.differ = report.pairs.filter((p) => !p.error && !p.identicalAfter).length;
  s.onlyInA = report.onlyInA.length;
  s.onlyInB = report.onlyInB.length;
  s.seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return report;
}

/** 0: identical after normalization, nothing one-sided; 1: something still differs; 3: a file failed. */
export function diffExitCode(r: DiffReport): number {
  if (r.summary.failed > 0) return 3;
  return r.summary.differ > 0 || r.summary.onlyInA > 0 || r.summary.onlyInB > 0 ? 1 : 0;
}
