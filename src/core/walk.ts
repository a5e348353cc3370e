import { lstat, stat } from 'node:fs/promises';
import path from 'node:path';
import { glob, hasMagic } from 'glob';
import { minimatch } from 'minimatch';

export interface WalkOptions {
  include: readonly string[];
  exclude: readonly string[];
}

export interface WalkResult {
  /** Regular files to process, in a stable order, each once (by device and inode). */
  files: string[];
  /** Arguments that named nothing. */
  missing: { path: string; message: string }[];
}

function matches(rel: string, patterns: readonly string[]): boolean {
  return patterns.some((p) => minimatch(rel, p, { dot: true, matchBase: !p.includes('/') }));
}

function wanted(rel: string, opts: WalkOptions): boolean {
  const r = rel.split(path.sep).join('/');
  if (opts.include.length > 0 && !matches(r, opts.include)) return false;
  return !matches(r, opts.exclude);
}

/** Regular files under `dir`; symlinks are never followed, so the walk stays inside the tree. */
async function walkDir(dir: string, opts: WalkOptions, out: string[]): Promise<void> {
  const entries = await glob('**', { cwd: dir, dot: true, follow: false, withFileTypes: true });
  const files = entries
    .filter((e) => e.isFile())
    .map((e) => e.relative())
    .filter((rel) => wanted(rel, opts))
    .sort();
  for (const rel of files) out.push(path.join(dir, rel));
}

/**
 * Expand command-line paths: a file (a symlink named here is followed to its target), a
 * directory (walked recursively, symlinks inside skipped), or a glob pattern (matches
 * taken as if walked: directories recursed into, symlinks skipped).
 */
export async function expandPaths(args: readonly string[], opts: WalkOptions): Promise<WalkResult> {
  const candidates: string[] = [];
  const missing: WalkResult['missing'] = [];
  for (const arg of args) {
    let st;
    try {
      st = await stat(arg);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' && hasMagic(arg, { windowsPathsNoEscape: false })) {
        const matched = (await glob(arg, { dot: true, follow: false })).sort();
        if (matched.length === 0) missing.push({ path: arg, message: 'no file matches this pattern' });
        for (const m of matched) {
          const lst = await lstat(m);
          if (lst.isDirectory()) await walkDir(m, opts, candidates);
          else if (lst.isFile() && wanted(m, opts)) candidates.push(m);
        }
        continue;
      }
      const reason = err.code === 'ENOENT' ? 'no such file or directory' : (err.code ?? err.message);
      missing.push({ path: arg, message: reason });
      continue;
    }
    if (st.isDirectory()) await walkDir(arg, opts, candidates);
    else if (wanted(arg, opts)) candidates.push(arg);
  }
  const seen = new Set<string>();
  const files: string[] = [];
  for (const f of candidates) {
    const st = await stat(f).catch(() => undefined);
    const key = st ? `${st.dev}:${st.ino}` : `path:${path.resolve(f)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    files.push(f);
  }
  return { files, missing };
}
