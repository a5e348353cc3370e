// The tree is the limit (README "Safety"): a glob does not lead out of it through a
// symlinked folder, a folder swapped for a symlink after the walk leads nowhere, and
// unstamp deletes no file it did not write.
import t from 'tap';
import type { Test } from 'tap';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bin, cli, samples, sha256, tempDir } from './helpers.js';
import { alive } from '../src/core/walk.js';

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

/** `src` copied to tree/<inside> and outside/<outsideName>, side by side in a new folder (default: tree/in/in.gz, outside/out.gz). */
function layout(t: Parameters<typeof tempDir>[0], src = GZ, inside = 'in/in.gz', outsideName = 'out.gz'): { dir: string; tree: string; outside: string } {
  const dir = tempDir(t);
  const tree = path.join(dir, 'tree');
  const outside = path.join(dir, 'outside');
  mkdirSync(path.dirname(path.join(tree, inside)), { recursive: true });
  mkdirSync(outside);
  cpSync(src, path.join(tree, inside));
  cpSync(src, path.join(outside, outsideName));
  return { dir, tree, outside };
}

t.test('a glob does not reach out of the tree through a symlinked folder', async (t) => {
  const original = sha256(GZ);
  // ** (glob follows one symlinked folder), * (any), and brace alternatives; relative and absolute.
  for (const pattern of ['tree/*/out.gz', '{tree,tree/in}/**/*.gz', '<dir>/tree/**/*.gz']) {
    const { dir, tree, outside } = layout(t);
    symlinkSync('../outside', path.join(tree, 'dirlink'));
    const r = cli(['--epoch', '0', pattern.replace('<dir>', dir)], { cwd: dir });
    t.equal(r.code, 0, `${pattern}: exit 0 ${r.stderr}`);
    t.equal(sha256(path.join(outside, 'out.gz')), original, `${pattern}: outside/out.gz is untouched`);
    t.notMatch(r.stdout, /out\.gz/, `${pattern}: and not reported`);
    if (pattern !== 'tree/*/out.gz') t.not(sha256(path.join(tree, 'in', 'in.gz')), original, `${pattern}: the file inside the tree is normalized`);
  }
  const { tree, outside } = layout(t);
  symlinkSync('../outside', path.join(tree, 'dirlink'));
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
  const { dir, tree, outside } = layout(t, JAR, 'sub/x.jar', 'x.jar');
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

const temporaries = (dir: string) => readdirSync(dir).filter((n) => /\.unstamp-\d+-[0-9a-f]{12}\.tmp$/.test(n));

t.test('no run deletes a file named like a temporary file that unstamp cannot prove it left', async (t) => {
  const dir = tempDir(t);
  cpSync(GZ, path.join(dir, 'app.gz'));
  // A dead pid (above any pid_max) and a mark unstamp never made for this file.
  const name = '.app.gz.unstamp-4194305-0123456789ab.tmp';
  writeFileSync(path.join(dir, name), "the user's own bytes");
  t.equal(cli(['check', '--epoch', '0', dir]).code, 1, 'check: exit 1');
  t.ok(existsSync(path.join(dir, name)), 'check (which writes nothing) deletes nothing');
  t.equal(cli(['--epoch', '0', '--exclude', '*.tmp', dir]).code, 0);
  t.ok(existsSync(path.join(dir, name)), 'a normalize run does not touch an excluded file');
  const r = cli(['--epoch', '0', dir]);
  t.equal(r.code, 0);
  t.equal(readFileSync(path.join(dir, name), 'utf8'), "the user's own bytes", 'nor a file it did not make');
  t.notMatch(r.stderr, /removed/);
});

/** x.jar in a folder of its own to rewrite (--zip-order name), what it becomes run alone, and a marker path for the before-rename hook. */
function rewriteCase(t: Test): { dir: string; expected: string; marker: string } {
  const dir = tempDir(t);
  cpSync(JAR, path.join(dir, 'x.jar'));
  const expected = path.join(tempDir(t), 'x.jar');
  cpSync(JAR, expected);
  t.equal(cli(['--epoch', '0', '--zip-order', 'name', expected]).code, 0);
  return { dir, expected, marker: path.join(tempDir(t), 'rename') };
}

t.test('a temporary file left by a killed rewrite: kept by check and --exclude, removed and reported by the next run', async (t) => {
  const { dir, expected, marker } = rewriteCase(t);
  const run = start(['--epoch', '0', '--zip-order', 'name', dir], { UNSTAMP_DEBUG_BEFORE_RENAME: marker });
  await reached(marker, run);
  const victim = Number(readFileSync(marker, 'utf8'));
  // Never kill(0) or a negative pid: that is this whole process group.
  if (!(victim > 0)) throw new Error(`the hook's marker holds no pid: ${JSON.stringify(readFileSync(marker, 'utf8'))}`);
  process.kill(victim, 'SIGKILL');
  await run;
  const [temp] = temporaries(dir);
  t.ok(temp, 'the killed rewrite left its temporary file');
  t.equal(cli(['check', '--epoch', '0', '--zip-order', 'name', dir]).code, 1);
  t.same(temporaries(dir), [temp], 'check leaves it');
  t.equal(cli(['--epoch', '0', '--zip-order', 'name', '--exclude', '*.tmp', dir]).code, 0);
  t.same(temporaries(dir), [temp], 'a run that excludes it leaves it');
  const r = cli(['--epoch', '0', '--zip-order', 'name', dir]);
  t.equal(r.code, 0, r.stderr);
  t.same(temporaries(dir), [], 'a normalize run that selects it removes it');
  const pid = /\.unstamp-(\d+)-/.exec(temp)![1];
  t.match(r.stderr, new RegExp(`^unstamp: .*/\\.x\\.jar\\.unstamp-${pid}-[0-9a-f]{12}\\.tmp: warning: removed: the temporary file of an unstamp rewrite of x\\.jar that was killed \\(pid ${pid}, gone\\)$`, 'm'), 'and says so');
  t.equal(sha256(path.join(dir, 'x.jar')), sha256(expected), 'the file ends as an uninterrupted run leaves it');
});

t.test('a check in another PID namespace leaves the temporary file of a live rewrite alone', async (t) => {
  const unshare = ['unshare', '--pid', '--fork', '--mount-proc', 'sh', '-c', 'echo 4194200 > /proc/sys/kernel/ns_last_pid; "$@"; exit $?', 'sh'];
  if (process.getuid?.() !== 0 || spawnSync(unshare[0], [...unshare.slice(1), 'true']).status !== 0) return t.skip('needs root and unshare');
  const { dir, expected, marker } = rewriteCase(t);
  // The rewrite runs in a PID namespace of its own (a container), stopped before its rename.
  const run = start(['--epoch', '0', '--zip-order', 'name', dir], { UNSTAMP_DEBUG_BEFORE_RENAME: marker }, [...unshare, process.execPath, bin]);
  await reached(marker, run);
  const [temp] = temporaries(dir);
  const pid = Number(/\.unstamp-(\d+)-/.exec(temp)![1]);
  if (alive(pid)) {
    writeFileSync(`${marker}.go`, '');
    await run;
    return t.skip(`pid ${pid} of the other namespace also exists in this one`);
  }
  t.equal(cli(['check', '--epoch', '0', '--zip-order', 'name', dir]).code, 1, 'check here: exit 1');
  t.equal(cli(['--epoch', '0', '--exclude', '*.jar', dir]).code, 0);
  t.same(temporaries(dir), [temp], 'neither check nor a normalize run here touches the live temporary file');
  writeFileSync(`${marker}.go`, '');
  const r = await run;
  t.equal(r.code, 0, `the rewrite in the other namespace completes: ${r.stderr}`);
  t.equal(sha256(path.join(dir, 'x.jar')), sha256(expected));
  t.same(temporaries(dir), []);
});
