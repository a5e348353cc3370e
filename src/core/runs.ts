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
}

const f64 = (n: number) => new Float64Array(n);
const u8 = (n: number) => new Uint8Array(n);

/** A growable list of numbers in chunks (see Column): one column of a table with a row per entry. */
export class Numbers {
  private readonly column = new Column(f64);
  length = 0;

  push(value: number): void {
    this.column.grow(this.length + 1);
    this.column.set(this.length++, value);
  }

  get(i: number): number {
    return this.column.get(i);
  }

  set(i: number, value: number): void {
    this.column.set(i, value);
  }

  /** The row numbers ordered by value (rows of equal value in row order). */
  order(): Uint32Array {
    const order = new Uint32Array(this.length);
    for (let i = 0; i < order.length; i++) order[i] = i;
    return order.sort((a, b) => this.get(a) - this.get(b) || a - b);
  }
}

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

/** Runs between restart points of a run stream (a power of two): 1 byte a run for the restart words; finding a run decodes 16 on average. */
const RESTART_SHIFT = 5;
const RESTART = 1 << RESTART_SHIFT;

/** Numbers kept per restart point: stream position, previous offset, highest arena end, escapes used. */
const RESTART_WORDS = 4;

/**
 * Runs in offset order as a byte stream: per run, its offset as the distance from the
 * previous run's offset, its length, and where its bytes are in the arena as the signed
 * distance from the highest arena end so far (0 for bytes just appended, a small negative
 * number for bytes shared with a recent run), each a varint: about 4 bytes a run where
 * four columns took 20. An offset whose distance is not a whole number in [0, 2^53) is
 * written as the escape 0 and kept in `escapes`. Every RESTART runs a restart point holds
 * the decoder's state, so run i is found by decoding at most RESTART runs.
 */
class RunStream {
  readonly stream = new Column(u8);
  bytes = 0;
  readonly escapes = new Column(f64);
  escaped = 0;
  readonly restarts = new Column(f64);
  count = 0;
  prevOffset = 0;
  addrEnd = 0;
  /** Offset of the last run written (-Infinity: none yet). */
  last = -Infinity;

  write(offset: number, length: number, addr: number): void {
    if ((this.count & (RESTART - 1)) === 0) {
      const r = (this.count >>> RESTART_SHIFT) * RESTART_WORDS;
      this.restarts.grow(r + RESTART_WORDS);
      this.restarts.set(r, this.bytes);
      this.restarts.set(r + 1, this.prevOffset);
      this.restarts.set(r + 2, this.addrEnd);
      this.restarts.set(r + 3, this.escaped);
    }
    const d = offset - this.prevOffset;
    if (Number.isSafeInteger(d) && d >= 0 && d < 2 ** 53 - 1 && this.prevOffset + d === offset) this.put(d + 1);
    else {
      this.escapes.grow(this.escaped + 1);
      this.escapes.set(this.escaped++, offset);
      this.put(0);
    }
    this.put(length);
    const a = addr - this.addrEnd;
    this.put(a >= 0 ? 2 * a : -2 * a - 1);
    this.prevOffset = offset;
    this.last = offset;
    if (addr + length > this.addrEnd) this.addrEnd = addr + length;
    this.count++;
  }

  /** A whole number in [0, 2^53) as a varint, 7 bits a byte, low bits first. */
  private put(v: number): void {
    const s = this.stream;
    s.grow(this.bytes + 10);
    for (;;) {
      const low = v % 128;
      v = (v - low) / 128;
      s.set(this.bytes++, v > 0 ? low | 128 : low);
      if (v === 0) return;
    }
  }
}

/** Reads a RunStream run by run: `at(i)` makes offset, length and addr those of run i. */
class RunCursor {
  index = -1;
  offset = 0;
  length = 0;
  addr = 0;
  private pos = 0;
  private escaped = 0;
  private addrEnd = 0;

  constructor(readonly s: RunStream) {}

  at(i: number): void {
    if (i === this.index) return;
    if (this.index < 0 || i < this.index || i >>> RESTART_SHIFT !== this.index >>> RESTART_SHIFT) {
      const block = i >>> RESTART_SHIFT;
      const r = block * RESTART_WORDS;
      const rs = this.s.restarts;
      this.pos = rs.get(r);
      this.offset = rs.get(r + 1);
      this.addrEnd = rs.get(r + 2);
      this.escaped = rs.get(r + 3);
      this.index = (block << RESTART_SHIFT) - 1;
    }
    while (this.index < i) this.next();
  }

  private next(): void {
    const d = this.get();
    this.offset = d === 0 ? this.s.escapes.get(this.escaped++) : this.offset + (d - 1);
    this.length = this.get();
    const z = this.get();
    this.addr = this.addrEnd + (z % 2 === 0 ? z / 2 : -(z + 1) / 2);
    if (this.addr + this.length > this.addrEnd) this.addrEnd = this.addr + this.length;
    this.index++;
  }

