// Files a planner reads beside the one it plans (PlanContext.sibling), read-only and bounded.
import { lstat, open } from 'node:fs/promises';
import { constants } from 'node:fs';
import nodePath from 'node:path';
import { MAX_SIBLING, type SiblingFile } from './format.js';
import type { OnDisk } from './plan.js';
import { baseOf, dirOf } from './paths.js';
import { Folder, idOf, sameId } from './folder.js';
import type { Target } from './open.js';

/**
 * Another file a planner reads beside this one (PlanContext.sibling): a name in the file's
 * folder, or one folder up ("../mod.py"). The lookup starts from the folder the walk found
 * the file in, held open and checked to be that folder; ".." is that folder's parent, taken only
 * if its entry of that name is the held folder itself (Folder.parent); the last name is opened
 * with O_NOFOLLOW (a symlink is never followed) and O_NONBLOCK (a FIFO put there cannot
 * hang the run), and must be a regular file of at most MAX_SIBLING bytes. It is only read.
 * Anything else, or any error, gives undefined: the planner goes on without it.
 */
async function readSibling(file: Target, held: Folder | undefined, relative: string): Promise<SiblingFile | undefined> {
  const parts = relative.split('/');
  const name = parts.pop() ?? '';
  if (name === '' || name === '.' || name === '..' || name.includes('\0') || parts.length > 1 || parts.some((p) => p !== '..')) return undefined;
  // Opened here (then closed here): the parent, or the folder of a file without a walk.
  let opened: Folder | undefined;
  try {
    let folder: Folder | undefined = held ?? (opened = await Folder.open(dirOf(file.path), true));
    if (parts.length === 1) {
      const up = await folder.parent();
      await opened?.close();
      folder = opened = up;
      if (!folder) return undefined;
    }
    const at = folder.at(name);
    const st = await lstat(at, { bigint: true });
    if (!st.isFile() || st.size > BigInt(MAX_SIBLING)) return undefined;
    const fh = await open(at, constants.O_RDONLY | constants.O_NOFOLLOW | (constants.O_NONBLOCK ?? 0));
    try {
      const now = await fh.stat({ bigint: true });
      if (!now.isFile() || !sameId(idOf(now), idOf(st)) || now.size > BigInt(MAX_SIBLING)) return undefined;
      const bytes = await fh.readFile();
      // Written while being read: what was read is not the file its stat describes.
      const after = await fh.stat({ bigint: true });
      if (bytes.length !== Number(now.size) || after.mtimeNs !== now.mtimeNs || after.ctimeNs !== now.ctimeNs) return undefined;
      return { bytes, size: bytes.length, mtimeNs: now.mtimeNs };
    } finally {
      await fh.close();
    }
  } catch {
    return undefined;
  } finally {
    await opened?.close();
  }
}

/** A whole file's name and its folder's (resolved, so "x.pyc" run inside a folder still names it); text names only. */
function namesOf(file: Target): OnDisk['file'] {
  const name = baseOf(file.path);
  const dir = dirOf(file.path);
  if (typeof name !== 'string' || typeof dir !== 'string') return undefined;
  return { name, folder: nodePath.basename(nodePath.resolve(dir)) };
}

export const onDisk = (file: Target, folder: Folder | undefined): OnDisk => ({ file: namesOf(file), sibling: (relative) => readSibling(file, folder, relative) });
