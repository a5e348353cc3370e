// Recognizing the build that differs by order: the same functions, data objects or
// content in another order. Nothing post-build fixes that, but it has one cause worth
// naming: something iterated an unordered collection (a hash map or set, a directory
// listing) while generating or linking the program.
//
// With symbols, functions are paired by name and their bytes compared "modulo relocated
// addresses": the same length, and the bytes that differ only in short clusters (a call's
// rel32, an arm64 branch or adrp immediate, a pointer) that make up a minority of the
// function. The functions that sit at other places in b are the ones that moved (their
// relative order changed: not a longest increasing run of b's positions); functions that
// did not move but differ are the callers whose targets moved. Without symbols, the span
// of differences is cut into blocks looked for elsewhere in b.
import type { Patch } from '../core/plan.js';
import type { ByteSource } from '../core/reader.js';
import { readPatched } from './compare.js';
import type { Placed, PlacedSymbol } from './locate.js';

/** A function larger than this is not compared (explain stays bounded). */
const MAX_SYMBOL = 1 << 20;
/** Total bytes of symbols read per side. */
const MAX_TOTAL = 64 << 20;
/** Differing bytes closer than this form one cluster; a cluster up to CLUSTER bytes is an address. */
const NEAR = 4;
const CLUSTER = 8;
/** Content blocks: size, the span looked at, and how many must be found elsewhere. */
const BLOCK = 8;
const MAX_SPAN = 4 << 20;
const MIN_BLOCKS = 8;

export const ORDER_CAUSE = 'something iterated an unordered collection (a hash map or set, a directory listing) while generating or linking this';

export interface Reordering {
  what: 'functions' | 'members' | 'content blocks';
  /** Raw names of the functions and data objects that sit at other places, in a's order. */
  moved: string[];
  /** The same names in b's order. */
  orderB: string[];
  /** Whether functions, data objects or both moved. */
  kinds: Set<PlacedSymbol['kind']>;
  /** Names of symbols that did not move but differ only in addresses (callers of moved code). */
  adjusted: Set<string>;
  /** Content blocks: the span of a the reordering covers, and the count of blocks found elsewhere. */
  span?: { start: number; end: number; blocks: number; found: number };
  /** Pairs of symbol starts (a -> b) of the moved ones, to say where a function went. */
  whereB: Map<string, number>;
  /** Members: the moved ones whose contents differ too (by name). */
  changed?: string[];
  /** The container's format, for the advice that goes with it (zip: --zip-order name). */
  format?: string;
}

/**
 * Two archives with the same members (by name) in another order. `contents` gives a
 * member's bytes as unstamp would leave them (inflated when compressed), or undefined if
 * they cannot be read; members whose contents differ are named apart.
 */
export async function memberReordering(
  a: readonly Placed[],
  b: readonly Placed[],
  contents: (side: 'a' | 'b', r: Placed) => Promise<Buffer | undefined>,
  format: string | undefined,
): Promise<Reordering | undefined> {
  const namesA = a.map((r) => r.entry!);
  const namesB = b.map((r) => r.entry!);
  if (namesA.length < 2 || namesA.length !== namesB.length || new Set(namesA).size !== namesA.length) return undefined;
  const inB = new Map(namesB.map((n, i) => [n, i]));
  if (namesA.some((n) => !inB.has(n)) || namesA.every((n, i) => namesB[i] === n)) return undefined;
  const moved = namesA.filter((n, i) => inB.get(n) !== i);
  const changed: string[] = [];
  for (const name of moved) {
    const ca = await contents('a', a[namesA.indexOf(name)]);
    const cb = await contents('b', b[inB.get(name)!]);
    if (!ca || !cb || !ca.equals(cb)) changed.push(name);
  }
  return {
    what: 'members',
    moved,
    orderB: namesB.filter((n) => moved.includes(n)),
    kinds: new Set(),
    adjusted: new Set(),
    whereB: new Map(),
    changed,
    ...(format !== undefined ? { format } : {}),
  };
}

