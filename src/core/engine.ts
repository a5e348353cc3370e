import { lstat, open, realpath, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { constants, type BigIntStats } from 'node:fs';
import os from 'node:os';
import nodePath from 'node:path';
import pMap from 'p-map';
import { MAX_SIBLING, type Format, type FormatRewrite, type PlanOptions, type RewriteChange, type RewriteTools, type SiblingFile } from './format.js';
import { rewriteTools } from './payload.js';
import { FormatError, NotWritten, SkipFile, hex } from './errors.js';
import { FileSource, RangeReader } from './reader.js';
import { buildPlan, changedPatches, detectFormat, PatchedSource, publishedValues, type OnDisk, type Plan } from './plan.js';
import { baseOf, dirOf, fromBytes, joinPath, pathKey, reportPath, toBytes, type FilePath } from './paths.js';
import { restoreTimes, type Times } from './utimes.js';
import { copyAttributes } from './xattr.js';
import { expandPaths, tempMark, tempName, type WalkFile } from './walk.js';
import { Folder, idOf, sameId } from './folder.js';
import { hold } from './debug.js';
import { firstPath } from './remap.js';

export type Mode = 'normalize' | 'check' | 'explain';

export type FileStatus = 'normalized' | 'would-change' | 'clean' | 'skipped' | 'failed';

export interface FieldResult {
  field: string;
  offset: number;
  old: string;
  new: string;
  changed: boolean;
}

export interface FileResult {
  /** The path as text; bytes that are not UTF-8 show as U+FFFD (then pathHex has them all). */
  path: string;
  /** Only for a path that is not valid UTF-8: its exact bytes, in hex. */
  pathHex?: string;
  format?: string;
  status: FileStatus;
  size: number;
  fields: FieldResult[];
  /** Bytes that differ between the file before and after (written, or that would be). */
  bytesChanged: number;
  notes: string[];
  warnings: string[];
  /** Changes the settings kept from being made (--recompress never), when there are any. */
  kept?: string[];
  /** Why a file was skipped. */
  reason?: string;
  error?: { message: string; offset?: number };
}

export interface EngineOptions extends PlanOptions {
  mode: Mode;
  /** Format option values with defaults filled in (resolveSettings). */
  settings: Readonly<Record<string, string>>;
  /** Handlers in detection order. */
  formats: readonly Format[];
  /** Also set the file's own mtime to the epoch (normalize only). */
  setMtime: boolean;
  /** 'auto': a rewrite may decompress a payload, normalize it and compress it again; 'never': strictly in place. */
  recompress: 'auto' | 'never';
  /** Called with each file's plan once it is built (explain of two builds compares them). */
  onPlan?: (path: FilePath, plan: Plan) => void;
}

export interface RunOptions extends EngineOptions {
  jobs?: number;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Called for each file as soon as it and every file before it are done, in walk order. */
  onResult?: (r: FileResult) => void;
  /**
   * Keep each file's fields, notes and warnings in the returned results (default true).
   * The CLI's text report prints them through onResult and passes false, so a run over
   * half a million fields does not hold them all until the end.
   */
  keepDetails?: boolean;
  /** Called once the walk is done, with what is to be processed (for progress). */
  onWalked?: (totals: { files: number; bytes: number }) => void;
  /** Called as each file is done, in completion order (for progress). */
  onProgress?: (r: FileResult) => void;
  /**
   * Stop starting files once aborted: the files being planned or written finish (a unit
   * of PE and PDB finishes whole), the rest are counted as not processed.
   */
  signal?: AbortSignal;
}

export interface Summary {
  scanned: number;
  normalized: number;
  wouldChange: number;
  clean: number;
  skipped: number;
  failed: number;
  bytesScanned: number;
  bytesChanged: number;
  seconds: number;
  /** Files found but not started because the run was interrupted. */
  notProcessed: number;
  /** The abort reason (the signal name, for the CLI) when the run was interrupted. */
  interrupted?: string;
}

export interface RunResult {
  files: FileResult[];
  summary: Summary;
}

function countChangedBytes(plan: Plan): number {
  let n = 0;
  for (const p of changedPatches(plan)) for (let i = 0; i < p.bytes.length; i++) if (p.bytes[i] !== p.oldBytes[i]) n++;
  return n;
}

/** A failed system call, without the path Node puts in its message (the report names the file). */
function systemMessage(err: NodeJS.ErrnoException): string {
  const what = /^[A-Z0-9_]+: ([^,]*)/.exec(err.message)?.[1] ?? err.message;
  return `${err.syscall} failed: ${what} (${err.code})`;
}

/** The report of an error: a broken format rule with its offset, a refusal, a failed system call, or our bug. */
function errorOf(e: unknown): { message: string; offset?: number } {
  if (e instanceof FormatError) return { message: e.message, offset: e.offset };
  if (e instanceof NotWritten) return { message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.syscall) return { message: systemMessage(err) };
  return { message: `internal error: ${err instanceof Error ? err.message : String(e)}` };
}

/** How a file of a linked format (FormatLink) is being processed. */
export interface Pairing {
  /** For a companion: what its primary published. Absent: the companion is alone. */
  links?: ReadonlyMap<string, Buffer>;
  /** For a primary: whether a companion is processed with it. */
  hasCompanion?: boolean;
  /** For a primary without one: the companion of its key went with this other primary (display paths). */
  pairedElsewhere?: { companion: string; primary: string };
  /** For a companion: the primaries that carry its key, none clearly its own (display paths); it is skipped. */
  ambiguous?: string[];
  /** The file's stat taken before the pairing pass read it, so its atime can be restored. */
  before?: BigIntStats;
}

/** A planned file: its report, and (normalize mode, something to change) the write still to do. */
interface Prepared {
  result: FileResult;
  write?: () => Promise<void>;
  /** A primary's published values and the key its companions have after normalization. */
  published?: { values: Map<string, Buffer>; keyAfter?: string };
}

/**
 * Test hook for the crash tests: wait this long before every write and write patch by
 * patch, so a kill lands between writes of one file as often as between files.
 */
const writeDelayMs = Number(process.env.UNSTAMP_DEBUG_WRITE_DELAY_MS ?? 0);
const pause = () => (writeDelayMs > 0 ? new Promise((r) => setTimeout(r, writeDelayMs)) : Promise.resolve());

/** Open flags: a file found by walking a tree must not have become a symlink since. */
const readFlags = (walked: boolean) => constants.O_RDONLY | (walked ? constants.O_NOFOLLOW : 0);
const writeFlags = (walked: boolean) => constants.O_RDWR | (walked ? constants.O_NOFOLLOW : 0);

/** Identity and content version of a file: if any of these moved, someone else wrote it. */
function sameVersion(a: BigIntStats, b: BigIntStats): boolean {
  return a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeNs === b.mtimeNs && a.ctimeNs === b.ctimeNs;
}

/** A file to open: as the walk found it, or (a library call on one path) just its path. */
type Target = Pick<WalkFile, 'path' | 'walked'> & Partial<Pick<WalkFile, 'id' | 'dir'>>;

/** Another writer got there first (the file was replaced, or written since it was planned). */
const changed = () => new NotWritten('changed on disk while it was being planned (size, mtime or inode moved); not written, run unstamp on it again');
/** A folder on the path was swapped (for a symlink, say): the name now leads elsewhere. */
const moved = () => new NotWritten('changed on disk during the run (a folder on its path is no longer the one the walk found); not written, run unstamp on it again');

/** The folder the walk found the file in, held open, once checked to be that folder (none without a walk). */
async function folderOf(file: Target): Promise<Folder | undefined> {
  if (!file.dir) return undefined;
  const folder = await Folder.open(dirOf(file.path), true);
  if (sameId(folder.id, file.dir)) return folder;
  await folder.close();
  throw moved();
}

/** Where to find the file by name: through its folder when held. */
const lookup = (file: Target, folder: Folder | undefined): FilePath => (folder ? folder.at(baseOf(file.path)) : file.path);

/** Open the file the walk found, by its name in its folder, and refuse any other file the name leads to now. */
async function openFile(file: Target, flags: number, held?: Folder): Promise<FileHandle> {
  const folder = held ?? (await folderOf(file));
  try {
    const fh = await open(lookup(file, folder), flags);
    if (file.id && !sameId(idOf(await fh.stat({ bigint: true })), file.id)) {
      await fh.close();
      throw changed();
    }
    return fh;
  } finally {
    if (!held) await folder?.close();
  }
}

/**
 * Another file a planner reads beside this one (PlanContext.sibling): a name in the file's
 * folder, or one folder up ("../mod.py"). The lookup starts from the folder the walk found
 * the file in, held open and checked to be that folder; ".." is that folder's parent, taken only
 * if its entry of that name is the held folder itself (Folder.parent); the last name is opened
 * with O_NOFOLLOW (a symlink is never followed) and O_NONBLOCK (a FIFO put there cannot
 * hang the run), and must be a regular file of at most MAX_SIBLING bytes. It is only read.
 * Anything else, or any error, gives undefined: the planner goes on without it.
 */
async function readSibling(file: Target, relative: string): Promise<SiblingFile | undefined> {
  const parts = relative.split('/');
  const name = parts.pop() ?? '';
  if (name === '' || name === '.' || name === '..' || name.includes('\0') || parts.length > 1 || parts.some((p) => p !== '..')) return undefined;
  let folder: Folder | undefined;
  try {
    folder = file.dir ? await folderOf(file) : await Folder.open(dirOf(file.path), true);
    if (!folder) return undefined;
    if (parts.length === 1) {
      const up = await folder.parent();
      await folder.close();
      folder = up;
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
    await folder?.close();
  }
}

/** A whole file's name and its folder's (resolved, so "x.pyc" run inside a folder still names it); text names only. */
function namesOf(file: Target): OnDisk['file'] {
  const name = baseOf(file.path);
  const dir = dirOf(file.path);
  if (typeof name !== 'string' || typeof dir !== 'string') return undefined;
  return { name, folder: nodePath.basename(nodePath.resolve(dir)) };
}

const onDisk = (file: Target): OnDisk => ({ file: namesOf(file), sibling: (relative) => readSibling(file, relative) });

/** A file opened for planning: its stat before anything read it, the handle, the format detected. */
interface Entry {
  version: BigIntStats;
  fh: FileHandle;
  source: FileSource;
  format: Format | undefined;
}

function blankResult(path: FilePath): FileResult {
  return { ...reportPath(path), status: 'skipped', size: 0, fields: [], bytesChanged: 0, notes: [], warnings: [] };
}

const failedWith = (result: FileResult, e: unknown): Prepared => ({ result: { ...result, status: 'failed', bytesChanged: 0, error: errorOf(e) } });

/** Stat, open and detect: an Entry to plan, or the finished report of a file that cannot be. */
async function enter(file: Target, opts: EngineOptions): Promise<Entry | Prepared> {
  const result = blankResult(file.path);
  let folder: Folder | undefined;
  let fh: FileHandle | undefined;
  try {
    folder = await folderOf(file);
    const version = await (file.walked ? lstat : stat)(lookup(file, folder), { bigint: true });
    result.size = Number(version.size);
    if (!version.isFile()) return { result: { ...result, reason: version.isSymbolicLink() ? 'a symlink inside the tree (never followed)' : 'not a regular file' } };
    if (file.id && !sameId(idOf(version), file.id)) throw changed();
    fh = await openFile(file, readFlags(file.walked), folder);
    const source = new FileSource(fh, result.size);
    return { version, fh, source, format: await detectFormat(opts.formats, RangeReader.of(source)) };
  } catch (e) {
    await fh?.close().catch(() => undefined);
    return failedWith(result, e);
  } finally {
    await folder?.close();
  }
}

const isEntry = (x: Entry | Prepared): x is Entry => 'fh' in x;

async function prepare(file: Target, opts: EngineOptions, pairing: Pairing, opened?: Entry): Promise<Prepared> {
  const path = file.path;
  const entry = opened ?? (await enter(file, opts));
  if (!isEntry(entry)) return entry;
  const { version, fh, source, format } = entry;
  const result = blankResult(path);
  result.size = Number(version.size);
  // Times from before the pairing pass read the file, if it did and nothing changed since.
  const before = pairing.before && pairing.before.ino === version.ino && pairing.before.mtimeNs === version.mtimeNs ? pairing.before : version;

  let plan: Plan;
  let published: Prepared['published'];
  let rewrite: { how: FormatRewrite; changes: RewriteChange[]; tools: RewriteTools } | undefined;
  const kept: string[] = [];
  try {
    try {
      if (!format) {
        // --remap-path: a file of no known format is never changed, but the user is told it holds OLD.
        const held = opts.remap?.length ? await firstPath(source, opts.remap) : undefined;
        const warnings = held ? [`holds ${held.text} at ${hex(held.offset)}, but its format is unknown to unstamp, so --remap-path leaves it as it is`] : [];
        return { result: { ...result, reason: 'unknown format', warnings } };
      }
      result.format = format.name;
      const link = format.link;
      const key = link ? await link.key(RangeReader.of(source)) : undefined;
      if (link?.role === 'companion' && key !== undefined && pairing.ambiguous) {
        const reason = link.ambiguous?.(key, pairing.ambiguous) ?? `several files it pairs with are in this run (${pairing.ambiguous.join(', ')}); left alone`;
        return { result: { ...result, reason, warnings: [reason] } };
      }
      if (link?.role === 'companion' && key !== undefined && !pairing.links) {
        const reason = link.orphaned?.(key) ?? 'its primary file is not in this run';
        return { result: { ...result, reason, warnings: [reason] } };
      }
      plan = await buildPlan(source, format, opts.formats, opts, pairing.links, onDisk(file));
      if (link?.role === 'primary' && key !== undefined && !pairing.hasCompanion && link.unpaired) plan.warnings.push(link.unpaired(key, pairing.pairedElsewhere));
      opts.onPlan?.(path, plan);
      if (plan.exports.length > 0) {
        const values = await publishedValues(plan, source);
        published = { values, keyAfter: link?.keyAfter?.(values) };
      }
      const how = format.rewrite;
      // The rewrite is asked about the planned bytes: what the in-place patches leave for it to do.
      const tools = rewriteTools(opts.formats, opts, opts.recompress, { notes: plan.notes, kept });
      const wants = how ? await how.needed(RangeReader.of(new PatchedSource(source, changedPatches(plan))), tools) : [];
      if (how && wants.length > 0) {
        if (before.nlink > 1n) {
          const what = wants.length === 1 ? wants[0].field : `${wants[0].field} and ${wants.length - 1} more rewritten fields`;
          plan.warnings.push(`${what} kept: the file has ${before.nlink} hard links and a rewrite would split them`);
        }
        else rewrite = { how, changes: wants, tools };
      }
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof SkipFile) return { result: { ...result, reason: e.message } };
    if (process.env.UNSTAMP_DEBUG && !(e instanceof FormatError)) console.error(e);
    return failedWith(result, e);
  }

  result.notes = plan.notes;
  result.warnings = plan.warnings;
  if (kept.length > 0) result.kept = kept;
  result.fields = plan.patches.map((p) => ({
    field: p.field,
    offset: p.offset,
    old: p.old,
    new: p.new,
    changed: !p.bytes.equals(p.oldBytes),
  }));
  if (rewrite) result.fields.push(...rewrite.changes.map((c) => ({ ...c, changed: true })));
  const changes = changedPatches(plan);
  result.bytesChanged = countChangedBytes(plan);
  if (changes.length === 0 && !rewrite) result.status = 'clean';
  else result.status = opts.mode === 'normalize' ? 'normalized' : 'would-change';

  if (opts.mode !== 'normalize' || (changes.length === 0 && !rewrite && !opts.setMtime)) return { result, published };
  const times = { atimeNs: before.atimeNs, mtimeNs: opts.setMtime ? mtimeFor(before, opts) : before.mtimeNs };
  const write = async () => {
    if (changes.length > 0 || rewrite) {
      const mode = Number(before.mode);
      if ((mode & 0o222) === 0) {
        throw new NotWritten(`read-only (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}); make it writable to normalize it`);
      }
    }
    // A rewrite carries the patches into its new file: the original is not written at all
    // before the rename, so a rewrite that fails (a full disk) leaves it as it was.
    if (rewrite) await rewriteFile(file, version, changes, rewrite.how, rewrite.tools, times);
    else if (changes.length > 0) await applyPatches(file, version, changes, times);
    else await setTimes(file, times);
  };
  return { result, write, published };
}

/** Run a prepared file's write; a failure turns its report into 'failed' (the file untouched). */
async function finish(p: Prepared): Promise<FileResult> {
  if (!p.write) return p.result;
  try {
    await p.write();
    return p.result;
  } catch (e) {
    return { ...p.result, status: 'failed', bytesChanged: 0, error: errorOf(e) };
  }
}

/**
 * Plan one file and, in normalize mode, apply the plan in place. Never throws for a bad
 * file: failures come back as status 'failed' with the file untouched.
 */
export async function processFile(path: FilePath, opts: EngineOptions, pairing: Pairing = {}, walked = false): Promise<FileResult> {
  return finish(await prepare({ path, walked }, opts, pairing));
}

/** The file's mtime under --set-mtime, in nanoseconds: the epoch (or, with --clamp, the older of the two). */
function mtimeFor(st: BigIntStats, opts: PlanOptions): bigint {
  const epoch = BigInt(Math.floor(opts.epoch)) * 1_000_000_000n;
  return opts.clamp && st.mtimeNs < epoch ? st.mtimeNs : epoch;
}

async function setTimes(file: Target, times: Times): Promise<void> {
  const fh = await openFile(file, readFlags(file.walked));
  try {
    await restoreTimes(fh, times);
  } finally {
    await fh.close();
  }
}

/** Patches closer than this are written together, with the bytes between them read back. */
const WRITE_SPAN = 64 * 1024;

/** Write all of `buf` at `position` (null: at the current position, for a new file). */
async function writeAll(fh: FileHandle, buf: Buffer, position: number | null): Promise<void> {
  await pause();
  for (let done = 0; done < buf.length; ) {
    const { bytesWritten } = await fh.write(buf, done, buf.length - done, position === null ? null : position + done);
    if (bytesWritten === 0) throw new Error(`a write of ${buf.length - done} bytes wrote nothing`);
    done += bytesWritten;
  }
}

/**
 * Positional writes into the same inode: size, mode, owner and hard links stay as they
 * are. Patches that lie close together go out as one read-overlay-write of the span
 * they cover (an archive with 20,000 members is a few dozen writes, not 80,000).
 * Refuses if the file changed between planning and writing.
 */
async function applyPatches(file: Target, version: BigIntStats, patches: Plan['patches'], times: Times): Promise<void> {
  await pause();
  await hold('before-write');
  const fh = await openFile(file, writeFlags(file.walked));
  try {
    if (!sameVersion(await fh.stat({ bigint: true }), version)) throw changed();
    const span = writeDelayMs > 0 ? 0 : WRITE_SPAN;
    const sorted = [...patches].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; ) {
      const start = sorted[i].offset;
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1].offset + sorted[j + 1].bytes.length - start <= span) j++;
      const end = sorted[j].offset + sorted[j].bytes.length;
      const buf = Buffer.alloc(end - start);
      if (j > i) {
        const { bytesRead } = await fh.read(buf, 0, buf.length, start);
        if (bytesRead !== buf.length) throw new Error(`short read at ${start}`);
      }
      for (let k = i; k <= j; k++) sorted[k].bytes.copy(buf, sorted[k].offset - start);
      await writeAll(fh, buf, start);
      i = j + 1;
    }
    await restoreTimes(fh, times);
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Owner first (chown clears the set-id bits), then mode, then the extended attributes and
 * ACLs; then check the new file has them all, as a kernel may drop a set-id bit on the way.
 */
async function keepMetadata(from: FileHandle, to: FileHandle, version: BigIntStats): Promise<void> {
  const [uid, gid, mode] = [Number(version.uid), Number(version.gid), Number(version.mode) & 0o7777];
  const made = await to.stat();
  if (made.uid !== uid || made.gid !== gid) await to.chown(uid, gid);
  await to.chmod(mode);
  await copyAttributes(from, to);
  const kept = await to.stat();
  if (kept.uid !== uid || kept.gid !== gid || (kept.mode & 0o7777) !== mode) {
    const octal = (m: number) => (m & 0o7777).toString(8).padStart(4, '0');
    throw new NotWritten(`the rewritten file could not keep owner ${uid}:${gid} and mode ${octal(mode)} (it got ${kept.uid}:${kept.gid} ${octal(kept.mode)})`);
  }
}

/**
 * Stream the format's rewrite of the planned bytes (the file with `patches` laid over)
 * into a temporary file in the same folder, give it the original's owner, mode, extended
 * attributes and times, sync it, then rename it over the original: at every moment the
 * path holds either the old file or the complete new one. The temporary file and the
 * rename go through the folder the walk found, held open. Just before the rename, the
 * file (through the handle the rewrite read, and through its name) must still be the one
 * planned; if it was written or replaced meanwhile the rewrite is discarded. A temporary
 * file left by a killed run is removed by the next normalize run (walk.ts tempMark).
 */
async function rewriteFile(file: Target, version: BigIntStats, patches: Plan['patches'], how: FormatRewrite, tools: RewriteTools, times: Times): Promise<void> {
  // A symlink named on the command line: rewrite the file it points to, not replace the link.
  const target: Target = file.walked ? file : { path: fromBytes(await realpath(file.path, { encoding: 'buffer' })), walked: false, id: file.id };
  const folder = await folderOf(target);
  try {
    const at = (name: FilePath) => (folder ? folder.at(name) : joinPath(dirOf(target.path), name));
    const name = baseOf(target.path);
    const src = await openFile(target, readFlags(target.walked), folder);
    try {
      if (!sameVersion(await src.stat({ bigint: true }), version)) throw changed();
      const temp = at(tempName(name, process.pid, tempMark(process.pid, name)));
      const out = await open(temp, 'wx', Number(version.mode) & 0o777);
      try {
        const planned = new PatchedSource(new FileSource(src, Number(version.size)), [...patches].sort((a, b) => a.offset - b.offset));
        await how.write(RangeReader.of(planned), (chunk) => writeAll(out, chunk, null), tools);
        await keepMetadata(src, out, version);
        await restoreTimes(out, times);
        await out.sync();
        await out.close();
        await pause();
        await hold('before-rename');
        if (folder && !(await folder.holds())) throw moved();
        const held = await src.stat({ bigint: true });
        const named = await lstat(at(name), { bigint: true });
        if (!sameVersion(held, version) || !sameVersion(named, version)) {
          throw new NotWritten('changed on disk while it was being rewritten (written, or replaced by another file); the rewrite was discarded, run unstamp on it again');
        }
        await rename(temp, at(name));
      } catch (e) {
        await out.close().catch(() => undefined);
        await rm(temp, { force: true });
        throw e;
      }
    } finally {
      await src.close();
    }
  } finally {
    await folder?.close();
  }
}

function summarize(files: readonly FileResult[], seconds: number, notProcessed: number, interrupted: string | undefined): Summary {
  const count = (s: FileStatus) => files.filter((f) => f.status === s).length;
  return {
    scanned: files.length,
    normalized: count('normalized'),
    wouldChange: count('would-change'),
    clean: count('clean'),
    skipped: count('skipped'),
    failed: count('failed'),
    bytesScanned: files.reduce((n, f) => n + f.size, 0),
    bytesChanged: files.reduce((n, f) => n + (f.status === 'failed' ? 0 : f.bytesChanged), 0),
    seconds,
    notProcessed,
    ...(interrupted !== undefined ? { interrupted } : {}),
  };
}

/**
 * Files in flight. The planning is JavaScript on one thread, but every file also waits on
 * reads, writes and an fsync; twice the cores (at least 4) keeps the thread busy while
 * others wait (measured: -j 4 ran a mixed tree 10% faster than -j 2 on 2 cores).
 */
export const defaultJobs = () => Math.max(4, 2 * os.availableParallelism());
const concurrency = (opts: RunOptions) => Math.max(1, opts.jobs ?? defaultJobs());

/** A file of a linked format, met in the first pass: held back until every key is known. */
interface LinkInfo {
  /** Taken before reading, to restore the atime later. */
  stat: BigIntStats;
  role: 'primary' | 'companion';
  key?: string;
  /** A primary: the companion file name it references (FormatLink.names). */
  names?: string;
}

interface Unit {
  /** A primary followed by the companions paired with it, or a single file. */
  members: number[];
  /** No "unpaired" warning for this primary: a companion of its key is in the run. */
  keyHasCompanion: boolean;
  /** A primary whose key's companion went with another primary: that companion and that primary. */
  pairedElsewhere?: [number, number];
  /** A companion whose key no primary has now; it may match a primary's key after normalization. */
  orphanKey?: string;
  /** A companion left alone: all these primaries carry its key and none is clearly its own. */
  ambiguous?: number[];
}

/**
 * Group the held-back files into units: each companion goes with a primary of the same
 * key, every other file is alone. Among several primaries of one key (two builds side by
 * side, a file and a patched copy of it) the companion goes with the one that names it
 * (FormatLink.names), then one in its folder, then one with its base name (app.exe for
 * app.pdb); each rule narrows the choice only if some primary fits it. If that leaves
 * more than one, the companion is not paired at all. Only paths and contents decide,
 * never which file was read first, so the same tree always pairs the same way.
 */
function pairUnits(files: readonly WalkFile[], infos: ReadonlyMap<number, LinkInfo>): Unit[] {
  const alone = (i: number): Unit => ({ members: [i], keyHasCompanion: false });
  const order = [...infos.keys()].sort((a, b) => a - b);
  const groups = new Map<string, { primaries: number[]; companions: number[] }>();
  for (const i of order) {
    const k = infos.get(i)!;
    if (k.key === undefined) continue;
    const g = groups.get(k.key) ?? { primaries: [], companions: [] };
    (k.role === 'primary' ? g.primaries : g.companions).push(i);
    groups.set(k.key, g);
  }
  const folder = (i: number) => pathKey(dirOf(files[i].path));
  const name = (i: number) => toBytes(baseOf(files[i].path)).toString('utf8').toLowerCase();
  const stem = (i: number) => name(i).replace(/\.[^.]*$/, '');
  const choose = (c: number, primaries: number[]): number[] => {
    const rules = [(p: number) => infos.get(p)!.names?.toLowerCase() === name(c), (p: number) => folder(p) === folder(c), (p: number) => stem(p) === stem(c)];
    let left = primaries;
    for (const fits of rules) {
      const narrowed = left.filter(fits);
      if (narrowed.length > 0) left = narrowed;
    }
    return left;
  };
  const unitOf = new Map<number, Unit>();
  for (const [key, { primaries, companions }] of groups) {
    for (const p of primaries) unitOf.set(p, alone(p));
    let paired: [number, number] | undefined;
    let refused = false;
    for (const c of companions) {
      const chosen = choose(c, primaries);
      if (chosen.length === 0) unitOf.set(c, { ...alone(c), orphanKey: key });
      else if (chosen.length > 1) {
        unitOf.set(c, { ...alone(c), ambiguous: chosen });
        refused = true;
      } else {
        unitOf.get(chosen[0])!.members.push(c);
        paired ??= [c, chosen[0]];
      }
    }
    for (const p of primaries) {
      const u = unitOf.get(p)!;
      u.keyHasCompanion = u.members.length > 1 || refused;
      if (!u.keyHasCompanion && paired) u.pairedElsewhere = paired;
    }
  }
  // A companion belongs to its primary's unit wherever it sorts (00-app.pdb before app.exe).
  const owner = new Map<number, Unit>();
  for (const u of unitOf.values()) for (const m of u.members) owner.set(m, u);
  const units: Unit[] = [];
  const placed = new Set<number>();
  for (const i of order) {
    if (placed.has(i)) continue;
    const u = owner.get(i) ?? alone(i);
    u.members.forEach((m) => placed.add(m));
    units.push(u);
  }
  return units;
}

/**
 * Walk, then plan (and apply) every file with bounded parallelism.
 *
 * A primary and its companions (a PE and its PDB) are one unit: all are planned first,
 * then the companions are written, then the primary, and the primary is not written if a
 * companion failed. So a run killed in the middle of a unit leaves either the original
 * key on both or the new key on the companion; the next run pairs the latter through the
 * primary's key after normalization (FormatLink.keyAfter) and converges.
 */
export async function run(paths: readonly FilePath[], opts: RunOptions): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const walked = await expandPaths(paths, { include: opts.include ?? [], exclude: opts.exclude ?? [], removeStale: opts.mode === 'normalize' });
  const removed = walked.removed.map((m): FileResult => ({ ...blankResult(m.path), reason: m.message, warnings: [m.message] }));
  const results: FileResult[] = walked.missing.map((m) => ({
    ...reportPath(m.path),
    status: 'failed' as const,
    size: 0,
    fields: [],
    bytesChanged: 0,
    notes: [],
    warnings: [],
    error: { message: m.message },
  }));
  results.push(...removed);
  results.forEach((r) => opts.onResult?.(r));

  // Per file: its result, null when an interrupt kept it from starting, undefined while pending.
  const done: (FileResult | null | undefined)[] = new Array(walked.files.length).fill(undefined);
  let next = 0;
  const emit = () => {
    for (; next < done.length && done[next] !== undefined; next++) {
      const r = done[next];
      if (!r) continue;
      opts.onResult?.(r);
      if (opts.keepDetails === false) done[next] = { ...r, fields: [], notes: [], warnings: [], kept: undefined };
    }
  };
  const stopped = () => opts.signal?.aborted ?? false;
  const file = (i: number) => walked.files[i];
  const prepareAt = (i: number, pairing: Pairing) => prepare(file(i), opts, pairing);
  const shown = (i: number) => reportPath(file(i).path).path;

  opts.onWalked?.({ files: walked.files.length, bytes: walked.files.reduce((n, f) => n + f.size, 0) });
  await hold('after-walk');
  const settle = (i: number, r: FileResult) => {
    done[i] = r;
    opts.onProgress?.(r);
    emit();
  };
  // First pass: every file is opened once; a file of a format with no link is planned and
  // written right there, a file of a linked format (PE, PDB) only has its key read.
  const infos = new Map<number, LinkInfo>();
  await pMap(
    walked.files.keys(),
    async (i) => {
      if (stopped()) return void (done[i] = null);
      const entry = await enter(file(i), opts);
      if (!isEntry(entry)) return settle(i, entry.result);
      const link = entry.format?.link;
      if (!link) return settle(i, await finish(await prepare(file(i), opts, {}, entry)));
      try {
        const key = await link.key(RangeReader.of(entry.source)).catch(() => undefined);
        const names = key !== undefined ? await link.names?.(RangeReader.of(entry.source)).catch(() => undefined) : undefined;
        infos.set(i, { stat: entry.version, role: link.role, key, names });
      } finally {
        await entry.fh.close();
      }
    },
    { concurrency: concurrency(opts) },
  );
  emit();

  const units = pairUnits(walked.files, infos);
  const stats = (i: number) => infos.get(i)?.stat;
  const afterKeys = new Map<string, Map<string, Buffer>>();
  const orphans: Unit[] = [];
  await pMap(
    units,
    async (unit) => {
      if (unit.orphanKey !== undefined) return void orphans.push(unit);
      if (stopped()) return void unit.members.forEach((m) => (done[m] = null));
      const [first, ...companions] = unit.members;
      if (unit.ambiguous) return settle(first, await finish(await prepareAt(first, { ambiguous: unit.ambiguous.map(shown), before: stats(first) })));
      const elsewhere = unit.pairedElsewhere && { companion: shown(unit.pairedElsewhere[0]), primary: shown(unit.pairedElsewhere[1]) };
      const primary = await prepareAt(first, { hasCompanion: unit.keyHasCompanion, pairedElsewhere: elsewhere, before: stats(first) });
      if (primary.published?.keyAfter !== undefined) afterKeys.set(primary.published.keyAfter, primary.published.values);
      const links = primary.published?.values ?? new Map<string, Buffer>();
      const planned = [];
      for (const c of companions) planned.push({ index: c, prepared: await prepareAt(c, { links, before: stats(c) }) });
      for (const { index, prepared } of planned) settle(index, await finish(prepared));
      const broken = planned.find(({ index }) => done[index]!.status === 'failed');
      if (broken && primary.write && companions.length > 0) {
        const why = `its PDB ${done[broken.index]!.path} could not be normalized (${done[broken.index]!.error?.message}); not written, so the two still match`;
        settle(first, { ...primary.result, status: 'failed', bytesChanged: 0, error: { message: why } });
      } else settle(first, await finish(primary));
      emit();
    },
    { concurrency: concurrency(opts) },
  );
  // A companion already carrying the key its primary gets once normalized: pair it now.
  for (const unit of orphans) {
    const [c] = unit.members;
    if (stopped()) done[c] = null;
    else settle(c, await finish(await prepareAt(c, { links: afterKeys.get(unit.orphanKey!), before: stats(c) })));
  }
  emit();
  const processed = done.filter((r): r is FileResult => !!r);
  results.push(...processed);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const notProcessed = done.length - processed.length;
  const reason = stopped() ? String(opts.signal?.reason ?? 'aborted') : undefined;
  return { files: results, summary: summarize(results, seconds, notProcessed, reason) };
}
