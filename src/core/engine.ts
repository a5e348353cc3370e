import { chown, open, rename, rm, stat, utimes } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { Stats } from 'node:fs';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';
import pMap from 'p-map';
import type { Format, FormatRewrite, PlanOptions } from './format.js';
import { FormatError, SkipFile } from './errors.js';
import { FileSource, RangeReader } from './reader.js';
import { buildPlan, changedPatches, detectFormat, publishedValues, type Plan } from './plan.js';
import { expandPaths } from './walk.js';

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
  path: string;
  format?: string;
  status: FileStatus;
  size: number;
  fields: FieldResult[];
  /** Bytes that differ between the file before and after (written, or that would be). */
  bytesChanged: number;
  notes: string[];
  warnings: string[];
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
}

export interface RunOptions extends EngineOptions {
  jobs?: number;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Called for each file as soon as it and every file before it are done, in walk order. */
  onResult?: (r: FileResult) => void;
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

function internalMessage(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  // A failed system call (EACCES, ENOENT, ...) is the file's problem; anything else is ours.
  if (err && typeof err.code === 'string' && err.syscall) return `${err.code}: ${err.message}`;
  return `internal error: ${err instanceof Error ? err.message : String(e)}`;
}

/** The report of an error: a broken format rule with its offset, else the system or internal message. */
function errorOf(e: unknown): { message: string; offset?: number } {
  return e instanceof FormatError ? { message: e.message, offset: e.offset } : { message: internalMessage(e) };
}

/** How a file of a linked format (FormatLink) is being processed. */
export interface Pairing {
  /** For a companion: what its primary published. Absent: the companion is alone. */
  links?: ReadonlyMap<string, Buffer>;
  /** For a primary: whether a companion is processed with it. */
  hasCompanion?: boolean;
  /** Receives what a primary published, for its companions. */
  onPublished?: (values: Map<string, Buffer>) => void;
  /** The file's stat taken before the pairing pass read it, so its atime can be restored. */
  before?: Stats;
}

/**
 * Plan one file and, in normalize mode, apply the plan in place. Never throws for a bad
 * file: failures come back as status 'failed' with the file untouched.
 */
export async function processFile(path: string, opts: EngineOptions, pairing: Pairing = {}): Promise<FileResult> {
  const result: FileResult = { path, status: 'skipped', size: 0, fields: [], bytesChanged: 0, notes: [], warnings: [] };
  let before: Stats;
  try {
    const now = await stat(path);
    // Times from before the pairing pass read the file, if it did and nothing changed since.
    before = pairing.before && pairing.before.ino === now.ino && pairing.before.mtimeMs === now.mtimeMs ? pairing.before : now;
  } catch (e) {
    return { ...result, status: 'failed', error: { message: internalMessage(e) } };
  }
  result.size = before.size;
  if (!before.isFile()) return { ...result, reason: 'not a regular file' };

  let plan: Plan;
  try {
    const fh = await open(path, 'r');
    try {
      const source = new FileSource(fh, before.size);
      const format = await detectFormat(opts.formats, RangeReader.of(source));
      if (!format) return { ...result, reason: 'unknown format' };
      result.format = format.name;
      const link = format.link;
      const key = link ? await link.key(RangeReader.of(source)) : undefined;
      if (link?.role === 'companion' && key !== undefined && !pairing.links) {
        const reason = link.orphaned?.(key) ?? 'its primary file is not in this run';
        return { ...result, reason, warnings: [reason] };
      }
      plan = await buildPlan(source, format, opts.formats, opts, pairing.links);
      if (link?.role === 'primary' && key !== undefined && !pairing.hasCompanion && link.unpaired) plan.warnings.push(link.unpaired(key));
      if (plan.exports.length > 0) pairing.onPublished?.(await publishedValues(plan, source));
    } finally {
      await fh.close();
    }
  } catch (e) {
    if (e instanceof SkipFile) return { ...result, reason: e.message };
    if (process.env.UNSTAMP_DEBUG && !(e instanceof FormatError)) console.error(e);
    return { ...result, status: 'failed', error: errorOf(e) };
  }

  let rewrite: { how: FormatRewrite; why: string } | undefined;
  const how = opts.formats.find((f) => f.name === plan.format)?.rewrite;
  if (how?.wanted(opts.settings)) {
    try {
      const why = await withReader(path, (r) => how.needed(r));
      if (why !== undefined && before.nlink > 1) plan.warnings.push(`${how.field} kept: the file has ${before.nlink} hard links and a rewrite would split them`);
      else if (why !== undefined) rewrite = { how, why };
    } catch (e) {
      return { ...result, status: 'failed', error: errorOf(e) };
    }
  }

  result.notes = plan.notes;
  result.warnings = plan.warnings;
  result.fields = plan.patches.map((p) => ({
    field: p.field,
    offset: p.offset,
    old: p.old,
    new: p.new,
    changed: !p.bytes.equals(p.oldBytes),
  }));
  if (rewrite) result.fields.push({ field: rewrite.how.field, offset: 0, old: rewrite.why, new: rewrite.how.result, changed: true });
  const changes = changedPatches(plan);
  result.bytesChanged = countChangedBytes(plan);
  if (changes.length === 0 && !rewrite) result.status = 'clean';
  else result.status = opts.mode === 'normalize' ? 'normalized' : 'would-change';

  if (opts.mode !== 'normalize') return result;
  try {
    if (changes.length > 0) await applyPatches(path, before, changes);
    if (rewrite) await rewriteFile(path, before, rewrite.how);
    if (changes.length > 0 || opts.setMtime) {
      const mtime = opts.setMtime ? mtimeFor(before, opts) : before.mtime;
      await utimes(path, before.atime, mtime);
    }
  } catch (e) {
    return { ...result, status: 'failed', bytesChanged: 0, error: errorOf(e) };
  }
  return result;
}

function mtimeFor(st: Stats, opts: PlanOptions): Date {
  const seconds = opts.clamp ? Math.min(st.mtimeMs / 1000, opts.epoch) : opts.epoch;
  return new Date(seconds * 1000);
}

/** Patches closer than this are written together, with the bytes between them read back. */
const WRITE_SPAN = 64 * 1024;

/**
 * Positional writes into the same inode: size, mode, owner and hard links stay as they
 * are. Patches that lie close together go out as one read-overlay-write of the span
 * they cover (an archive with 20,000 members is a few dozen writes, not 80,000).
 * Refuses if the file changed between planning and writing.
 */
async function applyPatches(path: string, before: Stats, patches: Plan['patches']): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    const now = await fh.stat();
    if (now.size !== before.size || now.mtimeMs !== before.mtimeMs || now.ino !== before.ino) {
      throw new FormatError('file changed while it was being planned; left untouched');
    }
    const sorted = [...patches].sort((a, b) => a.offset - b.offset);
    for (let i = 0; i < sorted.length; ) {
      const start = sorted[i].offset;
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1].offset + sorted[j + 1].bytes.length - start <= WRITE_SPAN) j++;
      const end = sorted[j].offset + sorted[j].bytes.length;
      const span = Buffer.alloc(end - start);
      const { bytesRead } = await fh.read(span, 0, span.length, start);
      if (bytesRead !== span.length) throw new Error(`short read at ${start}`);
      for (let k = i; k <= j; k++) sorted[k].bytes.copy(span, sorted[k].offset - start);
      const { bytesWritten } = await fh.write(span, 0, span.length, start);
      if (bytesWritten !== span.length) throw new Error(`short write at ${start}`);
      i = j + 1;
    }
    await fh.sync();
  } finally {
    await fh.close();
  }
}

