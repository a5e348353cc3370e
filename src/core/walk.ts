import { lstat, readdir, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, hasMagic } from 'glob';
import { minimatch } from 'minimatch';
import { fromBytes, joinPath, pathKey, toBytes, type FilePath } from './paths.js';

export interface WalkOptions {
  include: readonly string[];
  exclude: readonly string[];
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
}

export interface WalkResult {
  /** Regular files to process, in a stable order, each once (by device and inode). */
  files: WalkFile[];
  /** Arguments that named nothing, and directories that could not be read. */
  missing: { path: FilePath; message: string }[];
}

/**
 * The temporary file a whole-file rewrite writes next to the original before renaming
 * it over: `.<name>.unstamp-<pid>-<12 hex>.tmp`. The walk never hands one to a format and
 * removes one whose process is gone (a run killed mid-rewrite), so a re-run leaves the
 * tree exactly as an uninterrupted run would.
 */
export function tempName(base: FilePath, pid: number, random: string): FilePath {
  return fromBytes(Buffer.concat([Buffer.from('.'), toBytes(base), Buffer.from(`.unstamp-${pid}-${random}.tmp`)]));
}

const TEMP = /^\..*\.unstamp-(\d+)-[0-9a-f]{12}\.tmp$/s;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Whether `name` is one of our temporary files; a stale one is removed on the way. */
async function ourTemp(dir: FilePath, name: Buffer): Promise<boolean> {
  const m = TEMP.exec(name.toString('latin1'));
  if (!m) return false;
  if (!alive(Number(m[1]))) await rm(joinPath(dir, fromBytes(name)), { force: true }).catch(() => undefined);
  return true;
}

function matches(rel: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => minimatch(rel, p, { dot: true, matchBase: !p.includes('/') }));
}

function wanted(rel: FilePath, opts: WalkOptions): boolean {
  const r = (typeof rel === 'string' ? rel : rel.toString('utf8')).split(path.sep).join('/');
  if (opts.include.length > 0 && !matches(r, opts.include)) return false;
  return !matches(r, opts.exclude);
}

const byBytes = (a: { rel: Buffer }, b: { rel: Buffer }) => Buffer.compare(a.rel, b.rel);

/**
 * Regular files under `top`, names read as bytes so any name can be opened. Symlinks are
 * never followed, so the walk stays inside the tree; a directory that cannot be read is
 * reported and the walk goes on.
 */
async function walkDir(top: FilePath, opts: WalkOptions, out: Omit<WalkFile, 'size'>[], missing: WalkResult['missing']): Promise<void> {
  const found: { rel: Buffer; path: FilePath }[] = [];
  const visit = async (dir: FilePath, rel: Buffer | undefined): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      missing.push({ path: dir, message: `cannot read this directory (${err.code ?? err.message}); its files were not processed` });
      return;
    }
    for (const entry of entries) {
      const name = entry.name as unknown as Buffer;
      const childRel = rel ? Buffer.concat([rel, Buffer.from('/'), name]) : name;
      const child = joinPath(dir, fromBytes(name));
      if (entry.isDirectory()) await visit(child, childRel);
      else if (entry.isFile() && !(await ourTemp(dir, name)) && wanted(fromBytes(childRel), opts)) found.push({ rel: childRel, path: child });
    }
  };
  await visit(top, undefined);
  for (const f of found.sort(byBytes)) out.push({ path: f.path, walked: true });
}

/**
 * Expand command-line paths: a file (a symlink named here is followed to its target), a
 * directory (walked recursively, symlinks inside skipped), or a glob pattern (matches
 * taken as if walked: directories recursed into, symlinks skipped).
 */
export async function expandPaths(args: readonly FilePath[], opts: WalkOptions): Promise<WalkResult> {
  const candidates: Omit<WalkFile, 'size'>[] = [];
  const missing: WalkResult['missing'] = [];
  for (const arg of args) {
    let st;
    try {
      st = await stat(arg);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && typeof arg === 'string' && hasMagic(arg, { windowsPathsNoEscape: false })) {
        const matched = (await glob(arg, { dot: true, follow: false })).sort();
        if (matched.length === 0) missing.push({ path: arg, message: 'no file matches this pattern' });
        for (const m of matched) {
          const lst = await lstat(m);
          if (lst.isDirectory()) await walkDir(m, opts, candidates, missing);
          else if (lst.isFile() && wanted(m, opts)) candidates.push({ path: m, walked: true });
        }
        continue;
      }
      const reason = err.code === 'ENOENT' ? 'no such file or directory' : (err.code ?? err.message);
      missing.push({ path: arg, message: reason });
      continue;
    }
    if (st.isDirectory()) await walkDir(arg, opts, candidates, missing);
    else if (wanted(arg, opts)) candidates.push({ path: arg, walked: false });
  }
  const seen = new Set<string>();
  const files: WalkFile[] = [];
  for (const f of candidates) {
    const st = await stat(f.path).catch(() => undefined);
    const key = st ? `${st.dev}:${st.ino}` : `path:${pathKey(f.path)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    files.push({ ...f, size: st?.size ?? 0 });
  }
  return { files, missing };
}

