import { FormatError, hex } from '../../core/errors.js';
import type { RangeReader } from '../../core/reader.js';

export type Range = { start: number; end: number };

/** A field a plan rewrites, for the layout check. */
export interface Write {
  offset: number;
  size: number;
  field: string;
}

/**
 * The bytes a planner reads to find the fields it rewrites: headers, tables, load
 * commands, directory headers. A rewritten field may lie inside one of them only where
 * that structure has a rewritten field itself. Anywhere else (a section whose data
 * overlaps the section table, a symbol table laid over the load commands), rewriting it
 * would change what the next run reads, and the next run would find a different file;
 * such a file is refused instead. Offsets are relative to the planner's reader.
 */
export class Layout {
  private readonly spans: { start: number; end: number; what: string; whole: Range }[] = [];

  /** [start, start+length) is read as `what`; `own` are the fields inside it that are rewritten. */
  structure(start: number, length: number, what: string, own: readonly Range[] = []): void {
    if (length <= 0) return;
    const whole = { start, end: start + length };
    let from = start;
    for (const f of [...own].sort((a, b) => a.start - b.start)) {
      if (f.start > from) this.spans.push({ start: from, end: Math.min(f.start, whole.end), what, whole });
      from = Math.max(from, f.end);
    }
    if (whole.end > from) this.spans.push({ start: from, end: whole.end, what, whole });
  }

  /** Throws a FormatError for the first write that lands on structure bytes. O((n + m) log n). */
  check(r: RangeReader, writes: readonly Write[]): void {
    const spans = [...this.spans].sort((a, b) => a.start - b.start);
    // maxEnd[i]: the largest end among spans[0..i], so one binary search finds an overlap.
    const maxEnd: number[] = [];
    spans.forEach((s, i) => maxEnd.push(Math.max(s.end, i > 0 ? maxEnd[i - 1] : -Infinity)));
    for (const w of writes) {
      const end = w.offset + w.size;
      let lo = 0;
      let hi = spans.length - 1;
      let last = -1; // the last span starting before the write ends
      while (lo <= hi) {
        const mid = (lo + hi) >> 1;
        if (spans[mid].start < end) {
          last = mid;
          lo = mid + 1;
        } else hi = mid - 1;
      }
      if (last < 0 || maxEnd[last] <= w.offset) continue;
      let k = last;
      while (spans[k].end <= w.offset) k--;
      const s = spans[k];
      throw new FormatError(
        `${w.field} at ${hex(w.offset)} lies inside the ${s.what} at ${hex(s.whole.start)}..${hex(s.whole.end)}, which unstamp reads to find the fields: the structures overlap, and rewriting the field would change them`,
        r.base + w.offset,
      );
    }
  }
}

export const at4 = (offset: number): Range => ({ start: offset, end: offset + 4 });
