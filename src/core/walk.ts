import { readFileSync, readlinkSync, type BigIntStats } from 'node:fs';
import { lstat, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
// glob and minimatch are loaded only for a run that has patterns: most runs have none, and
// loading them is a good part of start-up (issue 17).
import type * as MinimatchModule from 'minimatch';
import { Folder, idOf, type FileId } from './folder.js';
import { dirOf, displayPath, fromBytes, joinPath, toBytes, type FilePath } from './paths.js';

export interface WalkOptions {
  include: readonly string[];
  exclude: readonly string[];
  /** Remove the temporary files of killed rewrites that are provably ours (normalize mode only). */
  removeStale?: boolean;
}

export interface WalkFile {
  path: FilePath;
  /**
   * Found inside a walked directory (not named on the command line): it must still be a
   * regular file, not a symlink, when it is opened, so a swap cannot lead a write out of
   * the tree.
   */
  walked: boolean;
  /** Size when walked (for progress; the engine takes its own stat before reading). */
  size: number;
  /**
   * A regular file when walked. Always for a file found in a folder; a name given on the
   * command line may be anything else (a FIFO, a device), which is then never opened.
   */
  regular: boolean;
  /** The file the walk found: whatever a path leads to later, only this file is opened. */
  id: FileId;
  /**
   * The folder it was found in (for a name given on the command line, the folder holding
   * that name): the name is looked up in this folder, and a rewrite renamed into it.
   */
  dir: FileId;
}

export interface WalkResult {
  /** Regular files to process, in a stable order, each once (by device and inode). */
  files: WalkFile[];
  /** Arguments that named nothing, and directories that could not be read. */
  missing: { path: FilePath; message: string }[];
  /** Temporary files of killed rewrites that were removed (removeStale), and why each was ours. */
  removed: { path: FilePath; message: string }[];
}

/**
 * The temporary file a whole-file rewrite writes next to the original before renaming
 * it over: `.<name>.unstamp-<pid>-<mark>.tmp`, created with O_EXCL. The walk never hands
 * one to a format.
 */
export function tempName(base: FilePath, pid: number, mark: string): FilePath {
  return fromBytes(Buffer.concat([Buffer.from('.'), toBytes(base), Buffer.from(`.unstamp-${pid}-${mark}.tmp`)]));
}

const TEMP = /^\.(.*)\.unstamp-(\d+)-([0-9a-f]{12})\.tmp$/s;

/**
 * Where a pid means one process: this boot of this kernel and this PID namespace (Linux).
 * Another machine sharing the folder, or a container, has pids of its own. Read when first
 * needed (a temporary file to name or to judge): most runs need neither (issue 17).
 */
function readOrigin(): string | undefined {
  try {
    return `${readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()} ${readlinkSync('/proc/self/ns/pid')}`;
  } catch {
    return undefined;
  }
}
let originRead: { value: string | undefined } | undefined;
const origin = (): string | undefined => (originRead ??= { value: readOrigin() }).value;

/**
 * The 12 hex digits of a temporary file's name: a hash of the origin, the pid and the
 * target's name, so a later run can tell a file that unstamp, here, made for that file
 * from any other file of that name. Without an origin: random, and never removed.
 */
export function tempMark(pid: number, target: FilePath): string {
  // node:crypto is loaded on first use: a run that writes no temporary file never needs it (issue 17).
  const { createHash, randomBytes } = process.getBuiltinModule('node:crypto');
  const here = origin();
  if (here === undefined) return randomBytes(6).toString('hex');
  return createHash('sha256').update(`unstamp temporary file\0${here}\0${pid}\0`).update(toBytes(target)).digest('hex').slice(0, 12);
}

/** Whether a process with this pid exists in this PID namespace. */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Whether `name` is named like a temporary file of ours (then it is not processed). With
 * removeStale, when the file it was for is selected and the temporary file itself is not
 * excluded, it is removed if it is provably the leftover of a killed rewrite: its mark is
 * the one this origin gives its pid and that file (so unstamp made it here), and that pid
 * is gone.
 */
async function temporary(dir: Folder, name: Buffer, rel: string, opts: WalkOptions, removed: WalkResult['removed']): Promise<boolean> {
  const m = TEMP.exec(name.toString('latin1'));
  if (!m) return false;
  const target = fromBytes(Buffer.from(m[1], 'latin1'));
  const targetRel = path.posix.join(path.posix.dirname(rel), Buffer.from(m[1], 'latin1').toString('utf8'));
  if (!opts.removeStale || origin() === undefined || !wanted(targetRel, opts) || matches(rel, opts.exclude)) return true;
  const pid = Number(m[2]);
  if (alive(pid)) return true;
  const temp = await lstat(dir.at(fromBytes(name))).catch(() => undefined);
  if (!temp?.isFile() || m[3] !== tempMark(pid, target)) return true;
  try {
    await rm(dir.at(fromBytes(name)));
  } catch {
    return true;
  }
  removed.push({ path: joinPath(dir.path, fromBytes(name)), message: `removed: the temporary file of an unstamp rewrite of ${displayPath(target)} that was killed (pid ${pid}, gone)` });
  return true;
}

/** minimatch, once a run with --include or --exclude patterns or a glob loaded it. */
let patterns: typeof MinimatchModule | undefined;
const loadPatterns = async () => (patterns ??= await import('minimatch'));

function matches(rel: string, given: readonly string[]): boolean {
  return given.some((p) => patterns!.minimatch(rel, p, { dot: true, matchBase: !p.includes('/') }));
}

function wanted(rel: FilePath, opts: WalkOptions): boolean {
  const r = (typeof rel === 'string' ? rel : rel.toString('utf8')).split(path.sep).join('/');
  if (opts.include.length > 0 && !matches(r, opts.include)) return false;
  return !matches(r, opts.exclude);
}

const byBytes = (a: { rel: Buffer }, b: { rel: Buffer }) => Buffer.compare(a.rel, b.rel);

type Found = Omit<WalkFile, 'walked'>;

/** A regular file `name` in `dir`, as the walk records it (undefined: not a regular file, or gone). */
async function regular(dir: Folder, name: FilePath): Promise<Found | undefined> {
  const st = await lstat(dir.at(name), { bigint: true }).catch(() => undefined);
  if (!st?.isFile()) return undefined;
  return { path: joinPath(dir.path, name), size: Number(st.size), regular: true, id: idOf(st), dir: dir.id };
}

/**
 * Regular files under `top`, names read as bytes so any name can be opened. Each folder is
 * opened through the one above it and never through a symlink, so the walk stays inside
 * the tree even if a folder is swapped for a symlink while it runs; a directory that
 * cannot be read is reported and the walk goes on.
 */
async function walkDir(top: Folder, opts: WalkOptions, out: WalkFile[], { missing, removed }: Omit<WalkResult, 'files'>): Promise<void> {
  const found: { rel: Buffer; file: Found }[] = [];
  const cannotRead = (dir: FilePath, e: unknown) => {
    const err = e as NodeJS.ErrnoException;
    missing.push({ path: dir, message: `cannot read this directory (${err.code ?? err.message}); its files were not processed` });
  };
  const visit = async (dir: Folder, rel: Buffer | undefined): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir.at(), { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      return cannotRead(dir.path, e);
    }
    for (const entry of entries) {
      const name = entry.name as unknown as Buffer;
      const childRel = rel ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
      if (entry.isDirectory()) {
        let sub;
        try {
          sub = await dir.sub(fromBytes(name));
        } catch (e) {
          cannotRead(joinPath(dir.path, fromBytes(name)), e);
          continue;
        }
        try {
          await visit(sub, childRel);
        } finally {
          await sub.close();
        }
      } else if (entry.isFile() && !(await temporary(dir, name, childRel.toString('utf8'), opts, removed)) && wanted(fromBytes(childRel), opts)) {
        const file = await regular(dir, fromBytes(name));
        if (file) found.push({ rel: childRel, file });
      }
    }
  };
  await visit(top, undefined);
  for (const f of found.sort(byBytes)) out.push({ ...f.file, walked: true });
}

