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
class Column<T extends Float64Array | Uint32Array | Uint8Array> {
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
const u8 = (n: number) => new Uint8Array(n);

/** Spans [offset, end) of a file, adjacent ones merged: what validation checks for overlaps. */
export class Spans {
  // The spans that came in file order (each at or after the end and the start of the one
  // before), as byte-varint (gap from the previous end, length) pairs: a few bytes a span
  // where two Float64s took 16. A value that is not a whole number in [0, 2^53) is written
  // as the escape byte 0 and kept in `escapes`. The last one stays open (it may still grow
  // by merging) and is written out when the next one arrives.
  private readonly stream = new Column(u8);
  private bytes = 0;
  private readonly escapes = new Column(f64);
  private escaped = 0;
  private writtenEnd = 0;
  private lastStart = 0;
  private lastEnd = 0;
  private inOrder = 0;
  // The spans that came before the end of one already in order: kept whole, with how many
  // in-order spans came before each (their place in the order spans were added).
  private readonly xStarts = new Column(f64);
  private readonly xEnds = new Column(f64);
  private readonly xBefore = new Column(f64);
  private extra = 0;
  /** Whether the last span added is the last extra one (else the open in-order one). */
  private lastIsExtra = false;
  count = 0;
  /** Every span so far came after the one before it (no sort needed, no overlap possible). */
  ordered = true;

  add(offset: number, end: number): void {
    if (this.count > 0) {
      const prevEnd = this.lastIsExtra ? this.xEnds.get(this.extra - 1) : this.lastEnd;
      if (offset === prevEnd) {
        if (this.lastIsExtra) this.xEnds.set(this.extra - 1, end);
        else this.lastEnd = end;
        return;
      }
      if (offset < prevEnd) this.ordered = false;
    }
    this.count++;
    if (this.inOrder === 0 || (offset >= this.lastEnd && offset >= this.lastStart)) {
      if (this.inOrder > 0) this.writeLast();
      this.lastStart = offset;
      this.lastEnd = end;
      this.inOrder++;
      this.lastIsExtra = false;
      return;
    }
    const x = this.extra++;
    for (const col of [this.xStarts, this.xEnds, this.xBefore]) col.grow(x + 1);
    this.xStarts.set(x, offset);
    this.xEnds.set(x, end);
    this.xBefore.set(x, this.inOrder);
    this.lastIsExtra = true;
  }

  private writeLast(): void {
    this.put(this.lastStart, this.writtenEnd);
    this.put(this.lastEnd, this.lastStart);
    this.writtenEnd = this.lastEnd;
  }

  /** Write `value` as its distance from `from` (a varint, 7 bits a byte, plus one), or escape it. */
  private put(value: number, from: number): void {
    let d = value - from;
    if (!(Number.isSafeInteger(d) && d >= 0 && from + d === value && d < 2 ** 53 - 1)) {
      this.escapes.grow(this.escaped + 1);
      this.escapes.set(this.escaped++, value);
      d = -1;
    }
    d += 1;
    const s = this.stream;
    for (;;) {
      const low = d % 128;
      d = (d - low) / 128;
      s.grow(this.bytes + 1);
      s.set(this.bytes++, d > 0 ? low | 128 : low);
      if (d === 0) return;
    }
  }

  /**
   * The first problem: a span outside [0, size), or two spans that overlap (by file
   * offset); undefined if none. Spans are visited in offset order (those at the same
   * offset in the order they were added), or in the order they were added while that is
   * already offset order: the in-order spans and the extra ones are merged as they are read.
   */
  problem(size: number): { offset: number; end: number; kind: 'outside' | 'overlap' } | undefined {
    const xOrder = new Uint32Array(this.extra);
    for (let i = 0; i < xOrder.length; i++) xOrder[i] = i;
    const xs = this.xStarts;
    const xb = this.xBefore;
    if (!this.ordered) xOrder.sort((a, b) => xs.get(a) - xs.get(b) || a - b);
    let x = 0;
    // The reader of the in-order spans.
    let at = 0;
    let esc = 0;
    let readEnd = 0;
    const s = this.stream;
    const read = (from: number): number => {
      let d = 0;
      let scale = 1;
      for (;;) {
        const b = s.get(at++);
        d += (b & 127) * scale;
        if (b < 128) break;
        scale *= 128;
      }
      return d === 0 ? this.escapes.get(esc++) : from + (d - 1);
    };
    let k = 0;
    let kStart = 0;
    let kEnd = 0;
    const loadK = (): void => {
      if (k >= this.inOrder) return;
      if (k === this.inOrder - 1) {
        kStart = this.lastStart;
        kEnd = this.lastEnd;
        return;
      }
      kStart = read(readEnd);
      kEnd = read(kStart);
      readEnd = kEnd;
    };
    loadK();
    let prevEnd = -Infinity;
    while (k < this.inOrder || x < this.extra) {
      let offset: number;
      let end: number;
      const e = x < this.extra ? xOrder[x] : -1;
      const takeExtra =
        e >= 0 && (k >= this.inOrder || (this.ordered ? xb.get(e) <= k : xs.get(e) < kStart || (xs.get(e) === kStart && xb.get(e) <= k)));
      if (takeExtra) {
        offset = xs.get(e);
        end = this.xEnds.get(e);
        x++;
      } else {
        offset = kStart;
        end = kEnd;
        k++;
        loadK();
      }
      if (offset < 0 || end > size) return { offset, end, kind: 'outside' };
      if (offset < prevEnd) return { offset, end, kind: 'overlap' };
      prevEnd = end;
    }
    return undefined;
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
    for (const col of [this.offsets, this.lengths, this.slabOf, this.posOf] as Column<Float64Array | Uint32Array | Uint8Array>[]) col.permute(order, n);
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
