import type { Format, PlanOptions } from './format.js';
import { FormatError, NotWritten } from './errors.js';
import type { Detail, Plan } from './plan.js';
import type { SyncMode } from './durable.js';
import { reportPath, type FilePath } from './paths.js';

// What a run reports, per file and in total, and the options every file is planned with.

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
  /**
   * Only when `fields` lists some of the fields (a run that prints counts, or only the
   * changed fields): how many there are, and how many change.
   */
  counts?: { fields: number; changed: number };
  /** Bytes that differ between the file before and after (written, or that would be). */
  bytesChanged: number;
  notes: string[];
  warnings: string[];
  /** Changes the settings kept from being made (--recompress never), when there are any. */
  kept?: string[];
  /** Why a file was skipped. */
  reason?: string;
  /** `written`: the file was written all the same (only its sync failed). */
  error?: { message: string; offset?: number; written?: boolean };
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
  /** When the files written in place are synced (default 'end': all at once when the run is done). */
  sync?: SyncMode;
  /** Called with each file's plan once it is built (explain of two builds compares them). */
  onPlan?: (path: FilePath, plan: Plan) => void;
  /**
   * Which fields each file's report lists (default 'all'): 'changed' or 'none' keep the
   * plan compact and give `counts` (the CLI's text report without and with -v).
   */
  detail?: Detail;
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

/** A failed system call, without the path Node puts in its message (the report names the file). */
function systemMessage(err: NodeJS.ErrnoException): string {
  const what = /^[A-Z0-9_]+: ([^,]*)/.exec(err.message)?.[1] ?? err.message;
  return `${err.syscall} failed: ${what} (${err.code})`;
}

/** The report of an error: a broken format rule with its offset, a refusal, a failed system call, or our bug. */
export function errorOf(e: unknown): { message: string; offset?: number } {
  if (e instanceof FormatError) return { message: e.message, offset: e.offset };
  if (e instanceof NotWritten) return { message: e.message };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && err.syscall) return { message: systemMessage(err) };
  return { message: `internal error: ${err instanceof Error ? err.message : String(e)}` };
}

/** The report of a file before anything is known about it. */
export function blankResult(path: FilePath): FileResult {
  return { ...reportPath(path), status: 'skipped', size: 0, fields: [], bytesChanged: 0, notes: [], warnings: [] };
}
