// The report as a stream (README "Exit codes"): a write error on stdout other than a closed
// pipe stops the run cleanly (exit 3) instead of killing it mid-tree.
import t from 'tap';
import { spawn } from 'node:child_process';
import { closeSync, cpSync, existsSync, openSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { bin, cli, samples, sha256, tempDir } from './helpers.js';

const env = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '' };

interface Child {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI with stdout on the given fd, or a pipe watched by `onStdout`. */
function start(args: string[], opts: { stdout?: number; env?: NodeJS.ProcessEnv; onStdout?: (text: string, p: ReturnType<typeof spawn>) => void } = {}): Promise<Child> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...env, ...opts.env }, stdio: ['ignore', opts.stdout ?? 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout?.on('data', (d) => {
      stdout += d;
      opts.onStdout?.(stdout, p);
    });
    p.stderr?.on('data', (d) => (stderr += d));
    p.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Every file under dir -> sha256. */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (e.isFile()) out.set(path.relative(dir, path.join(e.parentPath, e.name)), sha256(path.join(e.parentPath, e.name)));
  }
  return out;
}

/** Samples that all change when normalized, in walk order: ar, gzip, a PE with its PDB, Mach-O, zips. */
const TREE = ['ar/gnu', 'gzip/gnu', 'macho/arm64-exe', 'pe/lld-exe', 'zip/jar', 'zip/python'];

function makeTree(dir: string): string {
  for (const rel of TREE) cpSync(path.join(samples, rel, 'a'), path.join(dir, rel), { recursive: true });
  return dir;
}

/** The tree before, and what a full run makes of it (made once, in a folder of its own). */
const reference = (() => {
  let made: { original: Map<string, string>; expected: Map<string, string> } | undefined;
  return () => {
    if (made) return made;
    const original = snapshot(makeTree(tempDir(t)));
    const done = makeTree(tempDir(t));
    const full = cli(['--epoch', '0', done]);
    if (full.code !== 0) throw new Error(`the reference run failed: ${full.stderr}`);
    return (made = { original, expected: snapshot(done) });
  };
})();

{
  t.test(`stdout on /dev/full: the files in flight finish, the rest are not started, exit 3 with one line on stderr`, { skip: !existsSync('/dev/full') && 'no /dev/full' }, async (t) => {
    const { original, expected } = reference();
    t.ok([...original].every(([f, h]) => expected.get(f) !== h), 'every file of the tree changes when normalized');
    const dir = makeTree(tempDir(t));
    const full = openSync('/dev/full', 'w');
    const r = await start(['--epoch', '0', '-j', '1', dir], { stdout: full });
    closeSync(full);
    t.equal(r.code, 3, 'exit 3');
    const line = /^unstamp: stdout: write failed \(ENOSPC\); the report is incomplete; stopped after the files in flight, (\d+) files not processed\n$/.exec(r.stderr);
    t.ok(line, `one line on stderr, no stack trace: ${JSON.stringify(r.stderr)}`);
    const after = snapshot(dir);
    const torn = [...after].filter(([f, h]) => h !== original.get(f) && h !== expected.get(f)).map(([f]) => f);
    t.same(torn, [], 'every file is either untouched or fully normalized');
    const untouched = [...after].filter(([f, h]) => h === original.get(f)).length;
    t.ok(untouched > 0, `the run stopped early: ${untouched} of ${after.size} files untouched`);
    t.equal(Number(line?.[1]), untouched, 'the count on stderr is the files left untouched');
    t.equal(cli(['--epoch', '0', dir]).code, 0, 'a re-run finishes the job');
    t.same(snapshot(dir), expected);
  });
}

t.test('a reader that closes the pipe (unstamp build/ | head -1): output stops, the run goes on', async (t) => {
  const { expected } = reference();
  const dir = makeTree(tempDir(t));
  let closedAt = '';
  const r = await start(['--epoch', '0', '-j', '1', dir], {
    // Slowed down, so the files after the first are written once the pipe is closed.
    env: { UNSTAMP_DEBUG_WRITE_DELAY_MS: '20' },
    onStdout: (text, p) => {
      if (closedAt || !text.includes('\n')) return;
      closedAt = text;
      p.stdout?.destroy();
    },
  });
  t.match(closedAt, /^normalized {4}\S+libdemo\.a/, 'the reader saw the first line and closed');
  t.equal(r.code, 0, 'exit 0');
  t.equal(r.stderr, '', 'nothing on stderr');
  t.same(snapshot(dir), expected, 'every file was normalized');
});