  private get(): number {
    const s = this.s.stream;
    let v = 0;
    let scale = 1;
    for (;;) {
      const b = s.get(this.pos++);
      v += (b & 127) * scale;
      if (b < 128) return v;
      scale *= 128;
    }
  }
}

/**
 * Replacement bytes at file offsets, sorted by offset once `sort()` ran: a run is one
 * patch, or several adjacent ones merged (the date, uid, gid and mode of one ar header
 * are one run). The bytes live in slabs of an arena, not in a Buffer per patch; the runs
 * in a RunStream, except those added before the offset of one already there: those are
 * kept aside in columns and merged into the stream by `sort()`. The reading methods
 * (offset, end, bytes, copyInto, overlay, firstEndingAfter) want the runs sorted.
 */
export class Runs {
  private runs = new RunStream();
  private cursor = new RunCursor(this.runs);
  // Runs kept aside (see above).
  private readonly xOffsets = new Column(f64);
  private readonly xLengths = new Column(f64);
  private readonly xAddrs = new Column(f64);
  private extra = 0;
  // The last run added stays open (a patch right after it may still join it); it goes to
  // the stream, or aside, when the next one starts or at sort().
  private open = false;
  private openOffset = 0;
  private openLength = 0;
  private openAddr = 0;
  private openAside = false;
  /** The arena: slab k holds addresses [slabStarts[k], slabStarts[k] + slabs[k].length). */
  private readonly slabs: Buffer[] = [];
  private readonly slabStarts: number[] = [];
  private used = 0;
  private lastSlab = 0;
  // The last SHARE_WINDOW runs closed, as (length, addr), a ring.
  private readonly recentLengths = new Float64Array(SHARE_WINDOW);
  private readonly recentAddrs = new Float64Array(SHARE_WINDOW);
  private recent = 0;
  count = 0;

  /** Runs made from patches (sorted or not, none overlapping). */
  static of(patches: readonly { offset: number; bytes: Buffer }[]): Runs {
    const runs = new Runs();
    for (const p of patches) runs.add(p.offset, p.bytes);
    runs.sort();
    return runs;
  }

  /** The address one past the last byte of the arena in use. */
  private get arenaEnd(): number {
    return this.slabs.length === 0 ? 0 : this.slabStarts[this.slabs.length - 1] + this.used;
  }

  add(offset: number, bytes: Buffer): void {
    const len = bytes.length;
    if (len === 0) return;
    const slabs = this.slabs;
    // Join the open run when it ends here and its bytes end where the arena is used up to.
    if (this.open && this.openOffset + this.openLength === offset && this.openAddr + this.openLength === this.arenaEnd) {
      const last = slabs[slabs.length - 1];
      if (this.used + len <= last.length) {
        bytes.copy(last, this.used);
        this.used += len;
        this.openLength += len;
        return;
      }
    }
    if (this.open) this.close();
    const last = this.runs.last;
    this.openAside = offset < last;
    if (len > SLAB / 4) {
      // A large field gets a buffer of its own; the next small one starts a new slab.
      this.newSlab(Buffer.from(bytes));
      this.used = len;
    } else {
      if (slabs.length === 0 || this.used + len > slabs[slabs.length - 1].length) {
        // Slabs grow from 4 KiB: a small file's plan stays small.
        const size = slabs.length > 0 ? slabs[slabs.length - 1].length : 0;
        this.newSlab(Buffer.allocUnsafe(Math.min(SLAB, Math.max(4096, 2 * size, len))));
      }
      bytes.copy(slabs[slabs.length - 1], this.used);
      this.used += len;
    }
    this.open = true;
    this.openOffset = offset;
    this.openLength = len;
    this.openAddr = this.arenaEnd - len;
    // Keep the stream's order: a run before the last one in it waits aside until sort().
    if (!this.openAside) this.runs.last = offset;
    this.count++;
  }

  private newSlab(slab: Buffer): void {
    const start = this.slabs.length === 0 ? 0 : this.slabStarts[this.slabs.length - 1] + this.slabs[this.slabs.length - 1].length;
    this.slabs.push(slab);
    this.slabStarts.push(start);
    this.used = 0;
  }

  /** The open run is complete: share its bytes if a recent run has the same, then store it. */
  private close(): void {
    this.share();
    if (this.openAside) {
      const x = this.extra++;
      for (const col of [this.xOffsets, this.xLengths, this.xAddrs]) col.grow(x + 1);
      this.xOffsets.set(x, this.openOffset);
      this.xLengths.set(x, this.openLength);
      this.xAddrs.set(x, this.openAddr);
    } else {
      this.runs.write(this.openOffset, this.openLength, this.openAddr);
    }
    const k = this.recent++ % SHARE_WINDOW;
    this.recentLengths[k] = this.openLength;
    this.recentAddrs[k] = this.openAddr;
    this.open = false;
  }

