import t from 'tap';
import { linkSync, mkdirSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expandPaths, tempMark } from '../../src/core/walk.js';
import { tempDir } from '../helpers.js';

const none = { include: [], exclude: [] };

function tree(t: Parameters<typeof tempDir>[0]): string {
  const dir = tempDir(t);
  const outside = tempDir(t);
  mkdirSync(path.join(dir, 'sub', 'deep'), { recursive: true });
  writeFileSync(path.join(dir, 'a.a'), 'a');
  writeFileSync(path.join(dir, 'sub', 'b.gz'), 'b');
  writeFileSync(path.join(dir, 'sub', 'deep', 'c.o'), 'c');
  writeFileSync(path.join(dir, '.hidden'), 'h');
  writeFileSync(path.join(outside, 'secret.a'), 's');
  symlinkSync(path.join(outside, 'secret.a'), path.join(dir, 'link-to-file.a'));
  symlinkSync(outside, path.join(dir, 'link-to-dir'));
  linkSync(path.join(dir, 'a.a'), path.join(dir, 'hardlink.a'));
  return dir;
}

const rel = (dir: string, files: { path: string | Buffer }[]) => files.map((f) => path.relative(dir, String(f.path)));

t.test('a directory walk never follows symlinks and sees each inode once', async (t) => {
  const dir = tree(t);
  const { files, missing } = await expandPaths([dir], none);
  t.same(rel(dir, files), ['.hidden', 'a.a', 'sub/b.gz', 'sub/deep/c.o']);
  t.same(missing, []);
});

t.test('a symlink named on the command line is followed', async (t) => {
  const dir = tree(t);
  const { files } = await expandPaths([path.join(dir, 'link-to-file.a')], none);
  t.equal(files.length, 1);
});

t.test('glob patterns expand; directories they match are walked', async (t) => {
  const dir = tree(t);
  const { files } = await expandPaths([path.join(dir, 's*')], none);
  t.same(rel(dir, files), ['sub/b.gz', 'sub/deep/c.o']);
  const { missing } = await expandPaths([path.join(dir, '*.nothing')], none);
  t.same(missing.map((m) => m.message), ['no file matches this pattern']);
});

t.test('--include and --exclude match the path inside the walked tree, or the base name', async (t) => {
  const dir = tree(t);
  const only = await expandPaths([dir], { include: ['*.gz', '*.o'], exclude: [] });
  t.same(rel(dir, only.files), ['sub/b.gz', 'sub/deep/c.o']);
  const but = await expandPaths([dir], { include: [], exclude: ['sub/deep/**', '.*'] });
  t.same(rel(dir, but.files), ['a.a', 'sub/b.gz']);
});

t.test('a missing path is reported, the others still expand', async (t) => {
  const dir = tree(t);
  const { files, missing } = await expandPaths([path.join(dir, 'nope'), path.join(dir, 'a.a')], none);
  t.equal(files.length, 1);
  t.same(missing.map((m) => m.message), ['no such file or directory']);
});

t.test('names that are not UTF-8 are kept as bytes, so the file can still be opened', async (t) => {
  const dir = tempDir(t);
  const raw = Buffer.concat([Buffer.from(dir + '/bad-'), Buffer.from([0xff, 0xfe]), Buffer.from('.a')]);
  writeFileSync(raw, 'x');
  writeFileSync(path.join(dir, 'new\nline.a'), 'y');
  const { files } = await expandPaths([dir], none);
  t.equal(files.length, 2);
  const bytes = files.find((f) => Buffer.isBuffer(f.path));
  t.ok(bytes && Buffer.compare(bytes.path as Buffer, raw) === 0, 'the non-UTF-8 name comes back as its exact bytes');
  t.ok(files.some((f) => f.path === path.join(dir, 'new\nline.a')), 'a valid UTF-8 name with a newline stays a string');
});

t.test('a temporary file of a killed rewrite is removed only when asked, and only when provably ours', async (t) => {
  const dir = tempDir(t);
  const jar = path.join(dir, 'app.jar');
  writeFileSync(jar, 'j');
  // pid 2^22+1 is above the default pid_max, so no process has it.
  const dead = 4194305;
  const ours = `.app.jar.unstamp-${dead}-${tempMark(dead, 'app.jar')}.tmp`;
  const random = `.app.jar.unstamp-${dead}-0123456789ab.tmp`;
  const live = `.app.jar.unstamp-${process.pid}-${tempMark(process.pid, 'app.jar')}.tmp`;
  for (const n of [ours, random, live]) writeFileSync(path.join(dir, n), 'partial');

  const check = await expandPaths([dir], none);
  t.same(rel(dir, check.files), ['app.jar'], 'no temporary file is handed to a format');
  t.same(check.removed, [], 'and none is removed unless asked (check, explain)');
  t.equal(readdirSync(dir).length, 4);

  const excluded = await expandPaths([dir], { include: [], exclude: ['*.tmp'], removeStale: true });
  t.same(excluded.removed, [], 'an excluded temporary file is not touched');
  const notSelected = await expandPaths([dir], { include: ['*.gz'], exclude: [], removeStale: true });
  t.same(notSelected.removed, [], 'nor one whose file is not selected');
  t.equal(readdirSync(dir).length, 4);

  const normalize = await expandPaths([dir], { include: [], exclude: [], removeStale: true });
  t.same(rel(dir, normalize.removed), [ours], 'only the one unstamp made here, by a process now gone, is removed');
  t.match(normalize.removed[0].message, /^removed: the temporary file of an unstamp rewrite of app\.jar that was killed \(pid 4194305, gone\)$/);
  t.same(readdirSync(dir).sort(), [live, random, 'app.jar'].sort(), 'the live run\'s file and the unproven one are kept');
});
