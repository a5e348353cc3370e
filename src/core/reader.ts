import type { FileHandle } from 'node:fs/promises';
import { Handle } from './handle.js';
import { FormatError, hex } from './errors.js';

/**
 * Positional access to bytes. Formats never see a whole file in memory: they ask for the
 * few bytes they need, and a single read is capped at MAX_READ so memory stays bounded
 * whatever the file size.
 */
export interface ByteSource {
  readonly size: number;
  readAt(offset: number, length: number): Promise<Buffer>;
  /**
   * `length` bytes at `offset` read into `target` (not cached, no copy): a streaming pass
   * reuses one buffer instead of leaving a MiB of garbage per chunk. Returns the filled part.
   */
  readInto?(target: Buffer, offset: number, length: number): Promise<Buffer>;
  /** True when readAtSync can serve (no read of this source waits for the thread pool). */
  readonly sync?: boolean;
  /** readAt done right here, when `sync`: a planner's hot loop then makes no promise per field. */
  readAtSync?(offset: number, length: number): Buffer;
  /**
   * readAtSync without the copy, when `sync`: the bytes may be the source's own (a window
   * refilled by the next read), so the caller reads them right away, keeps and changes nothing.
   */
  viewAtSync?(offset: number, length: number): Buffer;
}

export const MAX_READ = 1 << 20;
/** A file this small is read whole, in one read(2), the first time any of it is asked for. */
export const WHOLE = 1 << 20;
/** The window of a bigger file: it starts small and doubles while reads go forward through the file. */
const WINDOW = 64 * 1024;
const MAX_WINDOW = 1 << 20;
const EMPTY = Buffer.alloc(0);

/**
 * A file read through one cached window: headers that sit close together (ar member
 * headers, zip records) cost one read(2) per window, not one per field. A file of at most
 * WHOLE bytes is one window; in a bigger one the window grows while the reads scan forward
 * (the members of a big archive, one after the other) and shrinks back at a jump (a zip's
 * local headers, far apart), so a sparse walk through a big file does not read all of it.
 * Every read hands out a copy of its own: callers keep and change them.
 */
export class FileSource implements ByteSource {
  private windowStart = 0;
  private window: Buffer = EMPTY;
  /** What the window is read into (a Handle's): refilled for the next window, replaced only when too small. */
  private backing: Buffer = EMPTY;
  private next = WINDOW;

  constructor(
    /** A Handle (the engine: each read a read(2) right here) or a FileHandle (reads through the thread pool). */
    private readonly fh: Handle | FileHandle,
    readonly size: number,
  ) {}

  /** Drop the cached window (a file held open for later keeps no memory meanwhile). */
  forget(): void {
    this.windowStart = 0;
    this.window = this.backing = EMPTY;
    this.next = WINDOW;
  }

  readAt(offset: number, length: number): Promise<Buffer> {
    // Through a Handle no read waits: no async function, no promise chain per field.
    if (this.fh instanceof Handle) {
      try {
        return Promise.resolve(this.readAtSync(offset, length));
      } catch (e) {
        return Promise.reject(e);
      }
    }
    return this.readLater(offset, length);
  }

  /** Whether [offset, offset + length) lies in the cached window. */
  private holds(offset: number, length: number): boolean {
    return offset >= this.windowStart && offset + length <= this.windowStart + this.window.length;
  }

  /** Whether readAtSync can serve: the file is read through a Handle. */
  get sync(): boolean {
    return this.fh instanceof Handle;
  }

  /** readAt, done right here (a Handle's source only: see `sync`). */
  readAtSync(offset: number, length: number): Buffer {
    if (this.holds(offset, length)) return copyOut(this.window, offset - this.windowStart, length);
    return this.fillSync(offset, length, true);
  }

  /** readAtSync with no copy: a view of the window, valid until the next read of this source. */
  viewAtSync(offset: number, length: number): Buffer {
    const start = offset - this.windowStart;
    if (this.holds(offset, length)) return this.window.subarray(start, start + length);
    return this.fillSync(offset, length, false);
  }