  /**
   * If a recent run holds the same bytes as the open one (the normalized values repeat:
   * every ar header of an archive gets the same date, owner and mode), point at those and
   * give the arena back, so a plan of half a million such headers keeps their bytes once.
   */
  private share(): void {
    const len = this.openLength;
    if (len > SLAB / 4 || this.openAddr + len !== this.arenaEnd) return;
    const bytes = this.slabs[this.slabs.length - 1];
    const pos = this.used - len;
    for (let j = 1; j <= SHARE_WINDOW && j <= this.recent; j++) {
      const k = (this.recent - j) % SHARE_WINDOW;
      if (this.recentLengths[k] !== len) continue;
      const addr = this.recentAddrs[k];
      const s = this.slabAt(addr);
      const other = this.slabs[s];
      const at = addr - this.slabStarts[s];
      let i = 0;
      while (i < len && other[at + i] === bytes[pos + i]) i++;
      if (i < len) continue;
      this.openAddr = addr;
      this.used = pos;
      return;
    }
  }

  /** The slab holding arena address `addr`. */
  private slabAt(addr: number): number {
    const starts = this.slabStarts;
    let s = this.lastSlab;
    if (s < starts.length && starts[s] <= addr && (s + 1 === starts.length || addr < starts[s + 1])) return s;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (starts[mid] <= addr) lo = mid;
      else hi = mid - 1;
    }
    s = lo;
    this.lastSlab = s;
    return s;
  }

  /** Put the runs in offset order (the arena stays where it is): the runs aside are merged into the stream. */
  sort(): void {
    if (this.open) this.close();
    if (this.extra === 0) return;
    const n = this.extra;
    const order = new Uint32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const xo = this.xOffsets;
    order.sort((a, b) => xo.get(a) - xo.get(b) || a - b);
    const old = this.cursor;
    const merged = new RunStream();
    let x = 0;
    for (let i = 0; i < old.s.count; i++) {
      old.at(i);
      for (; x < n && xo.get(order[x]) < old.offset; x++) merged.write(xo.get(order[x]), this.xLengths.get(order[x]), this.xAddrs.get(order[x]));
      merged.write(old.offset, old.length, old.addr);
    }
    for (; x < n; x++) merged.write(xo.get(order[x]), this.xLengths.get(order[x]), this.xAddrs.get(order[x]));
    this.runs = merged;
    this.cursor = new RunCursor(merged);
    this.extra = 0;
    // The columns aside start over small.
    for (const col of [this.xOffsets, this.xLengths, this.xAddrs]) col.chunks = [f64(16)];
  }

  private at(i: number): RunCursor {
    if (this.open || this.extra > 0) this.sort();
    const c = this.cursor;
    c.at(i);
    return c;
  }

  offset(i: number): number {
    return this.at(i).offset;
  }

  end(i: number): number {
    const c = this.at(i);
    return c.offset + c.length;
  }

  /** Run i's bytes (a view into the arena: valid while the plan lives, not to be written). */
  bytes(i: number): Buffer {
    const c = this.at(i);
    const s = this.slabAt(c.addr);
    const pos = c.addr - this.slabStarts[s];
    return this.slabs[s].subarray(pos, pos + c.length);
  }

  /** Copy the part of run i that lies in [from, to) into `target`, whose byte 0 is file offset `base`. */
  copyInto(i: number, target: Buffer, base: number, from: number, to: number): void {
    const c = this.at(i);
    const s = this.slabAt(c.addr);
    const pos = c.addr - this.slabStarts[s];
    this.slabs[s].copy(target, from - base, pos + from - c.offset, pos + to - c.offset);
  }

  /** The first run that ends after `offset` (runs sorted). */
  firstEndingAfter(offset: number): number {
    const n = this.count;
    if (n === 0) return 0;
    // Reads that go forward through the file (a zip's central records, one by one) find
    // their run a few runs after the last one read: look there first.
    const c = this.cursor;
    if (c.index >= 0 && !this.open && this.extra === 0 && c.offset + c.length <= offset) {
      const stop = Math.min(n, c.index + 8);
      for (let i = c.index + 1; i < stop; i++) if (this.end(i) > offset) return i;
    }
    // The first restart block whose first run ends after `offset`; the run is in the block before it, or is its first.
    let lo = 0;
    let hi = ((n - 1) >>> RESTART_SHIFT) + 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.end(mid << RESTART_SHIFT) <= offset) lo = mid + 1;
      else hi = mid;
    }
    let i = lo === 0 ? 0 : (lo - 1) << RESTART_SHIFT;
    while (i < n && this.end(i) <= offset) i++;
    return i;
  }

  /** Lay the runs over `chunk`, which holds the file's bytes from offset `pos` (runs sorted). */
  overlay(chunk: Buffer, pos: number, from = this.firstEndingAfter(pos)): number {
    const stop = pos + chunk.length;
    let i = from;
    for (; i < this.count && this.offset(i) < stop; i++) {
      const from = Math.max(this.offset(i), pos);
      const to = Math.min(this.end(i), stop);
      // The hint may name a run that ended before this chunk (the last one of the chunk before).
      if (from < to) this.copyInto(i, chunk, pos, from, to);
    }
    // The next call (a later chunk) starts at the last run touched: it may run on into that chunk.
    return Math.max(from, i - 1);
  }
}
