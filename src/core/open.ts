// Opening the file the walk found, through the folder it was found in, and nothing else.
import { constants, type BigIntStats } from 'node:fs';
import { Handle } from './handle.js';
import { NotWritten } from './errors.js';
import { baseOf, dirOf, pathKey, type FilePath } from './paths.js';
import type { WalkFile } from './walk.js';
import type { FileSource } from './reader.js';
import { Folder, idOf, sameId, viaProc } from './folder.js';

/**
 * Open flags: a file found by walking a tree must not have become a symlink since. Read
 * opens are also non-blocking: a FIFO swapped in after the walk cannot hang the run (the
 * flag changes nothing for a regular file).
 */
export const readFlags = (walked: boolean) => constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (walked ? constants.O_NOFOLLOW : 0);
export const writeFlags = (walked: boolean) => constants.O_RDWR | (walked ? constants.O_NOFOLLOW : 0);

/** Identity and content version of a file: if any of these moved, someone else wrote it. */
export function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** A file to open: as the walk found it, or (a library call on one path) just its path. */
export type Target = Pick<WalkFile, 'path' | 'walked'> & Partial<Pick<WalkFile, 'id' | 'dir' | 'regular'>>;

/** A file open for planning and, in normalize mode, for the write that follows. */
export interface Opened {
  file: Target;
  /** Open for reading; a write goes through a second handle on the same file (openForWrite). */
  fh: Handle;
  /** Its stat, taken through the handle before anything read it. */
  version: BigIntStats;
  /** Reads of it, through `fh`. */
  source: FileSource;
  /** The folder it was found in, held (none without a walk). */
  folder: Folder | undefined;
}

/** Another writer got there first (the file was replaced, or written since it was planned). */
export const changed = () => new NotWritten('changed on disk while it was being planned (size, mtime or inode moved); not written, run unstamp on it again');
/** A folder on the path was swapped (for a symlink, say): the name now leads elsewhere. */
export const moved = () => new NotWritten('changed on disk during the run (a folder on its path is no longer the one the walk found); not written, run unstamp on it again');

/** The folder the walk found the file in, opened now and checked to be that folder (none without a walk). */
export async function folderOf(file: Target): Promise<Folder | undefined> {
  if (!file.dir) return undefined;
  const folder = await Folder.open(dirOf(file.path), true);
  if (sameId(folder.id, file.dir)) return folder;
  await folder.close();
  throw moved();
}

/** Folders held open beyond this many, and not in use, are closed (least recently used first). */
const FOLDERS_KEPT = 32;

/**
 * The folders of a run, each opened once (when the first file in it is opened), checked to
 * be the folder the walk found, and held until no file in it is in use and it falls out of
 * the most recently used few: the walk hands out a folder's files together, so a tree of
 * 10,000 files in 50 folders costs 50 folder opens, not 20,000. Since a name is looked up
 * through the handle (Folder.at), a folder swapped on its path after it was opened changes
 * nothing; one swapped before is refused (moved).
 */
export class Folders {
  private readonly slots = new Map<string, { folder: Promise<Folder>; users: number }>();

  /** The file's folder, held until release(file); none for a file without a walk. */
  async acquire(file: Target): Promise<Folder | undefined> {
    if (!file.dir) return undefined;
    const key = Folders.key(file);
    let slot = this.slots.get(key);
    if (slot) this.slots.delete(key);
    else {
      const made = { folder: folderOf(file) as Promise<Folder>, users: 0 };
      // A folder that could not be held is tried again by the next file in it.
      made.folder.catch(() => this.slots.get(key) === made && this.slots.delete(key));
      slot = made;
    }
    // Most recently used last (a Map keeps insertion order).
    this.slots.set(key, slot);
    slot.users++;
    try {
      return await slot.folder;
    } catch (e) {
      slot.users--;
      throw e;
    }
  }

  async release(file: Target): Promise<void> {
    if (!file.dir) return;
    const slot = this.slots.get(Folders.key(file));
    if (slot) slot.users--;
    const idle: Promise<Folder>[] = [];
    for (const [key, s] of this.slots) {
      if (this.slots.size <= FOLDERS_KEPT) break;
      if (s.users > 0) continue;
      this.slots.delete(key);
      idle.push(s.folder);
    }
    await Promise.all(idle.map(async (f) => (await f.catch(() => undefined))?.close()));
  }

  /** Close every folder still held (the end of a run, or of one file outside a run). */
  async close(): Promise<void> {
    const all = [...this.slots.values()];
    this.slots.clear();
    await Promise.all(all.map(async (s) => (await s.folder.catch(() => undefined))?.close()));
  }

  private static key(file: Target): string {
    return `${file.dir!.dev}:${file.dir!.ino}:${pathKey(dirOf(file.path))}`;
  }
}

/** Where to find the file by name: through its folder when held. */
export const lookup = (file: Target, folder: Folder | undefined): FilePath => (folder ? folder.at(baseOf(file.path)) : file.path);

/** Open the file the walk found, by its name in its folder, and refuse any other file the name leads to now. */
export async function openFile(file: Target, flags: number, held?: Folder): Promise<Handle> {
  const folder = held ?? (await folderOf(file));
  try {
    const fh = Handle.open(lookup(file, folder), flags);
    if (file.id && !sameId(idOf(fh.stat()), file.id)) {
      fh.close();
      throw changed();
    }
    return fh;
  } finally {
    if (!held) await folder?.close();
  }
}

/**
 * A handle to write the file `fh` (open for reading) is: on Linux the very same inode again
 * through /proc/self/fd, with no name looked up at all; elsewhere the file's name in its
 * folder, refused if it now leads to another file. Only files that change are opened for
 * writing, so a file watcher sees no write-close on the files left as they were.
 */
export async function openForWrite(file: Target, fh: Handle, folder: Folder | undefined): Promise<Handle> {
  if (viaProc) return Handle.open(`/proc/self/fd/${fh.fd}`, constants.O_RDWR);
  return openFile(file, writeFlags(file.walked), folder);
}
