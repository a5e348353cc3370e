// Writing a format rewrite: a temporary file beside the original, renamed over it.
import { lstatSync, realpathSync, renameSync, rmSync, type BigIntStats } from 'node:fs';
import { Handle } from './handle.js';
import type { FormatRewrite, RewriteTools } from './format.js';
import { NotWritten } from './errors.js';
import { RangeReader } from './reader.js';
import { PatchedSource } from './plan.js';
import type { Runs } from './runs.js';
import { baseOf, dirOf, fromBytes, joinPath, type FilePath } from './paths.js';
import { restoreTimes, type Times } from './utimes.js';
import { copyAttributes } from './xattr.js';
import { tempMark, tempName } from './walk.js';
import { hold } from './debug.js';
import { changed, moved, sameVersion, type Opened, type Target } from './open.js';
import { pause, writeAll } from './apply.js';

/**
 * Owner first (chown clears the set-id bits), then mode, then the extended attributes and
 * ACLs; then check the new file has them all, as a kernel may drop a set-id bit on the way.
 */
async function keepMetadata(from: Handle, to: Handle, version: BigIntStats): Promise<void> {
  const [uid, gid, mode] = [version.uid, version.gid, Number(version.mode) & 0o7777];
  const made = to.stat();
  if (made.uid !== uid || made.gid !== gid) to.chown(Number(uid), Number(gid));
  to.chmod(mode);
  await copyAttributes(from, to);
  const kept = to.stat();
  if (kept.uid !== uid || kept.gid !== gid || (Number(kept.mode) & 0o7777) !== mode) {
    const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
    throw new NotWritten(`the rewritten file could not keep owner ${uid}:${gid} and mode ${octal(mode)} (it got ${kept.uid}:${kept.gid} ${octal(Number(kept.mode))})`);
  }
}

/**
 * Stream the format's rewrite of the planned bytes (the file with `patches` laid over)
 * into a temporary file in the same folder, give it the original's owner, mode, extended
 * attributes and times, sync it, then rename it over the original: at every moment the
 * path holds either the old file or the complete new one. The temporary file and the
 * rename go through the folder the walk found, held open. Just before the rename, the
 * file (through the handle it was planned through, and through its name) must still be the one
 * planned; if it was written or replaced meanwhile the rewrite is discarded. A temporary
 * file left by a killed run is removed by the next normalize run (walk.ts tempMark).
 */
export async function rewriteFile(at: Opened, patches: Runs, how: FormatRewrite, tools: RewriteTools, times: Times): Promise<void> {
  const { file, version, fh: src } = at;
  // A symlink named on the command line: rewrite the file it points to, not replace the link.
  const target: Target = file.walked ? file : { path: fromBytes(realpathSync(file.path, { encoding: 'buffer' })), walked: false, id: file.id };
  const folder = file.walked ? at.folder : undefined;
  const dir = (name: FilePath) => (folder ? folder.at(name) : joinPath(dirOf(target.path), name));
  const name = baseOf(target.path);
  if (!sameVersion(src.stat(), version)) throw changed();
  const temp = dir(tempName(name, process.pid, tempMark(process.pid, name)));
  const out = Handle.open(temp, 'wx', Number(version.mode) & 0o777);
  try {
    const planned = new PatchedSource(at.source, patches);
    await how.write(RangeReader.of(planned), (chunk) => writeAll(out, chunk, null), tools);
    await keepMetadata(src, out, version);
    restoreTimes(out, times);
    await out.sync();
    out.close();
    await pause();
    await hold('before-rename');
    if (folder && !(await folder.holds())) throw moved();
    const held = src.stat();
    const named = lstatSync(dir(name), { bigint: true });
    if (!sameVersion(held, version) || !sameVersion(named, version)) {
      throw new NotWritten('changed on disk while it was being rewritten (written, or replaced by another file); the rewrite was discarded, run unstamp on it again');
    }
    renameSync(temp, dir(name));
  } catch (e) {
    try {
      out.close();
    } catch {
      // Closed already, or failing: the temporary file is removed either way.
    }
    rmSync(temp, { force: true });
    throw e;
  }
}