async function withReader<T>(path: string, fn: (r: RangeReader) => Promise<T>): Promise<T> {
  const fh = await open(path, 'r');
  try {
    return await fn(RangeReader.of(new FileSource(fh, (await fh.stat()).size)));
  } finally {
    await fh.close();
  }
}

/**
 * Stream the format's rewrite into a temporary file in the same folder, give it the
 * original's mode and owner, sync it, then rename it over the original: at every moment
 * the path holds either the old file or the complete new one.
 */
async function rewriteFile(path: string, before: Stats, how: FormatRewrite): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.unstamp-${randomBytes(6).toString('hex')}`);
  const out = await open(temp, 'wx', before.mode & 0o7777);
  try {
    await withReader(path, (r) => how.write(r, async (chunk) => void (await out.write(chunk))));
    await out.chmod(before.mode & 0o7777);
    const made = await out.stat();
    if (made.uid !== before.uid || made.gid !== before.gid) await chown(temp, before.uid, before.gid);
    await out.sync();
    await out.close();
    await rename(temp, path);
  } catch (e) {
    await out.close().catch(() => undefined);
    await rm(temp, { force: true });
    throw e;
  }
}

function summarize(files: readonly FileResult[], seconds: number): Summary {
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
  };
}

interface LinkInfo {
  /** Taken before reading, to restore the atime later. */
  stat: Stats;
  role?: 'primary' | 'companion';
  key?: string;
}

const concurrency = (opts: RunOptions) => Math.max(1, opts.jobs ?? os.availableParallelism());

/** The pairing key of a file of a linked format, or undefined (unreadable files included). */
async function linkKey(path: string, formats: readonly Format[]): Promise<LinkInfo | undefined> {
  try {
    const st = await stat(path);
    if (!st.isFile()) return undefined;
    return await withReader(path, async (r) => {
      const format = await detectFormat(formats, r);
      return format?.link ? { stat: st, role: format.link.role, key: await format.link.key(r) } : { stat: st };
    });
  } catch {
    return undefined;
  }
}

interface Unit {
  /** A primary followed by the companions paired with it, or a single file. */
  members: number[];
  /** Some companion with the primary's key is in the run (so no "unpaired" warning). */
  keyHasCompanion: boolean;
}

/**
 * Group file indexes into units: each companion goes with a primary of the same key,
 * one in its own folder if there is one (two builds side by side can hold the same
 * key twice), and every other file is alone. Only formats with a FormatLink cost the
 * extra look at each file.
 */
async function pairUnits(files: readonly string[], opts: RunOptions): Promise<{ units: Unit[]; stats: (Stats | undefined)[] }> {
  const alone = (i: number): Unit => ({ members: [i], keyHasCompanion: false });
  if (!opts.formats.some((f) => f.link)) return { units: files.map((_, i) => alone(i)), stats: [] };
  const infos = await pMap(files, (f) => linkKey(f, opts.formats), { concurrency: concurrency(opts) });
  const groups = new Map<string, { primaries: number[]; companions: number[] }>();
  infos.forEach((k, i) => {
    if (!k?.role || k.key === undefined) return;
    const g = groups.get(k.key) ?? { primaries: [], companions: [] };
    (k.role === 'primary' ? g.primaries : g.companions).push(i);
    groups.set(k.key, g);
  });
  const unitOf = new Map<number, Unit>();
  for (const { primaries, companions } of groups.values()) {
    for (const p of primaries) unitOf.set(p, { members: [p], keyHasCompanion: companions.length > 0 });
    for (const c of companions) {
      const p = primaries.find((q) => dirname(files[q]) === dirname(files[c])) ?? primaries[0];
      if (p === undefined) unitOf.set(c, alone(c));
      else unitOf.get(p)!.members.push(c);
    }
  }
  const units: Unit[] = [];
  const placed = new Set<number>();
  files.forEach((_, i) => {
    if (placed.has(i)) return;
    const u = unitOf.get(i) ?? alone(i);
    u.members.forEach((m) => placed.add(m));
    units.push(u);
  });
  return { units, stats: infos.map((k) => k?.stat) };
}

/** Walk, then plan (and apply) every file with bounded parallelism. */
export async function run(paths: readonly string[], opts: RunOptions): Promise<RunResult> {
  const started = process.hrtime.bigint();
  const walked = await expandPaths(paths, { include: opts.include ?? [], exclude: opts.exclude ?? [] });
  const results: FileResult[] = walked.missing.map((m) => ({
    path: m.path,
    status: 'failed' as const,
    size: 0,
    fields: [],
    bytesChanged: 0,
    notes: [],
    warnings: [],
    error: { message: m.message },
  }));
  results.forEach((r) => opts.onResult?.(r));

  const done: (FileResult | undefined)[] = [];
  let next = 0;
  const emit = () => {
    for (; next < done.length && done[next]; next++) opts.onResult?.(done[next]!);
  };
  const { units, stats } = await pairUnits(walked.files, opts);
  await pMap(
    units,
    async (unit) => {
      // A primary and its companions run in order inside one job: the companions need
      // what the primary published, and no other job touches these files meanwhile.
      const [first, ...companions] = unit.members;
      let links: Map<string, Buffer> | undefined;
      done[first] = await processFile(walked.files[first], opts, {
        hasCompanion: unit.keyHasCompanion,
        onPublished: (values) => (links = values),
        before: stats[first],
      });
      for (const c of companions) done[c] = await processFile(walked.files[c], opts, { links: links ?? new Map(), before: stats[c] });
      emit();
    },
    { concurrency: concurrency(opts) },
  );
  const processed = done as FileResult[];
  results.push(...processed);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { files: results, summary: summarize(results, seconds) };
}
