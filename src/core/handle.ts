// A file open by descriptor, worked with through synchronous calls on the main thread.
import { closeSync, fchmodSync, fchownSync, fstatSync, fsync, futimesSync, openSync, readSync, writeSync, type BigIntStats } from 'node:fs';
import type { FilePath } from './paths.js';

/**
 * Each call is one system call, made right here: a file's open, fstat, a few reads, a write,
 * futimes and close take microseconds each on a cached file, where going through the thread
 * pool and a promise per call (fs/promises) cost more than the calls themselves and made the
 * per-file cost of a tree of thousands of small files (issue 17). The run yields to the event
 * loop between files (engine.ts), so output errors and signals are still seen. Only fsync,
 * which waits for the disk, goes to the thread pool.
 */
export class Handle {
  private closed = false;

  private constructor(readonly fd: number) {}

  static open(path: FilePath, flags: number | string, mode?: number): Handle {
    return new Handle(openSync(path, flags, mode));
  }

  stat(): BigIntStats {
    return fstatSync(this.fd, { bigint: true });
  }

  /** Up to `want` bytes at `from` into the start of `buf`, read until done: fewer only at the end of the file. */
  fill(buf: Buffer, from: number, want: number): number {
    let got = 0;
    while (got < want) {
      const n = readSync(this.fd, buf, got, want - got, from + got);
      if (n === 0) break;
      got += n;
    }
    return got;
  }

  /** Up to `length` bytes of `buf` at `offset`, at `position` (null: the current position). */
  write(buf: Buffer, offset: number, length: number, position: number | null): number {
    return writeSync(this.fd, buf, offset, length, position);
  }

  utimes(atime: string, mtime: string): void {
    // A numeric string, as utimesArg gives: Node takes it as it is, where a negative number would become "now".
    futimesSync(this.fd, atime, mtime);
  }

  chown(uid: number, gid: number): void {
    fchownSync(this.fd, uid, gid);
  }

  chmod(mode: number): void {
    fchmodSync(this.fd, mode);
  }

  /**
   * fsync, the one call made in the thread pool: it waits for the disk, and meanwhile other
   * files go on (several synced at once also let the file system commit them together).
   */
  sync(): Promise<void> {
    return new Promise((resolve, reject) => fsync(this.fd, (e) => (e ? reject(e) : resolve())));
  }

  /** Close once; later calls do nothing. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}
