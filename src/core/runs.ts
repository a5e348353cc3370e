// Compact storage of a plan's byte ranges: no object per field, so a plan of half a
// million fields costs a few typed arrays instead of half a million objects.

/** Entries per chunk of a column (a power of two: an index splits with a shift and a mask). */
const SHIFT = 16;
const CHUNK = 1 << SHIFT;
const MASK = CHUNK - 1;

/**
 * A growable column of numbers, kept in chunks of CHUNK entries: growing never copies
 * what is there (no old and new array alive at once) and leaves at most one chunk unused.
 * The first chunk starts small and doubles up to CHUNK, so a small file's plan stays small.
 */
class Column<T extends Float64Array | Uint32Array> {
  chunks: T[];

  constructor(private readonly make: (n: number) => T) {
    this.chunks = [make(16)];
  }

  get(i: number): number {
    return this.chunks[i >>> SHIFT][i & MASK];
  }

  set(i: number, v: number): void {
    this.chunks[i >>> SHIFT][i & MASK] = v;
  }

  /** Room for entries [0, need). */
  grow(need: number): void {
    const chunks = this.chunks;
    const first = chunks[0];
    if (first.length < CHUNK) {
      if (need <= first.length) return;
      const next = this.make(Math.min(CHUNK, Math.max(need, first.length * 2)));
      next.set(first);
      chunks[0] = next;
    }
    while (chunks.length * CHUNK < need) chunks.push(this.make(CHUNK));
  }

  /** Reorder entries [0, n): entry k becomes the old entry order[k] (chunk by chunk, no full copy). */
  permute(order: Uint32Array, n: number): void {
    const old = this.chunks;
    const next: T[] = [];
    for (let c = 0; c * CHUNK < n; c++) {
      const chunk = this.make(c === 0 ? old[0].length : CHUNK);
      const stop = Math.min(CHUNK, n - c * CHUNK);
      for (let k = 0; k < stop; k++) {
        const j = order[c * CHUNK + k];
        chunk[k] = old[j >>> SHIFT][j & MASK];
      }
      next.push(chunk);
    }
    // The old chunks go once all are read; chunks past n (room not yet used) are kept.
    for (let c = next.length; c < old.length; c++) next.push(old[c]);
    this.chunks = next;
  }
}

const f64 = (n: number) => new Float64Array(n);
const u32 = (n: number) => new Uint32Array(n);

/** Spans [offset, end) of a file, adjacent ones merged: what validation checks for overlaps. */
export class Spans {
  private readonly starts = new Column(f64);
  private readonly ends = new Column(f64);
  count = 0;
  /** Every span so far came after the one before it (no sort needed, no overlap possible). */
  ordered = true;

  add(offset: number, end: number): void {
    const n = this.count;
    if (n > 0) {
      const last = this.ends.get(n - 1);
      if (offset === last) {
        this.ends.set(n - 1, end);
        return;
      }
      if (offset < last) this.ordered = false;
    }
    this.starts.grow(n + 1);
    this.ends.grow(n + 1);
    this.starts.set(n, offset);
    this.ends.set(n, end);
    this.count = n + 1;
  }

  /**
   * The first problem: a span outside [0, size), or two spans that overlap (by file
   * offset); undefined if none.
   */
  problem(size: number): { offset: number; end: number; kind: 'outside' | 'overlap' } | undefined {
    const order = this.sortedOrder();
    let prevEnd = -Infinity;
    for (let k = 0; k < order.length; k++) {
      const i = order[k];
      const offset = this.starts.get(i);
      const end = this.ends.get(i);
      if (offset < 0 || end > size) return { offset, end, kind: 'outside' };
      if (offset < prevEnd) return { offset, end, kind: 'overlap' };
      prevEnd = end;
    }
    return undefined;
  }

  private sortedOrder(): Uint32Array {
    const order = new Uint32Array(this.count);
    for (let i = 0; i < order.length; i++) order[i] = i;
    if (!this.ordered) {
      const s = this.starts;
      order.sort((a, b) => s.get(a) - s.get(b));
    }
    return order;
  }
}

/** How many runs back a finished run looks for the same bytes to share. */
const SHARE_WINDOW = 8;

/** Bytes per slab of the arena the new bytes are kept in. */
const SLAB = 256 * 1024;

/**
 * Replacement bytes at file offsets, sorted by offset once `sort()` ran: a run is one
 * patch, or several adjacent ones merged (the date, uid, gid and mode of one ar header
 * are one run). The bytes live in slabs of an arena, not in a Buffer per patch.
 */
export class Runs {
  private readonly offsets = new Column(f64);
  private readonly lengths = new Column(u32);
  private readonly slabOf = new Column(u32);
  private readonly posOf = new Column(u32);
  private readonly slabs: Buffer[] = [];
  private used = 0;
  count = 0;
  private ordered = true;

  /** Runs made from patches (sorted or not, none overlapping). */
  static of(patches: readonly { offset: number; bytes: Buffer }[]): Runs {
    const runs = new Runs();
    for (const p of patches) runs.add(p.offset, p.bytes);
    runs.sort();
    return runs;
  }

