// Comparing two files as unstamp would leave them: both streamed chunk by chunk with
// their plans' patches (derived fields included) laid over, never a whole file in
// memory; and matching the fields of the two plans.
import type { Patch, Plan } from '../core/plan.js';
import type { ByteSource } from '../core/reader.js';

// Same order of size as the engine's streaming passes.
const CHUNK = 1 << 20;
const BLOCK = 4096;

/** A run of differing bytes: [start, end), with `bytes` of them actually different. */
export interface DiffRange {
  start: number;
  end: number;
  bytes: number;
}

export interface Comparison {
  /** Raw bytes equal (before normalization), over the common length and the same size. */
  identicalBefore: boolean;
  /** The first `keep` ranges, in file order. */
  ranges: DiffRange[];
  /** Every range and every differing byte, kept or not. */
  totalRanges: number;
  totalBytes: number;
  /** The last range (kept or not): with the first, the span all differences lie in. */
  last?: DiffRange;
}

/** Index of the first patch that ends after `pos` (patches sorted by offset, none overlapping). */
function firstPatch(patches: readonly Patch[], pos: number): number {
  let lo = 0;
  let hi = patches.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (patches[mid].offset + patches[mid].bytes.length <= pos) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Lay the patches that touch [pos, pos+chunk.length) over `chunk`. */
export function overlay(chunk: Buffer, pos: number, patches: readonly Patch[]): void {
  for (let i = firstPatch(patches, pos); i < patches.length && patches[i].offset < pos + chunk.length; i++) {
    const p = patches[i];
    const from = Math.max(p.offset, pos);
    const to = Math.min(p.offset + p.bytes.length, pos + chunk.length);
    p.bytes.copy(chunk, from - pos, from - p.offset, to - p.offset);
  }
}

/** [start, end) of a source with its patches laid over (clipped to the source). */
export async function readPatched(source: ByteSource, patches: readonly Patch[], start: number, end: number): Promise<Buffer> {
  const s = Math.max(0, start);
  const e = Math.min(end, source.size);
  if (s >= e) return Buffer.alloc(0);
  const buf = await source.readAt(s, e - s);
  overlay(buf, s, patches);
  return buf;
}

export const sortedPatches = (plan: Plan | undefined): Patch[] => (plan ? [...plan.patches].sort((x, y) => x.offset - y.offset) : []);

/**
 * Stream both sources over their common length, patched, and collect the differing
 * bytes into ranges: bytes closer than `gap` join one range.
 */
export async function comparePatched(
  a: { source: ByteSource; patches: readonly Patch[] },
  b: { source: ByteSource; patches: readonly Patch[] },
  opts: { gap: number; keep: number },
): Promise<Comparison> {
  const common = Math.min(a.source.size, b.source.size);
  const out: Comparison = { identicalBefore: a.source.size === b.source.size, ranges: [], totalRanges: 0, totalBytes: 0 };
  let open: DiffRange | undefined;
  const close = () => {
    if (!open) return;
    out.totalRanges++;
    out.last = open;
    if (out.ranges.length < opts.keep) out.ranges.push(open);
    open = undefined;
  };
  const differ = (at: number) => {
    out.totalBytes++;
    if (open && at - open.end < opts.gap) {
      open.end = at + 1;
      open.bytes++;
      return;
    }
    close();
    open = { start: at, end: at + 1, bytes: 1 };
  };
  for (let pos = 0; pos < common; pos += CHUNK) {
    const len = Math.min(CHUNK, common - pos);
    const [ca, cb] = await Promise.all([a.source.readAt(pos, len), b.source.readAt(pos, len)]);
    if (out.identicalBefore && !ca.equals(cb)) out.identicalBefore = false;
    overlay(ca, pos, a.patches);
    overlay(cb, pos, b.patches);
    if (ca.equals(cb)) continue;
    for (let blk = 0; blk < len; blk += BLOCK) {
      const n = Math.min(BLOCK, len - blk);
      if (ca.subarray(blk, blk + n).equals(cb.subarray(blk, blk + n))) continue;
      for (let i = blk; i < blk + n; i++) if (ca[i] !== cb[i]) differ(pos + i);
    }
  }
  close();
  return out;
}

/** A field both plans rewrite, whose old values differ and whose new values agree. */
export interface FixedField {
  field: string;
  offsetA: number;
  offsetB: number;
  a: string;
  b: string;
  new: string;
}

/**
 * Pair the two plans' fields: same name at the same offset first, then the remaining
 * ones of a name in order of appearance (a member that moved, a section that grew).
 */
export function matchFields(a: Plan | undefined, b: Plan | undefined): { pairs: [Patch, Patch][]; onlyA: Patch[]; onlyB: Patch[] } {
  const pairs: [Patch, Patch][] = [];
  const onlyA: Patch[] = [];
  const onlyB: Patch[] = [];
  const byName = (plan: Plan | undefined) => {
    const m = new Map<string, Patch[]>();
    for (const p of plan?.patches ?? []) {
      const list = m.get(p.field) ?? [];
      list.push(p);
      m.set(p.field, list);
    }
    for (const list of m.values()) list.sort((x, y) => x.offset - y.offset);
    return m;
  };
  const ma = byName(a);
  const mb = byName(b);
  for (const [name, la] of ma) {
    const lb = mb.get(name) ?? [];
    const atB = new Map(lb.map((p) => [p.offset, p]));
    const usedB = new Set<Patch>();
    const restA: Patch[] = [];
    for (const p of la) {
      const q = atB.get(p.offset);
      if (q) {
        pairs.push([p, q]);
        usedB.add(q);
      } else restA.push(p);
    }
    const restB = lb.filter((q) => !usedB.has(q));
    restA.forEach((p, i) => (i < restB.length ? pairs.push([p, restB[i]]) : onlyA.push(p)));
    onlyB.push(...restB.slice(restA.length));
  }
  for (const [name, lb] of mb) if (!ma.has(name)) onlyB.push(...lb);
  pairs.sort((x, y) => x[0].offset - y[0].offset);
  return { pairs, onlyA, onlyB };
}

/** The matched fields that differ before and agree after: what unstamp fixes between a and b. */
export function fixedFields(a: Plan | undefined, b: Plan | undefined): FixedField[] {
  return matchFields(a, b)
    .pairs.filter(([p, q]) => !p.oldBytes.equals(q.oldBytes) && p.bytes.equals(q.bytes))
    .map(([p, q]) => ({ field: p.field, offsetA: p.offset, offsetB: q.offset, a: p.old, b: q.old, new: p.new }));
}
