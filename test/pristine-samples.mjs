// samples/ as git has them, for the tests and `npm run fuzz`. The working tree's copy is not
// used: running unstamp on it (as a newcomer might) rewrites the committed pairs and every
// test that expects them to differ would fail. The copy is the samples tree of git's index
// (so a sample that is staged but not committed is seen), extracted once into the temp
// folder under the tree's hash; outside a git checkout the working tree is used.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** The pristine samples folder of the checkout at root. */
export function pristineSamples(root) {
  const working = path.join(root, 'samples');
  const git = (args, input) => spawnSync('git', args, { cwd: root, input, maxBuffer: 1 << 30 });
  const tree = git(['write-tree', '--prefix=samples/']);
  const hash = tree.status === 0 ? tree.stdout.toString().trim() : '';
  if (!/^[0-9a-f]{40,64}$/.test(hash)) return working;
  const dir = path.join(os.tmpdir(), `unstamp-samples-${hash}`);
  if (existsSync(dir)) return dir;
  // Extract beside it, then rename: tap runs test files in parallel, and a process must
  // never see a half-extracted folder. The loser of a race throws its copy away.
  const tmp = mkdtempSync(`${dir}.tmp-`);
  try {
    const archive = git(['archive', '--format=tar', hash]);
    if (archive.status !== 0) throw new Error(`git archive ${hash}: ${archive.stderr}`);
    const tar = spawnSync('tar', ['-x', '-C', tmp], { input: archive.stdout });
    if (tar.status !== 0) throw new Error(`tar -x: ${tar.stderr}`);
    renameSync(tmp, dir);
  } catch (e) {
    rmSync(tmp, { recursive: true, force: true });
    if (!existsSync(dir)) throw e;
  }
  return dir;
}