  add(offset: number, bytes: Buffer): void {
    const n = this.count;
    const len = bytes.length;
    if (len === 0) return;
    const slabs = this.slabs;
    // Merge with the last run when it ends here and its bytes end where the arena is used up to.
    if (n > 0 && this.offsets.get(n - 1) + this.lengths.get(n - 1) === offset) {
      const s = this.slabOf.get(n - 1);
      if (s === slabs.length - 1 && this.posOf.get(n - 1) + this.lengths.get(n - 1) === this.used && this.used + len <= slabs[s].length) {
        bytes.copy(slabs[s], this.used);
        this.used += len;
        this.lengths.set(n - 1, this.lengths.get(n - 1) + len);
        return;
      }
    }
    if (n > 0 && offset < this.offsets.get(n - 1)) this.ordered = false;
    if (n > 0) this.share(n - 1);
    let slab: number;
    let pos: number;
    if (len > SLAB / 4) {
      // A large field gets a buffer of its own; the next small one starts a new slab.
      slabs.push(Buffer.from(bytes));
      this.used = Infinity;
      slab = slabs.length - 1;
      pos = 0;
    } else {
      if (slabs.length === 0 || this.used + len > slabs[slabs.length - 1].length) {
        // Slabs grow from 4 KiB: a small file's plan stays small.
        const last = slabs.length > 0 ? slabs[slabs.length - 1].length : 0;
        slabs.push(Buffer.allocUnsafe(Math.min(SLAB, Math.max(4096, 2 * last, len))));
        this.used = 0;
      }
      slab = slabs.length - 1;
      pos = this.used;
      bytes.copy(slabs[slab], pos);
      this.used += len;
    }
    this.offsets.grow(n + 1);
    this.lengths.grow(n + 1);
    this.slabOf.grow(n + 1);
    this.posOf.grow(n + 1);
    this.offsets.set(n, offset);
    this.lengths.set(n, len);
    this.slabOf.set(n, slab);
    this.posOf.set(n, pos);
    this.count = n + 1;
  }

  /**
   * Run i is complete: if a recent run holds the same bytes (the normalized values repeat:
   * every ar header of an archive gets the same date, owner and mode), point at those and
   * give the arena back, so a plan of half a million such headers keeps their bytes once.
   */
  private share(i: number): void {
    const len = this.lengths.get(i);
    const slab = this.slabOf.get(i);
    const pos = this.posOf.get(i);
    if (slab !== this.slabs.length - 1 || pos + len !== this.used) return;
    const bytes = this.slabs[slab];
    for (let k = i - 1; k >= 0 && k >= i - SHARE_WINDOW; k--) {
      if (this.lengths.get(k) !== len) continue;
      const other = this.slabs[this.slabOf.get(k)];
      const at = this.posOf.get(k);
      let j = 0;
      while (j < len && other[at + j] === bytes[pos + j]) j++;
      if (j < len) continue;
      this.slabOf.set(i, this.slabOf.get(k));
      this.posOf.set(i, at);
      this.used = pos;
      return;
    }
  }

  offset(i: number): number {
    return this.offsets.get(i);
  }

  end(i: number): number {
    return this.offsets.get(i) + this.lengths.get(i);
  }

  /** Run i's bytes (a view into the arena: valid while the plan lives, not to be written). */
  bytes(i: number): Buffer {
    const pos = this.posOf.get(i);
    return this.slabs[this.slabOf.get(i)].subarray(pos, pos + this.lengths.get(i));
  }

  /** Copy the part of run i that lies in [from, to) into `target`, whose byte 0 is file offset `base`. */
  copyInto(i: number, target: Buffer, base: number, from: number, to: number): void {
    const o = this.offsets.get(i);
    const pos = this.posOf.get(i);
    this.slabs[this.slabOf.get(i)].copy(target, from - base, pos + from - o, pos + to - o);
  }

  /** Put the runs in offset order (the arena stays where it is). */
  sort(): void {
    if (this.ordered) return;
    const n = this.count;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const o = this.offsets;
    order.sort((a, b) => o.get(a) - o.get(b));
    for (const col of [this.offsets, this.lengths, this.slabOf, this.posOf] as Column<Float64Array | Uint32Array>[]) col.permute(order, n);
    this.ordered = true;
  }

  /** The first run that ends after `offset` (runs sorted). */
  firstEndingAfter(offset: number): number {
    let lo = 0;
    let hi = this.count;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end(mid) <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Lay the runs over `chunk`, which holds the file's bytes from offset `pos` (runs sorted). */
  overlay(chunk: Buffer, pos: number, from = this.firstEndingAfter(pos)): number {
    const stop = pos + chunk.length;
    let i = from;
    for (; i < this.count && this.offsets.get(i) < stop; i++) {
      const from = Math.max(this.offsets.get(i), pos);
      const to = Math.min(this.end(i), stop);
      // The hint may name a run that ended before this chunk (the last one of the chunk before).
      if (from < to) this.copyInto(i, chunk, pos, from, to);
    }
    // The next call (a later chunk) starts at the last run touched: it may run on into that chunk.
    return Math.max(from, i - 1);
  }
}
