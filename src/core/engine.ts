// The run: walk, then plan and write every file with bounded parallelism, a linked
// primary and its companions (a PE and its PDB) as one unit.
import os from 'node:os';
import pMap from 'p-map';
import { RangeReader } from './reader.js';
import { pathKey, reportPath, type FilePath } from './paths.js';
import { expandPaths } from './walk.js';
import { hold } from './debug.js';
import { blankResult, errorOf, type EngineOptions, type FileResult, type RunResult } from './result.js';
import { pairUnits, type LinkInfo, type Pairing, type Unit } from './pairing.js';
import { enter, finish, isEntry, prepare, type Entry, type RunIo } from './prepare.js';
import { Folders } from './open.js';
import { Durable } from './durable.js';
import { summarize } from './summary.js';

export type { Mode, FileStatus, FieldResult, FileResult, EngineOptions, Summary, RunResult } from './result.js';
export type { Pairing } from './pairing.js';

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

/**
 * Plan one file and, in normalize mode, apply the plan in place. Never throws for a bad
 * file: failures come back as status 'failed' with the file untouched.
 */
export async function processFile(path: FilePath, opts: EngineOptions, pairing: Pairing = {}, walked = false): Promise<FileResult> {
  const io: RunIo = { folders: new Folders(), durable: new Durable(opts.sync) };
  try {
    const result = await finish(await prepare({ path, walked }, opts, pairing, io));
    await io.durable.flush();
    const [failure] = io.durable.failures();
    return failure ? syncFailed(result, failure.error) : result;
  } finally {
    await io.folders.close();
  }
}

/** A file written in place whose sync failed: its new bytes may not have reached the disk. */
function syncFailed(r: FileResult, e: unknown): FileResult {
  const why = errorOf(e).message;
  return { ...r, status: 'failed', error: { message: `written, but the sync at the end of the run failed (${why}): the new bytes may not be on disk; run unstamp on it again`, written: true } };
}

/**
 * Files in flight. Reads and writes are synchronous calls (handle.ts), so a file holds the
 * thread from its open to its close, and files overlap only where one waits: a rewrite's
 * compression (zlib in the thread pool), getfattr and setfattr, an fsync. Twice the cores
 * (at least 4) fills those waits: on the 640 MB tree of 5,551 files, 2 cores, the main
 * thread sat blocked 1.5 s with -j 1, 1.0 s with -j 2 and 0.75 s with -j 4 (medians of 3;
 * its CPU time the same, 3.9 s), and peak RSS moved with the run, not with -j (160-215 MB).
 */
export const defaultJobs = () => Math.max(4, 2 * os.availableParallelism());
const concurrency = (opts: RunOptions) => Math.max(1, opts.jobs ?? defaultJobs());

/**
 * A file's reads and writes are synchronous calls (handle.ts): with nothing else to wait
 * for, a file runs from its open to its close without the event loop turning. So before
 * each file starts, the loop turns once: a failed write to stdout, a signal and the
 * progress timer are seen between files, and stop the run before the next one.
 */
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * A file of a linked format (a PE, a PDB) is opened in the first pass to read its key and
 * planned in the second: this many stay open in between, so most are opened once; the
 * rest (a tree of thousands of DLLs) are opened again rather than hold a descriptor each.
 */
const KEPT_LINKED = 64;

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
  const io: RunIo = { folders: new Folders(), durable: new Durable(opts.sync) };
  // Files of a linked format kept open from the first pass to the second (a few, without their windows).
  const kept = new Map<number, Entry>();
  const prepareAt = (i: number, pairing: Pairing) => {
    const entry = kept.get(i);
    kept.delete(i);
    return prepare(file(i), opts, pairing, io, entry);
  };
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
      await turn();
      if (stopped()) return void (done[i] = null);
      const entry = await enter(file(i), opts, io);
      if (!isEntry(entry)) return settle(i, entry.result);
      const link = entry.format?.link;
      if (!link) return settle(i, await finish(await prepare(file(i), opts, {}, io, entry)));
      let keep = false;
      try {
        const key = await link.key(RangeReader.of(entry.source)).catch(() => undefined);
        const names = key !== undefined ? await link.names?.(RangeReader.of(entry.source)).catch(() => undefined) : undefined;
        infos.set(i, { stat: entry.version, role: link.role, key, names });
        keep = kept.size < KEPT_LINKED;
      } finally {
        if (keep) {
          entry.source.forget();
          kept.set(i, entry);
        } else await entry.release();
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
      await turn();
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
        await primary.release?.();
        settle(first, { ...primary.result, status: 'failed', bytesChanged: 0, error: { message: why } });
      } else settle(first, await finish(primary));
      emit();
    },
    { concurrency: concurrency(opts) },
  );
  // A companion already carrying the key its primary gets once normalized: pair it now.
  for (const unit of orphans) {
    const [c] = unit.members;
    await turn();
    if (stopped()) done[c] = null;
    else settle(c, await finish(await prepareAt(c, { links: afterKeys.get(unit.orphanKey!), before: stats(c) })));
  }
  emit();
  // Units an interrupt kept from starting.
  for (const entry of kept.values()) await entry.release();
  await io.folders.close();
  // The files written in place reach the disk now, together (Durable); one whose sync failed is reported again, failed.
  await io.durable.flush();
  const failures = io.durable.failures();
  if (failures.length > 0) {
    const index = new Map(walked.files.map((f, i) => [pathKey(f.path), i]));
    for (const { path, error } of failures) {
      const i = index.get(pathKey(path));
      const r = i === undefined ? undefined : done[i];
      if (i === undefined || !r) continue;
      done[i] = syncFailed(r, error);
      opts.onResult?.(done[i]!);
    }
  }
  const processed = done.filter((r): r is FileResult => !!r);
  results.push(...processed);
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const notProcessed = done.length - processed.length;
  const reason = stopped() ? String(opts.signal?.reason ?? 'aborted') : undefined;
  return { files: results, summary: summarize(results, seconds, notProcessed, reason) };
}