interface Side {
  source: ByteSource;
  patches: readonly Patch[];
  symbols: readonly PlacedSymbol[];
}

/** Whether two byte strings are the same code up to relocated addresses (see the header). */
export function sameModuloAddresses(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  let differ = 0;
  let clusterStart = -1;
  let last = -NEAR - 1;
  for (let i = 0; i < a.length; i++) {
    if (a[i] === b[i]) continue;
    differ++;
    if (i - last > NEAR) clusterStart = i;
    else if (i - clusterStart >= CLUSTER) return false;
    last = i;
  }
  return differ * 2 <= a.length;
}

/** Indexes of a longest strictly increasing subsequence of `xs`. */
function increasingRun(xs: readonly number[]): Set<number> {
  const tails: number[] = [];
  const prev = new Array<number>(xs.length).fill(-1);
  for (let i = 0; i < xs.length; i++) {
    let lo = 0;
    let hi = tails.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[tails[mid]] < xs[i]) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0) prev[i] = tails[lo - 1];
    tails[lo] = i;
  }
  const out = new Set<number>();
  for (let k = tails.length > 0 ? tails[tails.length - 1] : -1; k >= 0; k = prev[k]) out.add(k);
  return out;
}

/** Symbols of one side by name; names that occur twice (local statics) are left out. */
function byName(symbols: readonly PlacedSymbol[]): Map<string, PlacedSymbol> {
  const m = new Map<string, PlacedSymbol>();
  const twice = new Set<string>();
  for (const s of symbols) {
    if (s.end - s.start > MAX_SYMBOL) continue;
    if (m.has(s.name)) twice.add(s.name);
    m.set(s.name, s);
  }
  for (const n of twice) m.delete(n);
  return m;
}

/** Functions and data objects of a that are the same in b at another place, in another order. */
export async function symbolReordering(a: Side, b: Side): Promise<Reordering | undefined> {
  const ma = byName(a.symbols);
  const mb = byName(b.symbols);
  const same: { name: string; sa: PlacedSymbol; sb: PlacedSymbol; exact: boolean }[] = [];
  let total = 0;
  for (const [name, sa] of ma) {
    const sb = mb.get(name);
    if (!sb || sa.end - sa.start !== sb.end - sb.start) continue;
    total += sa.end - sa.start;
    if (total > MAX_TOTAL) break;
    const ba = await readPatched(a.source, a.patches, sa.start, sa.end);
    const bb = await readPatched(b.source, b.patches, sb.start, sb.end);
    if (!sameModuloAddresses(ba, bb)) continue;
    // Exact: the bytes at a's place are the same in b too (nothing to say about it).
    const here = sa.start === sb.start ? bb : await readPatched(b.source, b.patches, sa.start, sa.end);
    same.push({ name, sa, sb, exact: ba.equals(here) });
  }
  same.sort((x, y) => x.sa.start - y.sa.start);
  const kept = increasingRun(same.map((s) => s.sb.start));
  if (kept.size === same.length) return undefined;
  // What a person sees: every function that sits elsewhere in b, not only the minimal set.
  const moved = same.filter((s) => s.sa.start !== s.sb.start);
  const adjusted = new Set(same.filter((s) => s.sa.start === s.sb.start && !s.exact).map((s) => s.name));
  return {
    what: 'functions',
    moved: moved.map((s) => s.name),
    orderB: [...moved].sort((x, y) => x.sb.start - y.sb.start).map((s) => s.name),
    kinds: new Set(moved.map((s) => s.sa.kind)),
    adjusted,
    whereB: new Map(moved.map((s) => [s.name, s.sb.start])),
  };
}

/** A 32-bit hash of BLOCK bytes at `at` (FNV-1a: cheap, and exactness is checked after). */
function blockHash(buf: Buffer, at: number): number {
  let h = 0x811c9dc5;
  for (let i = at; i < at + BLOCK; i++) h = Math.imul(h ^ buf[i], 0x01000193) >>> 0;
  return h;
}

