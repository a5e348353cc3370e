// Folder.parent, which PlanContext.sibling uses for "../mod.py": the folder above a held
// folder, taken only if its entry of that name still is the held folder.
import t from 'tap';
import { mkdirSync, renameSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { Folder } from '../../src/core/folder.js';
import { tempDir } from '../helpers.js';

t.test('the parent of a held folder, found again by device and inode', async (t) => {
  const root = tempDir(t);
  mkdirSync(path.join(root, 'pkg', '__pycache__'), { recursive: true });
  const held = await Folder.open(path.join(root, 'pkg', '__pycache__'), true);
  t.teardown(() => held.close());
  const up = await held.parent();
  t.ok(up, 'found');
  const again = await Folder.open(path.join(root, 'pkg'), true);
  t.same(up!.id, again.id, 'it is pkg');
  await Promise.all([up!.close(), again.close()]);
});

t.test('a held folder moved away, or replaced by another of its name: no parent', async (t) => {
  const root = tempDir(t);
  mkdirSync(path.join(root, 'pkg', '__pycache__'), { recursive: true });
  const held = await Folder.open(path.join(root, 'pkg', '__pycache__'), true);
  t.teardown(() => held.close());
  renameSync(path.join(root, 'pkg'), path.join(root, 'moved'));
  t.equal(await held.parent(), undefined, 'its path leads nowhere now');
  mkdirSync(path.join(root, 'pkg', '__pycache__'), { recursive: true });
  t.equal(await held.parent(), undefined, 'pkg/__pycache__ is another folder now: pkg is not its parent');
});

t.test('a folder reached through a symlink as its last name: the entry is a symlink, no parent', async (t) => {
  const root = tempDir(t);
  mkdirSync(path.join(root, 'real', '__pycache__'), { recursive: true });
  symlinkSync(path.join(root, 'real', '__pycache__'), path.join(root, 'cache-link'));
  const held = await Folder.open(path.join(root, 'cache-link'), true);
  t.teardown(() => held.close());
  t.equal(await held.parent(), undefined, 'root/cache-link is a symlink, never followed');
});