  /** A read outside the window: refill it (or read the window-sized part asked for), then a copy or a view. */
  private fillSync(offset: number, length: number, copy: boolean): Buffer {
    const fh = this.fh;
    if (!(fh instanceof Handle)) throw new Error('readAtSync on a source read through the thread pool');
    const { from, want, handOut } = this.nextWindow(offset, length);
    if (handOut) {
      const buf = Buffer.allocUnsafe(want);
      const got = fh.fill(buf, from, want);
      if (got < length) throw shrank(offset, length, from + got);
      return buf;
    }
    // Refilled, not replaced (replaced only when too small): nothing else reads this source
    // while this call runs, and what is handed out of the window is a copy, or a view
    // (viewAtSync) that its caller is done with before it reads again.
    if (this.backing.length < want) this.backing = Buffer.allocUnsafe(want);
    const buf = this.backing;
    this.window = EMPTY;
    const got = fh.fill(buf, from, want);
    if (from + got < offset + length) throw shrank(offset, length, from + got);
    this.windowStart = from;
    this.window = buf.subarray(0, got);
    return copy ? copyOut(buf, offset - from, length) : buf.subarray(offset - from, offset - from + length);
  }

  /** Where the next window starts and how long it is; `handOut`: the read is the window, handed out uncached. */
  private nextWindow(offset: number, length: number): { from: number; want: number; handOut: boolean } {
    const whole = this.size <= WHOLE;
    const windowEnd = this.windowStart + this.window.length;
    // Forward from the window (or just past it): grow it; anywhere else: start small again.
    if (!whole) this.next = this.window.length > 0 && offset >= this.windowStart && offset <= windowEnd + this.next ? Math.min(this.next * 2, MAX_WINDOW) : WINDOW;
    const from = whole ? 0 : offset;
    const want = whole ? this.size : Math.min(Math.max(length, this.next), this.size - offset);
    // A read as big as the window (a streaming pass) is handed out as it is, not cached.
    return { from, want, handOut: from === offset && want === length };
  }

  /** readAt through the thread pool (a FileHandle). */
  private async readLater(offset: number, length: number): Promise<Buffer> {
    if (this.holds(offset, length)) return copyOut(this.window, offset - this.windowStart, length);
    const fh = this.fh as FileHandle;
    const { from, want, handOut } = this.nextWindow(offset, length);
    // Not zero-filled: only the `got` bytes read are ever handed out.
    const buf = Buffer.allocUnsafe(want);
    const got = await fillLater(fh, buf, from, want);
    if (handOut) {
      if (got < length) throw shrank(offset, length, from + got);
      return buf;
    }
    if (from + got < offset + length) throw shrank(offset, length, from + got);
    this.windowStart = from;
    this.window = buf.subarray(0, got);
    return copyOut(buf, offset - from, length);
  }

  async readInto(target: Buffer, offset: number, length: number): Promise<Buffer> {
    const got = this.fh instanceof Handle ? this.fh.fill(target, offset, length) : await fillLater(this.fh, target, offset, length);
    if (got < length) throw shrank(offset, length, offset + got);
    return target.subarray(0, length);
  }
}

/** Handle.fill through the thread pool. */
async function fillLater(fh: FileHandle, buf: Buffer, from: number, want: number): Promise<number> {
  let got = 0;
  while (got < want) {
    const { bytesRead } = await fh.read(buf, got, want - got, from + got);
    if (bytesRead === 0) break;
    got += bytesRead;
  }
  return got;
}

const shrank = (offset: number, length: number, readTo: number) =>
  new FormatError(`file shrank while being read: ${length} bytes wanted at ${hex(offset)}, ${Math.max(0, readTo - offset)} read`, offset);

/**
 * A copy of `length` bytes of `buf` at `start`, for the caller to keep and change. Not
 * Buffer.from(subarray): that takes the generic array path, several times slower, and a
 * plan of half a million fields makes millions of these.
 */
function copyOut(buf: Buffer, start: number, length: number): Buffer {
  const out = Buffer.allocUnsafe(length);
  buf.copy(out, 0, start, start + length);
  return out;
}

/** Bytes already in memory (tests, fuzzing, `explain` of a member). */
export class BufferSource implements ByteSource {
  constructor(private readonly buf: Buffer) {}
  get size(): number {
    return this.buf.length;
  }
  readonly sync = true;
  readAt(offset: number, length: number): Promise<Buffer> {
    return Promise.resolve(this.readAtSync(offset, length));
  }
  readAtSync(offset: number, length: number): Buffer {
    return copyOut(this.buf, offset, Math.max(0, Math.min(length, this.buf.length - offset)));
  }
  viewAtSync(offset: number, length: number): Buffer {
    return this.buf.subarray(offset, offset + Math.max(0, Math.min(length, this.buf.length - offset)));
  }
}

