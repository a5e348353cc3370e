// Names looked up inside a folder held open, so that a folder on the path swapped for a
// symlink cannot send a read, a write or a rename out of the tree. Node has no openat();
// on Linux /proc/self/fd/<fd>/<name> is the same lookup, relative to the folder held open.
// Elsewhere a name goes through the folder's path, and check() compares the folder the path
// leads to with the one held: that leaves a window between the check and the call.
import { constants, existsSync, lstatSync, statSync, type BigIntStats } from 'node:fs';
import path from 'node:path';
import { Handle } from './handle.js';
import { joinPath, type FilePath } from './paths.js';

/** Device and inode: what a file is, whatever its path leads to now. */
export interface FileId {
  dev: bigint;
  ino: bigint;
}

export const idOf = (st: BigIntStats): FileId => ({ dev: st.dev, ino: st.ino });
export const sameId = (a: FileId, b: FileId): boolean => a.dev === b.dev && a.ino === b.ino;

export const viaProc = process.platform === 'linux' && existsSync('/proc/self/fd');

// Linux's O_PATH (Node does not export it; this value holds on x86 and ARM): a handle to
// look names up in, which needs no read permission on the folder, just as a path does not.
const O_PATH = viaProc && (process.arch === 'x64' || process.arch === 'arm64' || process.arch === 'ia32' || process.arch === 'arm') ? 0o10000000 : 0;
const DIR_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | O_PATH;

export class Folder {
  private constructor(
    /** The path it was opened by (for messages, and for the lookups where /proc is missing). */
    readonly path: FilePath,
    readonly id: FileId,
    /** None on Windows, where a folder cannot be opened: names go through its path. */
    private readonly fh: Handle | undefined,
  ) {}

  /** Open the folder at `path`; a symlink as its last component is followed only if `follow`. */
  static async open(path: FilePath, follow: boolean): Promise<Folder> {
    return Folder.from(path, path, follow);
  }

  private static async from(path: FilePath, through: FilePath, follow: boolean): Promise<Folder> {
    if (process.platform === 'win32') {
      const st = (follow ? statSync : lstatSync)(through, { bigint: true });
      if (!st.isDirectory()) throw Object.assign(new Error(`not a folder: ${String(path)}`), { code: 'ENOTDIR', syscall: 'open' });
      return new Folder(path, idOf(st), undefined);
    }
    const fh = Handle.open(through, DIR_FLAGS | (follow ? 0 : constants.O_NOFOLLOW));
    try {
      return new Folder(path, idOf(fh.stat()), fh);
    } catch (e) {
      fh.close();
      throw e;
    }
  }

  /** The folder `name` in this one, never through a symlink. */
  sub(name: FilePath): Promise<Folder> {
    return Folder.from(joinPath(this.path, name), this.at(name), false);
  }

  /**
   * The folder holding this one, or undefined if that cannot be made sure of. Not through
   * "<handle>/..": on Linux that names /proc/<pid>/fd, not the folder's parent. The parent
   * is opened by path (the path this folder was opened by, made absolute, minus its last
   * name) and taken only if the name in it leads to this very folder (device and inode).
   */
  async parent(): Promise<Folder | undefined> {
    const full = path.resolve(typeof this.path === 'string' ? this.path : this.path.toString('latin1'));
    if (typeof this.path !== 'string' || full === path.dirname(full)) return undefined;
    const up = await Folder.open(path.dirname(full), true).catch(() => undefined);
    if (!up) return undefined;
    const self = await up.sub(path.basename(full)).catch(() => undefined);
    await self?.close();
    if (self && sameId(self.id, this.id)) return up;
    await up.close();
    return undefined;
  }

  /** A path to `name` in this folder (no name: the folder itself) that resolves through the handle where it can. */
  at(name?: FilePath): FilePath {
    const self = viaProc && this.fh ? `/proc/self/fd/${this.fh.fd}` : this.path;
    return name === undefined ? self : joinPath(self, name);
  }

  /** Whether names still resolve in this folder: always through /proc; else its path must still lead here. */
  async holds(): Promise<boolean> {
    if (viaProc && this.fh) return true;
    let now: BigIntStats | undefined;
    try {
      now = statSync(this.path, { bigint: true });
    } catch {
      now = undefined;
    }
    return now !== undefined && sameId(idOf(now), this.id);
  }

  async close(): Promise<void> {
    this.fh?.close();
  }
}
