// `npm run demo`: unstamp on copies of two sample pairs (two builds of an ar archive and of a
// gzip file, made at different times by different users), in a temporary folder, so the
// checkout is left as it is. Arguments go to unstamp (`npm run demo -- -v`: every field).
// Exit status: unstamp's, or 1 if a pair still differs after it.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pristineSamples } from '../test/pristine-samples.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const pairs = [
  ['ar/gnu', 'libdemo.a'],
  ['gzip/gnu', 'hello.txt.gz'],
];

/** Like `cmp`: undefined if the files are identical, else the first differing byte (from 1). */
function cmp(a, b) {
  const x = readFileSync(a);
  const y = readFileSync(b);
  if (x.equals(y)) return undefined;
  let i = 0;
  while (i < x.length && i < y.length && x[i] === y[i]) i++;
  return i + 1;
}

function compare(dir) {
  let differ = 0;
  for (const [set, file] of pairs) {
    const [a, b] = ['a', 'b'].map((side) => `${set}/${side}/${file}`);
    const at = cmp(path.join(dir, a), path.join(dir, b));
    if (at !== undefined) differ++;
    console.log(`$ cmp ${a} ${b}   ${at === undefined ? '# identical' : `# differ: byte ${at}`}`);
  }
  return differ;
}

// The pairs as committed, even if samples/ in the working tree was normalized.
const samples = pristineSamples(root);
const dir = mkdtempSync(path.join(os.tmpdir(), 'unstamp-demo-'));
try {
  for (const [set] of pairs) cpSync(path.join(samples, set), path.join(dir, set), { recursive: true });
  console.log(`# copies of samples/${pairs.map(([set]) => set).join(' and samples/')} in ${dir}`);
  compare(dir);
  const args = [...process.argv.slice(2), ...pairs.map(([set]) => set)];
  console.log(`$ unstamp ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [path.join(root, 'bin', 'unstamp.js'), ...args], { cwd: dir, stdio: 'inherit' });
  const differ = compare(dir);
  process.exitCode = r.status !== 0 ? (r.status ?? 3) : differ > 0 ? 1 : 0;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
