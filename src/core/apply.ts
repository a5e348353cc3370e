// Writing a plan in place: positional writes into the same inode, then the times.
import type { Handle } from './handle.js';
import type { Runs } from './runs.js';
import { restoreTimes, type Times } from './utimes.js';
import { hold } from './debug.js';
import type { Durable } from './durable.js';
import { changed, openForWrite, sameVersion, type Opened } from './open.js';

/**
 * Test hook for the crash tests: wait this long before every write and write patch by
 * patch, so a kill lands between writes of one file as often as between files.
 */
export const writeDelayMs = Number(process.env.UNSTAMP_DEBUG_WRITE_DELAY_MS ?? 0);
export const pause = () => (writeDelayMs > 0 ? new Promise((r) => setTimeout(r, writeDelayMs)) : Promise.resolve());

/** Patches closer than this are written together, with the bytes between them read back. */
const WRITE_SPAN = 1 << 20;

/** Write all of `buf` at `position` (null: at the current position, for a new file), after the test hook's delay. */
export async function writeAll(fh: Handle, buf: Buffer, position: number | null): Promise<void> {
  if (writeDelayMs > 0) await pause();
  for (let done = 0; done < buf.length; ) {
    const written = fh.write(buf, done, buf.length - done, position === null ? null : position + done);
    if (written === 0) throw new Error(`a write of ${buf.length - done} bytes wrote nothing`);
    done += written;
  }
}

/**
 * Positional writes into the same inode: size, mode, owner and hard links stay as they
 * are. Patches that lie close together go out as one read-overlay-write of the span
 * they cover (an archive with 20,000 members is a few dozen writes, not 80,000).
 * Refuses if the file changed between planning and writing. The handle written through
 * goes to `durable`, which syncs it (at the end of the run, by default; now if `syncNow`).
 */
export async function applyPatches(at: Opened, runs: Runs, times: Times, durable: Durable, syncNow = false): Promise<void> {
  if (writeDelayMs > 0) await pause();
  await hold('before-write');
  const fh = await openForWrite(at.file, at.fh, at.folder);
  try {
    if (!sameVersion(fh.stat(), at.version)) throw changed();
    const span = writeDelayMs > 0 ? 0 : WRITE_SPAN;
    // One buffer for the file's spans, grown when a span needs more (not one per span).
    let spans = Buffer.alloc(0);
    // Runs come sorted by offset, adjacent patches already merged (Plan.writes).
    for (let i = 0; i < runs.count; ) {
      const start = runs.offset(i);
      let j = i;
      while (j + 1 < runs.count && runs.end(j + 1) - start <= span) j++;
      const end = runs.end(j);
      if (spans.length < end - start) spans = Buffer.allocUnsafe(end - start);
      // Every byte of it is set: read back between the patches, or (one run) all patch.
      const buf = spans.subarray(0, end - start);
      if (j > i) {
        const got = fh.fill(buf, start, buf.length);
        // A short read: the file shrank.
        if (got < buf.length) throw new Error(`short read at ${start + got}`);
      }
      for (let k = i; k <= j; k++) runs.copyInto(k, buf, start, runs.offset(k), runs.end(k));
      await writeAll(fh, buf, start);
      i = j + 1;
    }
    restoreTimes(fh, times);
  } catch (e) {
    fh.close();
    throw e;
  }
  await durable.keep(fh, at.file.path, syncNow);
}