/**
 * A bounds-checked window [base, base + size) of a source. Every read is checked against
 * the window, so a format cannot read past the end of the file or of the member it is
 * planning; an out-of-range read is a FormatError naming what was being read.
 */
export class RangeReader {
  constructor(
    private readonly source: ByteSource,
    /** Absolute offset of this window in the file. */
    readonly base: number,
    readonly size: number,
  ) {}

  static of(source: ByteSource): RangeReader {
    return new RangeReader(source, 0, source.size);
  }

  /** Exactly `length` bytes at `offset` (relative to the window) or a FormatError. */
  read(offset: number, length: number, what = 'data'): Promise<Buffer> {
    // Not an async function: the source's promise is handed on, not wrapped in another.
    const problem = this.check(offset, length, what);
    return problem ? Promise.reject(problem) : this.source.readAt(this.base + offset, length);
  }

  /** Whether readSync can serve: the source reads without waiting (a Handle's file, a buffer). */
  get sync(): boolean {
    return this.source.sync === true;
  }

  /** `read` done right here, for a source that is `sync`: no promise, no microtask per field. */
  readSync(offset: number, length: number, what = 'data'): Buffer {
    const problem = this.check(offset, length, what);
    if (problem) throw problem;
    if (!this.source.sync) throw new Error(`planner bug: readSync of ${what} from a source that reads through the thread pool`);
    return this.source.readAtSync!(this.base + offset, length);
  }

  /** readUpTo done right here, for a source that is `sync`. */
  readUpToSync(offset: number, length: number, what = 'data'): Buffer {
    return this.readSync(offset, Math.max(0, Math.min(length, this.size - offset)), what);
  }

  /**
   * readUpToSync with no copy where the source can give a view: for a look at the bytes
   * (detection) that reads them at once and keeps and changes nothing; they may be
   * overwritten by the next read of the source.
   */
  peekUpToSync(offset: number, length: number, what = 'data'): Buffer {
    const n = Math.max(0, Math.min(length, this.size - offset));
    if (!this.source.viewAtSync) return this.readSync(offset, n, what);
    const problem = this.check(offset, n, what);
    if (problem) throw problem;
    return this.source.viewAtSync(this.base + offset, n);
  }

  /** Why [offset, offset + length) may not be read, or undefined. */
  private check(offset: number, length: number, what: string): FormatError | undefined {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      return new FormatError(`${what} at ${hex(offset)}: invalid offset or length ${length}`, this.base + offset);
    }
    if (offset + length > this.size) {
      return new FormatError(`${what} at ${hex(offset)} (${length} bytes) runs past the end (size ${hex(this.size)})`, this.base + offset);
    }
    if (length > MAX_READ) {
      return new FormatError(`${what} at ${hex(offset)}: ${length} bytes is more than one read may take`, this.base + offset);
    }
    return undefined;
  }

  /**
   * `length` bytes at `offset` in reads of at most MAX_READ each, for a table the caller has
   * already bounded (a symbol or string table): every read checked like `read`.
   */
  async readChunked(offset: number, length: number, what = 'data'): Promise<Buffer> {
    const parts: Buffer[] = [];
    for (let at = 0; at < length; at += MAX_READ) parts.push(await this.read(offset + at, Math.min(MAX_READ, length - at), what));
    return Buffer.concat(parts);
  }

  /** Up to `length` bytes at `offset`: fewer at the end of the window, for scanning. */
  readUpTo(offset: number, length: number, what = 'data'): Promise<Buffer> {
    return this.read(offset, Math.max(0, Math.min(length, this.size - offset)), what);
  }

  /**
   * Offset (relative) of the first NUL at or after `offset`, or a FormatError if the
   * window ends first. Scans in bounded chunks.
   */
  async findNul(offset: number, what: string): Promise<number> {
    let pos = offset;
    while (pos < this.size) {
      const chunk = await this.readUpTo(pos, 4096, what);
      const i = chunk.indexOf(0);
      if (i >= 0) return pos + i;
      pos += chunk.length;
    }
    throw new FormatError(`${what} at ${hex(offset)} has no terminating NUL before the end (size ${hex(this.size)})`, this.base + offset);
  }

  /** A sub-window; the caller has already checked it lies inside this one. */
  sub(offset: number, length: number): RangeReader {
    if (offset < 0 || length < 0 || offset + length > this.size) {
      throw new FormatError(`range ${hex(offset)}+${hex(length)} runs past the end (size ${hex(this.size)})`, this.base + offset);
    }
    return new RangeReader(this.source, this.base + offset, length);
  }
}