/**
 * The folders a pattern names literally, before its first wildcard (one per brace
 * alternative): a match is taken only if no symlink lies between one of them and it.
 */
function literalBases(pattern: string): string[] {
  const bases = new Set<string>();
  for (const parts of new patterns!.Minimatch(pattern, { dot: true }).set) {
    const literal: string[] = [];
    for (const p of parts.slice(0, -1)) {
      if (typeof p !== 'string') break;
      literal.push(p);
    }
    bases.add(literal.length === 0 ? '.' : literal.length === 1 && literal[0] === '' ? '/' : literal.join('/'));
  }
  return [...bases];
}

/**
 * The names from `base` down to `match`, if `match` lies under it: walked one folder at a
 * time from the base, they cannot lead out of it.
 */
function below(base: string, match: string): string[] | undefined {
  const rel = path.relative(path.resolve(base), path.resolve(match));
  if (rel === '' || path.isAbsolute(rel) || rel.split(path.sep)[0] === '..') return undefined;
  return rel.split(path.sep);
}

/**
 * A glob's matches, taken as if walked: the base the pattern names is followed (it is
 * named on the command line), but below it every folder is entered without following a
 * symlink, so a symlinked folder inside the tree leads nowhere, as in a walk. (glob itself
 * follows one symlinked folder for `**`, and any for `*`.)
 */
