// When the bytes written in place reach the disk: once, at the end of a run, not file by file.
import type { Handle } from './handle.js';
import type { FilePath } from './paths.js';

/**
 * 'end' (the default): every file written in place is synced once the run is done, all at
 * once; 'each': each one before its report (slower: every file waits for the disk);
 * 'none': left to the kernel's own writeback (scratch trees, tmpfs).
 */
export type SyncMode = 'each' | 'end' | 'none';

/** Handles kept open for the end of the run beyond this many are synced and closed right away. */
const HELD = 256;

/** A file written in place whose sync at the end failed: its new bytes may not be on disk. */
export interface SyncFailure {
  path: FilePath;
  error: unknown;
}

/**
 * The files a run wrote in place, each held open until flush() syncs (fsync: data and
 * the times set) and closes it. Syncing many files at once lets the file system commit
 * them together, where an fsync per file made every file wait for the disk. A kill -9
 * loses nothing here (what was written is in the page cache); only a power cut before
 * the flush can.
 */
export class Durable {
  private held: { fh: Handle; path: FilePath }[] = [];
  private readonly failed: SyncFailure[] = [];

  constructor(readonly mode: SyncMode = 'end') {}

  /**
   * Take over `fh`, the handle a file was written through (or one on the same file). With
   * 'each', or `now` (a file that must be on disk before another is written: a PDB before
   * its PE), it is synced now and a failure is the file's; else a failure comes from flush().
   */
  async keep(fh: Handle, path: FilePath, now = false): Promise<void> {
    if (this.mode === 'end' && !now) {
      this.held.push({ fh, path });
      if (this.held.length >= HELD) await this.flush();
      return;
    }
    try {
      if (this.mode !== 'none') await fh.sync();
    } finally {
      fh.close();
    }
  }

  /** Sync and close every handle kept so far: the syncs in the thread pool, several at once. */
  async flush(): Promise<void> {
    const batch = this.held;
    this.held = [];
    await Promise.all(
      batch.map(async ({ fh, path }) => {
        try {
          await fh.sync();
        } catch (error) {
          this.failed.push({ path, error });
        } finally {
          try {
            fh.close();
          } catch {
            // Nothing to do: a close that fails after the sync loses nothing the sync did not.
          }
        }
      }),
    );
  }

  /** The syncs that failed so far (each file once), emptied as they are read. */
  failures(): SyncFailure[] {
    return this.failed.splice(0);
  }
}
