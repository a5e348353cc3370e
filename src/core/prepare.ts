// One file: stat, open, detect, plan, and the write still to do (normalize mode).
import { statSync, type BigIntStats } from 'node:fs';
import { Handle } from './handle.js';
import type { FormatRewrite, PlanOptions, RewriteChange, RewriteTools, Format } from './format.js';
import { rewriteTools } from './payload.js';
import { FormatError, NotWritten, SkipFile, hex } from './errors.js';
import { FileSource, RangeReader } from './reader.js';
import { buildPlan, detectFormat, PatchedSource, publishedValues, type Plan } from './plan.js';
import { idOf, sameId, type Folder } from './folder.js';
import { firstPath } from './remap.js';
import { blankResult, errorOf, type EngineOptions, type FileResult } from './result.js';
import type { Pairing } from './pairing.js';
import { changed, lookup, readFlags, type Folders, type Opened, type Target } from './open.js';
import { onDisk } from './sibling.js';
import { applyPatches } from './apply.js';
import type { Durable } from './durable.js';
import { restoreTimes } from './utimes.js';
import { rewriteFile } from './rewrite-file.js';

/** A planned file: its report, and (normalize mode, something to change) the write still to do. */
export interface Prepared {
  result: FileResult;
  write?: () => Promise<void>;
  /** A primary's published values and the key its companions have after normalization. */
  published?: { values: Map<string, Buffer>; keyAfter?: string };
  /** With a write: lets go of the file's handle and folder, once the write is done or dropped. */
  release?: () => Promise<void>;
}

/** What the files of one run share: the folders held open, the written files still to sync. */
export interface RunIo {
  folders: Folders;
  durable: Durable;
}

/** A file opened for planning: its stat before anything read it, the handle, the format detected. */
export interface Entry extends Opened {
  format: Format | undefined;
  /** Hand the handle on (to be synced): release() then leaves it open. */
  handOver(): Handle;
  /** Close the handle (unless handed on) and let go of the folder; once. */
  release(): Promise<void>;
}

const failedWith = (result: FileResult, e: unknown): Prepared => ({ result: { ...result, status: 'failed', bytesChanged: 0, error: errorOf(e) } });

const skipped = (result: FileResult, reason: string): Prepared => ({ result: { ...result, reason } });

/**
 * Open and detect: an Entry to plan, or the finished report of a file that cannot be. One
 * open and one fstat: the open refuses a symlink (O_NOFOLLOW, for a file found by a walk)
 * and does not block on a FIFO, the fstat refuses anything but a regular file, and any
 * other file than the one the walk found.
 */
export async function enter(file: Target, opts: EngineOptions, io: RunIo): Promise<Entry | Prepared> {
  const result = blankResult(file.path);
  let folder: Folder | undefined;
  let fh: Handle | undefined;
  try {
    folder = await io.folders.acquire(file);
    // Not known to be a regular file (a name given to the library, or on the command line
    // as a FIFO or a device): a stat first, so that only a regular file is ever opened.
    if (!file.id || file.regular === false) {
      const st = statSync(lookup(file, folder), { bigint: true });
      result.size = Number(st.size);
      if (!st.isFile()) return skipped(result, 'not a regular file');
    }
    try {
      fh = Handle.open(lookup(file, folder), readFlags(file.walked));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (file.walked && (code === 'ELOOP' || code === 'EMLINK')) return skipped(result, 'a symlink inside the tree (never followed)');
      throw e;
    }
    const version = fh.stat();
    result.size = Number(version.size);
    if (!version.isFile()) return skipped(result, 'not a regular file');
    if (file.id && !sameId(idOf(version), file.id)) throw changed();
    const source = new FileSource(fh, result.size);
    const format = await detectFormat(opts.formats, RangeReader.of(source));
    const handle = fh;
    let handed = false;
    let released = false;
    const entry: Entry = {
      file,
      fh: handle,
      version,
      source,
      folder,
      format,
      handOver: () => ((handed = true), handle),
      release: async () => {
        if (released) return;
        released = true;
        try {
          if (!handed) handle.close();
        } finally {
          await io.folders.release(file);
        }
      },
    };
    fh = undefined;
    folder = undefined;
    return entry;
  } catch (e) {
    return failedWith(result, e);
  } finally {
    try {
      fh?.close();
    } catch {
      // The open failed or was refused already: that is what the report says.
    }
    if (folder) await io.folders.release(file);
  }
}

export const isEntry = (x: Entry | Prepared): x is Entry => 'fh' in x;

/**
 * Plan one file (opened already, or opened now). A file with a write to do stays open,
 * for the write to go through the handle it was planned through, until the write (finish)
 * or whoever drops it calls release().
 */