/**
 * Without symbols: the span [start, end) where the files differ, cut into blocks; a
 * block of a that differs from b at its place but is found at another place of b's span
 * is content that moved. Enough of them, and most of the differing blocks: a reordering.
 */
export async function blockReordering(a: Side, b: Side, start: number, end: number): Promise<Reordering | undefined> {
  if (end - start > MAX_SPAN || end - start < BLOCK * MIN_BLOCKS) return undefined;
  const ba = await readSpan(a, start, end);
  const bb = await readSpan(b, start, end);
  if (ba.length !== bb.length) return undefined;
  const index = new Map<number, number[]>();
  for (let i = 0; i + BLOCK <= bb.length; i++) {
    const h = blockHash(bb, i);
    const list = index.get(h);
    if (list) {
      if (list.length < 8) list.push(i);
    } else index.set(h, [i]);
  }
  let differ = 0;
  let found = 0;
  for (let i = 0; i + BLOCK <= ba.length; i += BLOCK) {
    const block = ba.subarray(i, i + BLOCK);
    if (block.equals(bb.subarray(i, i + BLOCK))) continue;
    differ++;
    // A block of one repeated byte (padding, zeros) is found everywhere and proves nothing.
    if (block.every((x) => x === block[0])) continue;
    const at = index.get(blockHash(ba, i))?.find((j) => j !== i && bb.subarray(j, j + BLOCK).equals(block));
    if (at !== undefined) found++;
  }
  if (found < MIN_BLOCKS || found * 2 < differ) return undefined;
  return { what: 'content blocks', moved: [], orderB: [], kinds: new Set(), adjusted: new Set(), span: { start, end, blocks: differ, found }, whereB: new Map() };
}

async function readSpan(side: Side, start: number, end: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  for (let at = start; at < end; at += 1 << 20) parts.push(await readPatched(side.source, side.patches, at, Math.min(end, at + (1 << 20))));
  return Buffer.concat(parts);
}

/** "a, b, c and 5 more": at most `max` names. */
export function nameList(names: readonly string[], max = 8): string {
  const shown = names.slice(0, max);
  const rest = names.length - shown.length;
  if (rest > 0) return `${shown.join(', ')} and ${rest} more`;
  return shown.length > 1 ? `${shown.slice(0, -1).join(', ')} and ${shown[shown.length - 1]}` : shown.join('');
}

/** The sentence for a pair's reordering, with names as `name` gives them (demangled). */
export function reorderText(r: Reordering, name: (raw: string) => string = (x) => x): string {
  if (r.what === 'content blocks') {
    const s = r.span!;
    return `the differing bytes are the same content in another order (${s.found} of the ${s.blocks} differing ${BLOCK}-byte blocks of a are found elsewhere in b; no symbols name them); ${ORDER_CAUSE}`;
  }
  if (r.what === 'members') {
    const same = r.changed && r.changed.length > 0 ? `; of them, ${nameList(r.changed)} also ${r.changed.length === 1 ? 'differs' : 'differ'} in content` : '';
    const advice = r.format === 'zip' ? '; `unstamp --zip-order name` rewrites zip archives with their members sorted by name' : r.format === 'ar' ? '; give the archiver its members in a sorted order' : '';
    return `the members ${nameList(r.moved, 12)} are the same files in another order (in b: ${nameList(r.orderB, 12)})${same}; ${ORDER_CAUSE}${advice}`;
  }
  const a = r.moved.map(name);
  const kinds = r.kinds.size > 1 ? 'functions and data objects' : r.kinds.has('object') ? 'data objects' : 'functions';
  return `the ${kinds} ${nameList(a, 12)} are the same code in another order (in b: ${nameList(r.orderB.map(name), 12)}); ${ORDER_CAUSE}`;
}
