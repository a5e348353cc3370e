// Archives compared member by member: when the members of a and b do not lie at the same
// offsets (a deflated member that got longer, members in another order), comparing the
// files byte for byte at the same offsets compares unrelated bytes after the first shift.
// Members are paired by name instead (zip and ar members, fat slices by CPU type), their
// contents (inflated when compressed) compared with each other, and each difference
// reported in its member, with the member's own structure when it is stored as it is.
import { hex } from '../core/errors.js';
import type { Patch } from '../core/plan.js';
import type { ByteSource } from '../core/reader.js';
import { binaryCauses, showBytes, textCauses, type Cause } from './causes.js';
import type { DiffRange } from './compare.js';
import { compressed, memberContents } from './inflate.js';
import type { Location, Locator, Placed } from './locate.js';

export interface MemberSide {
  source: ByteSource;
  patches: readonly Patch[];
  locator: Locator;
  entries: readonly Placed[];
}

/** What member-by-member comparison found, for the pair's report. */
export interface ByMember {
  /** Members in both, compared by their contents. */
  compared: number;
  /** Names of the members whose contents differ, in a's order. */
  differ: string[];
  onlyInA: string[];
  onlyInB: string[];
}

/** One difference inside a member's contents, located and explained. */
export interface MemberRange {
  offset: number;
  length: number;
  differingBytes: number;
  where: Location;
  whereB: Location;
  causes: Cause[];
  a: string;
  b: string;
}

/**
 * Whether the members of a and b (by name) lie at other offsets or have other sizes. A
 * member renamed in place (another name at the same offset, the same size) does not move
 * anything: its bytes are compared where they lie, the name's difference with them.
 */
export function layoutMoved(a: readonly Placed[], b: readonly Placed[]): boolean {
  if (a.length !== b.length) return true;
  const inB = new Map(b.map((r) => [r.entry, r]));
  const renamedInPlace = (r: Placed, i: number) => !inB.has(r.entry) && b[i].start === r.start && b[i].end === r.end;
  return a.some((r, i) => {
    const q = inB.get(r.entry);
    return q ? q.start !== r.start || q.end !== r.end : !renamedInPlace(r, i);
  });
}

/** Ranges where two buffers differ over their common length (bytes closer than `gap` join). */
function ranges(a: Buffer, b: Buffer, gap: number): DiffRange[] {
  const out: DiffRange[] = [];
  const n = Math.min(a.length, b.length);
  let open: DiffRange | undefined;
  for (let i = 0; i < n; i++) {
    if (a[i] === b[i]) continue;
    if (open && i - open.end < gap) {
      open.end = i + 1;
      open.bytes++;
    } else {
      if (open) out.push(open);
      open = { start: i, end: i + 1, bytes: 1 };
    }
  }
  if (open) out.push(open);
  return out;
}

/** A location inside compressed contents: the member's data region, then the offset in the inflated bytes. */
function inflatedLocation(region: Placed, offset: number): Location {
  const label = `${region.label} > inflated data at offset ${hex(offset)}`;
  return { label, chain: [region], chainEnd: [region], regions: label, through: '' };
}

/**
 * Compare every member of a with the member of the same name in b. Returns the first
 * `keep` ranges, and the counts of all of them.
 */
export async function compareMembers(
  a: MemberSide,
  b: MemberSide,
  opts: { gap: number; keep: number; context: number },
): Promise<{ byMember: ByMember; ranges: MemberRange[]; totalRanges: number; totalBytes: number }> {
  const inB = new Map(b.entries.map((r) => [r.entry!, r]));
  const namesA = new Set(a.entries.map((r) => r.entry!));
  const byMember: ByMember = { compared: 0, differ: [], onlyInA: [], onlyInB: b.entries.map((r) => r.entry!).filter((n) => !namesA.has(n)) };
  const out: MemberRange[] = [];
  let totalRanges = 0;
  let totalBytes = 0;
  for (const ra of a.entries) {
    const name = ra.entry!;
    const rb = inB.get(name);
    if (!rb) {
      byMember.onlyInA.push(name);
      continue;
    }
    byMember.compared++;
    const ca = await memberContents(a.source, a.patches, ra);
    const cb = await memberContents(b.source, b.patches, rb);
    if (ca && cb && ca.equals(cb)) continue;
    byMember.differ.push(name);
    if (!ca || !cb) {
      totalRanges++;
      if (out.length < opts.keep) {
        const why = `${compressed(ra) ? 'the compressed data does not inflate' : 'the member is too large'} here, so it was not compared`;
        out.push({ offset: ra.start, length: ra.end - ra.start, differingBytes: 0, where: await a.locator.locate(ra.start, ra.end), whereB: await b.locator.locate(rb.start, rb.end), causes: [{ kind: 'unknown', text: why }], a: '', b: '' });
      }
      continue;
    }
    const found = ranges(ca, cb, opts.gap);
    if (ca.length !== cb.length) {
      // What one side has past the other's end is one more range.
      const from = Math.min(ca.length, cb.length);
      found.push({ start: from, end: Math.max(ca.length, cb.length), bytes: Math.abs(ca.length - cb.length) });
    }
    for (const r of found) {
      totalRanges++;
      totalBytes += r.bytes;
      if (out.length >= opts.keep) continue;
      const stored = !compressed(ra) && !compressed(rb);
      // Past one side's end, the range is placed at that side's last byte.
      const at = (len: number, x: number) => Math.min(x, Math.max(0, len - 1));
      const where = stored ? await a.locator.locate(ra.start + at(ca.length, r.start), ra.start + at(ca.length, r.end - 1) + 1) : inflatedLocation(ra, r.start);
      const whereB = stored ? await b.locator.locate(rb.start + at(cb.length, r.start), rb.start + at(cb.length, r.end - 1) + 1) : inflatedLocation(rb, r.start);
      const from = Math.max(0, r.start - opts.context);
      const w = { a: ca.subarray(from, r.end + opts.context), b: cb.subarray(from, r.end + opts.context), offset: from, from: r.start - from, to: r.end - from, alignBase: 0 };
      let causes: Cause[] = [];
      if (r.start >= Math.min(ca.length, cb.length)) {
        const longer = ca.length > cb.length ? 'a' : 'b';
        causes = [{ kind: 'unknown', text: `member ${name} is ${ca.length} bytes in a and ${cb.length} in b (after normalization${compressed(ra) ? ', inflated' : ''}): these are the bytes ${longer} has past the other's end` }];
      } else {
        causes = textCauses(w);
        const inner = where.chain[where.chain.length - 1];
        if (causes.length === 0 && inner?.derivedFrom && inner !== ra) causes = [{ kind: 'derived', text: `${inner.label}: ${inner.derivedFrom}, which differs` }];
        if (causes.length === 0) causes = binaryCauses(w);
        if (causes.length === 0) causes = [{ kind: 'unknown', text: 'no known pattern in these bytes' }];
      }
      out.push({
        offset: stored ? ra.start + r.start : ra.start,
        length: stored ? r.end - r.start : ra.end - ra.start,
        differingBytes: r.bytes,
        where,
        whereB,
        causes,
        ...showBytes(ca.subarray(r.start, r.end), cb.subarray(r.start, r.end)),
      });
    }
  }
  return { byMember, ranges: out, totalRanges, totalBytes };
}