async function expandGlob(pattern: string, opts: WalkOptions, out: WalkFile[], report: Omit<WalkResult, 'files'>): Promise<void> {
  const { glob } = await import('glob');
  await loadPatterns();
  const matched = (await glob(pattern, { dot: true, follow: false })).sort();
  if (matched.length === 0) report.missing.push({ path: pattern, message: 'no file matches this pattern' });
  const bases = literalBases(pattern);
  for (const m of matched) {
    // The longest base the match lies under (brace alternatives can nest).
    const [base, names] = bases
      .map((b) => [b, below(b, m)] as const)
      .filter((x): x is readonly [string, string[]] => x[1] !== undefined)
      .sort((a, b) => a[1].length - b[1].length)[0] ?? [undefined, undefined];
    if (base === undefined) continue;
    const held: Folder[] = [];
    try {
      held.push(await Folder.open(base, true));
      for (const name of names.slice(0, -1)) held.push(await held[held.length - 1].sub(name));
    } catch {
      // A symlink (or something that is no folder) between the base and the match.
      await Promise.all(held.map((f) => f.close()));
      continue;
    }
    const dir = held[held.length - 1];
    const last = names[names.length - 1];
    try {
      const lst = await lstat(dir.at(last)).catch(() => undefined);
      if (lst?.isDirectory()) {
        const sub = await dir.sub(last).catch(() => undefined);
        if (sub) await walkDir(sub, opts, out, report).finally(() => sub.close());
      } else if (lst?.isFile() && !(await temporary(dir, toBytes(last), m, opts, report.removed)) && wanted(m, opts)) {
        const file = await regular(dir, last);
        if (file) out.push({ ...file, path: m, walked: true });
      }
    } finally {
      await Promise.all(held.map((f) => f.close()));
    }
  }
}

/** A file named on the command line: followed if it is a symlink; its folder is the one holding the name. */
async function named(arg: FilePath, st: BigIntStats): Promise<WalkFile | undefined> {
  const dir = await stat(dirOf(arg), { bigint: true }).catch(() => undefined);
  if (!dir) return undefined;
  return { path: arg, walked: false, size: Number(st.size), regular: st.isFile(), id: idOf(st), dir: idOf(dir) };
}

/**
 * Expand command-line paths: a file (a symlink named here is followed to its target), a
 * directory (walked recursively, symlinks inside skipped), or a glob pattern (matches
 * taken as if walked: directories recursed into, symlinks skipped). Each file comes with
 * its device and inode and its folder's, which the engine checks again when it opens it.
 */
export async function expandPaths(args: readonly FilePath[], opts: WalkOptions): Promise<WalkResult> {
  const candidates: WalkFile[] = [];
  const missing: WalkResult['missing'] = [];
  const removed: WalkResult['removed'] = [];
  if (opts.include.length > 0 || opts.exclude.length > 0) await loadPatterns();
  for (const arg of args) {
    let st;
    try {
      st = await stat(arg, { bigint: true });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && typeof arg === 'string' && (await import('glob')).hasMagic(arg, { windowsPathsNoEscape: false })) {
        await expandGlob(arg, opts, candidates, { missing, removed });
        continue;
      }
      const reason = err.code === 'ENOENT' ? 'no such file or directory' : (err.code ?? err.message);
      missing.push({ path: arg, message: reason });
      continue;
    }
    if (st.isDirectory()) {
      let top;
      try {
        top = await Folder.open(arg, true);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        missing.push({ path: arg, message: `cannot read this directory (${err.code ?? err.message}); its files were not processed` });
        continue;
      }
      await walkDir(top, opts, candidates, { missing, removed }).finally(() => top.close());
    } else if (wanted(arg, opts)) {
      const file = await named(arg, st);
      if (file) candidates.push(file);
      else missing.push({ path: arg, message: 'its folder cannot be read' });
    }
  }
  const seen = new Set<string>();
  const files: WalkFile[] = [];
  for (const f of candidates) {
    const key = `${f.id.dev}:${f.id.ino}`;
    if (seen.has(key)) continue;
    seen.add(key);
    files.push(f);
  }
  return { files, missing, removed };
}
