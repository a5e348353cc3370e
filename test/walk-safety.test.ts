// The tree is the limit (README "Safety"): a glob does not lead out of it through a
// symlinked folder, a folder swapped for a symlink after the walk leads nowhere, and
// unstamp deletes no file it did not write.
import t from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bin, cli, samples, sha256, tempDir } from './helpers.js';

const GZ = path.join(samples, 'gzip/gnu/a/hello.txt.gz');
const JAR = path.join(samples, 'zip/jar/a/demo.jar');

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Start the CLI (or `command` wrapping it) without waiting for it. */
function start(args: string[], env: NodeJS.ProcessEnv, command: string[] = [process.execPath, bin]): Promise<Child> {
  return new Promise((resolve) => {
    const p = spawn(command[0], [...command.slice(1), ...args], { env: { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '', ...env } });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Resolves once the run has announced it reached its hook (it wrote the marker file). */
async function reached(marker: string, run: Promise<Child>): Promise<void> {
  let ended = false;
  void run.then(() => (ended = true));
  while (!existsSync(marker)) {
    if (ended) throw new Error(`the run ended before its hook: ${JSON.stringify(await run)}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** tree/in/in.gz inside the tree, outside/out.gz next to it, both needing normalization. */
function layout(t: Parameters<typeof tempDir>[0]): { dir: string; tree: string; outside: string } {
  const dir = tempDir(t);
  const tree = path.join(dir, 'tree');
  const outside = path.join(dir, 'outside');
  mkdirSync(path.join(tree, 'in'), { recursive: true });
  mkdirSync(outside);
  cpSync(GZ, path.join(tree, 'in', 'in.gz'));
  cpSync(GZ, path.join(outside, 'out.gz'));
  return { dir, tree, outside };
}

t.test('a glob does not reach out of the tree through a symlinked folder', async (t) => {
  const original = sha256(GZ);
  for (const pattern of ['tree/**/*.gz', 'tree/*/*.gz', 'tree/*/out.gz', '{tree,tree/in}/**/*.gz']) {
    const { dir, tree, outside } = layout(t);
    symlinkSync('../outside', path.join(tree, 'dirlink'));
    const r = cli(['--epoch', '0', pattern], { cwd: dir });
    t.equal(r.code, 0, `${pattern}: exit 0 ${r.stderr}`);
    t.equal(sha256(path.join(outside, 'out.gz')), original, `${pattern}: outside/out.gz is untouched`);
    t.notMatch(r.stdout, /out\.gz/, `${pattern}: and not reported`);
    if (pattern !== 'tree/*/out.gz') t.not(sha256(path.join(tree, 'in', 'in.gz')), original, `${pattern}: the file inside the tree is normalized`);
  }
  const { tree, outside } = layout(t);
  symlinkSync('../outside', path.join(tree, 'dirlink'));
  const absolute = cli(['--epoch', '0', path.join(tree, '**', '*.gz')]);
  t.equal(absolute.code, 0);
  t.equal(sha256(path.join(outside, 'out.gz')), original, 'an absolute pattern: outside/out.gz is untouched');
  const named = cli(['--epoch', '0', path.join(tree, 'dirlink', '*.gz')]);
  t.equal(named.code, 0, named.stderr);
  t.not(sha256(path.join(outside, 'out.gz')), original, 'a symlink the pattern names literally is followed, as documented');
});

t.test('a folder swapped for a symlink after the walk leads nowhere', async (t) => {
  const cases: { name: string; args: (tree: string) => string[]; file: string; src: string }[] = [
    { name: 'walked tree', args: (tree) => [tree], file: 'x.gz', src: GZ },
    { name: 'named file', args: (tree) => [path.join(tree, 'sub', 'x.gz')], file: 'x.gz', src: GZ },
    { name: 'glob', args: (tree) => [path.join(tree, '**', '*.gz')], file: 'x.gz', src: GZ },
    { name: 'whole-file rewrite', args: (tree) => ['--zip-order', 'name', tree], file: 'x.jar', src: JAR },
  ];
  for (const c of cases) {
    const dir = tempDir(t);
    const tree = path.join(dir, 'tree');
    const outside = path.join(dir, 'outside');
    mkdirSync(path.join(tree, 'sub'), { recursive: true });
    mkdirSync(outside);
    cpSync(c.src, path.join(tree, 'sub', c.file));
    cpSync(c.src, path.join(outside, c.file));
    const marker = path.join(dir, 'walked');
    const run = start(['--epoch', '0', ...c.args(tree)], { UNSTAMP_DEBUG_AFTER_WALK: marker });
    await reached(marker, run);
    renameSync(path.join(tree, 'sub'), path.join(tree, 'moved'));
    symlinkSync('../outside', path.join(tree, 'sub'));
    writeFileSync(`${marker}.go`, '');
    const r = await run;
    t.equal(r.code, 3, `${c.name}: exit 3`);
    t.match(r.stderr, new RegExp(`sub/${c.file}: changed on disk during the run \\(a folder on its path is no longer the one the walk found\\); not written, run unstamp on it again; left untouched`), `${c.name}: reported`);
    t.equal(sha256(path.join(outside, c.file)), sha256(c.src), `${c.name}: the file outside the tree is untouched`);
    t.equal(sha256(path.join(tree, 'moved', c.file)), sha256(c.src), `${c.name}: the file the walk found is untouched too`);
    t.same(readdirSync(outside), [c.file], `${c.name}: no temporary file outside`);
  }
});

t.test('a folder swapped for a symlink just before a rewrite renames: the rename stays in the folder the walk found', async (t) => {
  const dir = tempDir(t);
  const tree = path.join(dir, 'tree');
  const outside = path.join(dir, 'outside');
  mkdirSync(path.join(tree, 'sub'), { recursive: true });
  mkdirSync(outside);
  cpSync(JAR, path.join(tree, 'sub', 'x.jar'));
  cpSync(JAR, path.join(outside, 'x.jar'));
  const expected = path.join(dir, 'expected.jar');
  cpSync(JAR, expected);
  t.equal(cli(['--epoch', '0', '--zip-order', 'name', expected]).code, 0);
  const marker = path.join(dir, 'rename');
  const run = start(['--epoch', '0', '--zip-order', 'name', tree], { UNSTAMP_DEBUG_BEFORE_RENAME: marker });
  await reached(marker, run);
  renameSync(path.join(tree, 'sub'), path.join(tree, 'moved'));
  symlinkSync('../outside', path.join(tree, 'sub'));
  writeFileSync(`${marker}.go`, '');
  const r = await run;
  t.equal(sha256(path.join(outside, 'x.jar')), sha256(JAR), 'the file outside the tree is untouched');
  t.same(readdirSync(outside), ['x.jar'], 'and nothing was renamed into its folder');
  if (process.platform === 'linux') {
    t.equal(r.code, 0, r.stderr);
    t.equal(sha256(path.join(tree, 'moved', 'x.jar')), sha256(expected), 'the rename went into the folder held open');
    t.same(readdirSync(path.join(tree, 'moved')), ['x.jar'], 'no temporary file is left');
  }
});
