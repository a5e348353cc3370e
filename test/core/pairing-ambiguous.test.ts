// One PDB, two executables carrying its GUID (app.exe and a post-processed copy of it).
// Which one the PDB follows must depend on names only, never on which file's key was
// read first: the same tree gives the same bytes on every run, and a PDB that cannot be
// told apart is left alone with a warning naming both executables.
import t from 'tap';
import { execFile } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { bin, cli, samples, sha256, tempDir } from '../helpers.js';
import { debugEntry, section } from '../pe-offsets.js';

const exe = readFileSync(path.join(samples, 'pe/lld-exe/a/app.exe'));
const pdb = path.join(samples, 'pe/lld-exe/a/app.pdb');

/** The CLI like helpers.ts cli, without blocking, so several runs overlap. */
function cliAsync(args: string[]): Promise<{ code: number; stderr: string }> {
  const env = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '' };
  return new Promise((resolve) => execFile(process.execPath, [bin, ...args], { env }, (e, _out, stderr) => resolve({ code: e ? Number(e.code ?? -1) : 0, stderr })));
}

/** The CodeView record: where the debug directory's first entry points (PointerToRawData). */
const codeView = (b: Buffer) => b.readUInt32LE(debugEntry(b) + 24);

/** app.exe with the last content byte of .rdata flipped (unwind data, past the debug directory and CodeView record). */
function patchedCopy(): Buffer {
  const rdata = section(exe, '.rdata');
  const at = rdata.offset + rdata.size - 1;
  if (at < codeView(exe) + 0x20) throw new Error('the flipped byte would fall in the CodeView record');
  const b = Buffer.from(exe);
  b[at] ^= 1;
  return b;
}

/** Normalize `files` (name -> bytes or sample path) alone in a folder: what a paired run must give. */
function alone(t: { teardown(fn: () => void): void }, files: Record<string, Buffer | string>): Record<string, string> {
  const dir = tempDir(t);
  for (const [name, what] of Object.entries(files)) {
    if (typeof what === 'string') cpSync(what, path.join(dir, name));
    else writeFileSync(path.join(dir, name), what);
  }
  const r = cli([dir]);
  if (r.code !== 0) throw new Error(`reference run failed: ${r.stderr}`);
  return Object.fromEntries(Object.keys(files).map((n) => [n, sha256(path.join(dir, n))]));
}

t.test('the PDB follows the executable named after it, the same way on every run', async (t) => {
  const want = alone(t, { 'app.exe': exe, 'app.pdb': pdb });
  const copyWant = alone(t, { 'app-patched.exe': patchedCopy() })['app-patched.exe'];
  const base = tempDir(t);
  const dirs = Array.from({ length: 20 }, (_, n) => path.join(base, `run${n}`));
  for (const dir of dirs) {
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'app.exe'), exe);
    writeFileSync(path.join(dir, 'app-patched.exe'), patchedCopy());
    cpSync(pdb, path.join(dir, 'app.pdb'));
  }
  // 20 separate runs on identical trees, four at a time to keep it quick.
  const runs: { code: number; stderr: string }[] = [];
  for (let n = 0; n < dirs.length; n += 4) runs.push(...(await Promise.all(dirs.slice(n, n + 4).map((d) => cliAsync(['-j', '4', d])))));
  t.same(runs.map((r) => r.code), dirs.map(() => 0), 'every run exits 0');
  const outcomes = new Set<string>();
  dirs.forEach((dir, n) => {
    const got = { 'app.exe': sha256(path.join(dir, 'app.exe')), 'app.pdb': sha256(path.join(dir, 'app.pdb')), 'app-patched.exe': sha256(path.join(dir, 'app-patched.exe')) };
    outcomes.add(JSON.stringify(got));
    if (n > 0) return;
    t.equal(got['app.pdb'], want['app.pdb'], 'the PDB is exactly what app.exe alone gives it');
    t.equal(got['app.exe'], want['app.exe'], 'app.exe as when normalized with its PDB alone');
    t.equal(got['app-patched.exe'], copyWant, 'the copy normalized on its own');
    t.equal(
      runs[n].stderr,
      `unstamp: ${dir}/app-patched.exe: warning: its PDB ${dir}/app.pdb (GUID {A3594769-3233-A892-4C4C-44205044422E}) goes with ${dir}/app.exe, which carries the same GUID, and will no longer match this file\n`,
      'the copy says where its PDB went',
    );
  });
  t.same(new Set(runs.map((r) => r.stderr.replaceAll(/run\d+/g, 'run'))).size, 1, 'the same warnings every run');
  t.equal(outcomes.size, 1, `20 runs, ${outcomes.size} different outcome(s)`);
});

t.test('the PDB follows the executable whose CodeView record names it', async (t) => {
  // tool.exe: the copy, its CodeView PDB path changed from app.pdb to bpp.pdb (same length).
  const tool = patchedCopy();
  const name = codeView(tool) + 24;
  t.equal(tool.toString('latin1', name, name + 8), 'app.pdb\0');
  tool.write('b', name, 'latin1');
  const want = alone(t, { 'tool.exe': tool, 'bpp.pdb': pdb });
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'app.exe'), exe);
  writeFileSync(path.join(dir, 'tool.exe'), tool);
  cpSync(pdb, path.join(dir, 'bpp.pdb'));
  const r = cli(['-j', '4', dir]);
  t.equal(r.code, 0);
  t.equal(sha256(path.join(dir, 'bpp.pdb')), want['bpp.pdb'], 'paired with tool.exe, which names bpp.pdb');
  t.match(r.stderr, /app\.exe: warning: its PDB \S+bpp\.pdb .* goes with \S+tool\.exe/);
});

t.test('a PDB that none of its executables can claim is left alone, naming both', async (t) => {
  const dir = tempDir(t);
  writeFileSync(path.join(dir, 'app-x.exe'), exe);
  writeFileSync(path.join(dir, 'app-y.exe'), patchedCopy());
  cpSync(pdb, path.join(dir, 'app.pdb'));
  const before = sha256(path.join(dir, 'app.pdb'));
  const r = cli(['-j', '4', dir]);
  t.equal(r.code, 0);
  t.equal(
    r.stderr,
    `unstamp: ${dir}/app.pdb: warning: 2 executables carry this PDB's GUID {A3594769-3233-A892-4C4C-44205044422E} (${dir}/app-x.exe, ${dir}/app-y.exe) and none is its own by the PDB name it references or by folder and base name; left alone (normalize it with only its own executable)\n`,
  );
  t.equal(sha256(path.join(dir, 'app.pdb')), before, 'the PDB is untouched');
});
