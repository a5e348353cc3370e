/**
 * unstamp as a library. The CLI is a thin layer over these functions.
 *
 *   import { normalizeTree } from 'unstamp';
 *   const { summary } = await normalizeTree(['build/'], { epoch: 0 });
 */
import { UsageError } from './core/errors.js';
import type { Format, RemapRule } from './core/format.js';
import { checkRule } from './core/remap.js';
import { processFile, run, type EngineOptions, type FileResult, type Mode, type RunResult } from './core/engine.js';
import { defaultEpoch } from './core/time.js';
import type { SyncMode } from './core/durable.js';
import { resolveSettings } from './core/plan.js';
import { allFormats } from './formats/index.js';

export { allFormats } from './formats/index.js';
export { FormatError, UsageError } from './core/errors.js';
export { parseEpoch, renderTime, defaultEpoch, MAX_EPOCH } from './core/time.js';
export { parseRemap } from './core/remap.js';
export type { Format, FieldDoc, RemapRule, FormatOption, FormatLink, PlanContext, PlanOptions, DerivedField, DerivedHasher, SiblingFile } from './core/format.js';
export type { FileResult, FieldResult, FileStatus, RunResult, Summary, Mode } from './core/engine.js';
export type { SyncMode };

export interface Options {
  /** Seconds since 1970 UTC (default: $SOURCE_DATE_EPOCH, else 0). */
  epoch?: number;
  /** Only replace timestamps newer than the epoch. */
  clamp?: boolean;
  /** Handler selection: names to enable only those, "-name" to disable one. Default: all. */
  formats?: readonly string[];
  /** Files processed at once (default: twice the available cores, at least 4). */
  jobs?: number;
  include?: readonly string[];
  exclude?: readonly string[];
  /** Also set each normalized or clean file's own mtime to the epoch. */
  setMtime?: boolean;
  /**
   * 'auto' (default): a payload that can only be normalized by decompressing it (the tar of
   * a .tar.gz, a deflated zip member of a known format) is decompressed, normalized and
   * compressed again. 'never': strictly in place; such payloads are only noted.
   */
  recompress?: 'auto' | 'never';
  /** Format options by name, e.g. { 'pe-timestamp': 'epoch' } (see `unstamp formats`). */
  settings?: Readonly<Record<string, string>>;
  /** Build folders to replace by another of the same length (`--remap-path OLD=NEW`). */
  remap?: readonly RemapRule[];
  /**
   * When files written in place are fsynced: 'end' (default) all at once when the run is
   * done, 'each' before each file's result, 'none' never (README "Power cut").
   */
  sync?: SyncMode;
  onResult?: (r: FileResult) => void;
}

/** Resolve a --formats list against the known handlers, keeping detection order. */
export function selectFormats(spec: readonly string[] = []): Format[] {
  const names = spec.flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const known = new Set(allFormats.map((f) => f.name));
  const enable = new Set<string>();
  const disable = new Set<string>();
  for (const n of names) {
    const negative = n.startsWith('-') || n.startsWith('no-');
    const name = n.replace(/^(-|no-)/, '');
    if (!known.has(name)) throw new UsageError(`--formats: unknown format '${name}' (known: ${[...known].join(', ')})`);
    (negative ? disable : enable).add(name);
  }
  return allFormats.filter((f) => (enable.size === 0 || enable.has(f.name)) && !disable.has(f.name));
}

/** Every format's own options (--pe-timestamp, --zip-order, ...). */
export const formatOptions = allFormats.flatMap((f) => f.options ?? []);

/** Check format option values against each option's choices. */
function checkSettings(given: Readonly<Record<string, string>>): void {
  const options = new Map(formatOptions.map((o) => [o.name, o]));
  for (const [name, value] of Object.entries(given)) {
    const o = options.get(name);
    if (!o) throw new UsageError(`unknown format option '${name}'`);
    if (!o.choices.includes(value)) throw new UsageError(`--${name}: '${value}' is not one of ${o.choices.join(', ')}`);
  }
}

function recompressOf(v: string | undefined): 'auto' | 'never' {
  if (v === undefined || v === 'auto' || v === 'never') return v ?? 'auto';
  throw new UsageError(`--recompress: '${v}' is not one of auto, never`);
}

/** Options as the engine takes them: defaults filled in, names checked. */
export function engineOptions(mode: Mode, opts: Options): EngineOptions {
  const formats = selectFormats(opts.formats);
  checkSettings(opts.settings ?? {});
  return {
    mode,
    epoch: opts.epoch ?? defaultEpoch(),
    clamp: opts.clamp ?? false,
    formats,
    setMtime: opts.setMtime ?? false,
    recompress: recompressOf(opts.recompress),
    settings: resolveSettings(allFormats, opts.settings),
    remap: (opts.remap ?? []).map(checkRule),
    sync: opts.sync ?? 'end',
  };
}

/** Plan one file without writing: every field found, old and new values. */
export function planFile(path: string, opts: Options = {}): Promise<FileResult> {
  return processFile(path, engineOptions('explain', opts));
}

/** Normalize one file in place. */
export function normalizeFile(path: string, opts: Options = {}): Promise<FileResult> {
  return processFile(path, engineOptions('normalize', opts));
}

/** Normalize files, directories (recursively) and glob patterns in place. */
export function normalizeTree(paths: readonly string[], opts: Options = {}): Promise<RunResult> {
  return run(paths, { ...engineOptions('normalize', opts), ...pickRun(opts) });
}

/** Like normalizeTree but writes nothing: status 'would-change' marks files that would change. */
export function checkTree(paths: readonly string[], opts: Options = {}): Promise<RunResult> {
  return run(paths, { ...engineOptions('check', opts), ...pickRun(opts) });
}

function pickRun(opts: Options) {
  return { jobs: opts.jobs, include: opts.include, exclude: opts.exclude, onResult: opts.onResult };
}
