// Opening the file the walk found, through the folder it was found in, and nothing else.
import { open, type FileHandle } from 'node:fs/promises';
import { constants, type BigIntStats } from 'node:fs';
import { NotWritten } from './errors.js';
import { baseOf, dirOf, type FilePath } from './paths.js';
import type { WalkFile } from './walk.js';
import { Folder, idOf, sameId } from './folder.js';

/** Open flags: a file found by walking a tree must not have become a symlink since. */
export const readFlags = (walked: boolean) => constants.O_RDONLY | (walked ? constants.O_NOFOLLOW : 0);
export const writeFlags = (walked: boolean) => constants.O_RDWR | (walked ? constants.O_NOFOLLOW : 0);

/** Identity and content version of a file: if any of these moved, someone else wrote it. */
export function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** A file to open: as the walk found it, or (a library call on one path) just its path. */
export type Target = Pick<WalkFile, 'path' | 'walked'> & Partial<Pick<WalkFile, 'id' | 'dir'>>;

/** Another writer got there first (the file was replaced, or written since it was planned). */
export const changed = () => new NotWritten('changed on disk while it was being planned (size, mtime or inode moved); not written, run unstamp on it again');
/** A folder on the path was swapped (for a symlink, say): the name now leads elsewhere. */
export const moved = () => new NotWritten('changed on disk during the run (a folder on its path is no longer the one the walk found); not written, run unstamp on it again');

/** The folder the walk found the file in, held open, once checked to be that folder (none without a walk). */
export async function folderOf(file: Target): Promise<Folder | undefined> {
  if (!file.dir) return undefined;
  const folder = await Folder.open(dirOf(file.path), true);
  if (sameId(folder.id, file.dir)) return folder;
  await folder.close();
  throw moved();
}

/** Where to find the file by name: through its folder when held. */
export const lookup = (file: Target, folder: Folder | undefined): FilePath => (folder ? folder.at(baseOf(file.path)) : file.path);

/** Open the file the walk found, by its name in its folder, and refuse any other file the name leads to now. */
export async function openFile(file: Target, flags: number, held?: Folder): Promise<FileHandle> {
  const folder = held ?? (await folderOf(file));
  try {
    const fh = await open(lookup(file, folder), flags);
    if (file.id && !sameId(idOf(await fh.stat({ bigint: true })), file.id)) {
      await fh.close();
      throw changed();
    }
    return fh;
  } finally {
    if (!held) await folder?.close();
  }
}