export async function prepare(file: Target, opts: EngineOptions, pairing: Pairing, io: RunIo, opened?: Entry): Promise<Prepared> {
  const entry = opened ?? (await enter(file, opts, io));
  if (!isEntry(entry)) return entry;
  let prepared: Prepared | undefined;
  try {
    prepared = await planEntry(entry, opts, pairing, io);
    return prepared;
  } finally {
    if (prepared?.write) prepared.release = entry.release;
    else await entry.release();
  }
}

async function planEntry(entry: Entry, opts: EngineOptions, pairing: Pairing, io: RunIo): Promise<Prepared> {
  const file = entry.file;
  const path = file.path;
  const { version, source, format } = entry;
  const result = blankResult(path);
  result.size = Number(version.size);
  // Times from before the pairing pass read the file, if it did and nothing changed since.
  const before = pairing.before && pairing.before.ino === version.ino && pairing.before.mtimeNs === version.mtimeNs ? pairing.before : version;

  let plan: Plan;
  let published: Prepared['published'];
  let rewrite: { how: FormatRewrite; changes: RewriteChange[]; tools: RewriteTools } | undefined;
  const kept: string[] = [];
  try {
    {
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
      plan = await buildPlan(source, format, opts.formats, opts, pairing.links, onDisk(file, entry.folder), opts.detail ?? 'all');
      if (link?.role === 'primary' && key !== undefined && !pairing.hasCompanion && link.unpaired) plan.warnings.push(link.unpaired(key, pairing.pairedElsewhere));
      opts.onPlan?.(path, plan);
      if (plan.exports.length > 0) {
        const values = await publishedValues(plan, source);
        published = { values, keyAfter: link?.keyAfter?.(values) };
      }
      const how = format.rewrite;
      // The rewrite is asked about the planned bytes: what the in-place patches leave for it to do.
      const tools = rewriteTools(opts.formats, opts, opts.recompress, { notes: plan.notes, kept });
      const wants = how ? await how.needed(RangeReader.of(new PatchedSource(source, plan.writes)), tools) : [];
      if (how && wants.length > 0) {
        if (before.nlink > 1n) {
          const what = wants.length === 1 ? wants[0].field : `${wants[0].field} and ${wants.length - 1} more rewritten fields`;
          plan.warnings.push(`${what} kept: the file has ${before.nlink} hard links and a rewrite would split them`);
        }
        else rewrite = { how, changes: wants, tools };
      }
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
  // A plan that kept only some fields for reports (opts.detail) still counts them all.
  if (plan.detail !== 'all') {
    const extra = rewrite?.changes.length ?? 0;
    result.counts = { fields: plan.fieldCount + extra, changed: plan.changedCount + extra };
  }
  const changes = plan.writes;
  result.bytesChanged = plan.bytesChanged;
  if (changes.count === 0 && !rewrite) result.status = 'clean';
  else result.status = opts.mode === 'normalize' ? 'normalized' : 'would-change';

  if (opts.mode !== 'normalize' || (changes.count === 0 && !rewrite && !opts.setMtime)) return { result, published };
  const times = { atimeNs: before.atimeNs, mtimeNs: opts.setMtime ? mtimeFor(before, opts) : before.mtimeNs };
  const write = async () => {
    if (changes.count > 0 || rewrite) {
      const mode = Number(before.mode);
      if ((mode & 0o222) === 0) {
        throw new NotWritten(`read-only (mode ${(mode & 0o7777).toString(8).padStart(4, '0')}); make it writable to normalize it`);
      }
    }
    // A rewrite carries the patches into its new file: the original is not written at all
    // before the rename, so a rewrite that fails (a full disk) leaves it as it was.
    if (rewrite) await rewriteFile(entry, changes, rewrite.how, rewrite.tools, times);
    // A companion (a PDB) is on disk before its primary is written: after a power cut, as
    // after a kill, either both keep their key or the companion has the new one (run()).
    else if (changes.count > 0) await applyPatches(entry, changes, times, io.durable, pairing.links !== undefined);
    else {
      restoreTimes(entry.fh, times);
      await io.durable.keep(entry.handOver(), path);
    }
  };
  return { result, write, published };
}

/** Run a prepared file's write; a failure turns its report into 'failed' (the file untouched). */
export async function finish(p: Prepared): Promise<FileResult> {
  if (!p.write) return p.result;
  try {
    await p.write();
    return p.result;
  } catch (e) {
    return { ...p.result, status: 'failed', bytesChanged: 0, error: errorOf(e) };
  } finally {
    await p.release?.();
  }
}

/** The file's mtime under --set-mtime, in nanoseconds: the epoch (or, with --clamp, the older of the two). */
function mtimeFor(st: BigIntStats, opts: PlanOptions): bigint {
  const epoch = BigInt(Math.floor(opts.epoch)) * 1_000_000_000n;
  return opts.clamp && st.mtimeNs < epoch ? st.mtimeNs : epoch;
}
