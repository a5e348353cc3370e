// A run's totals.
import type { FileResult, FileStatus, Summary } from './result.js';

export function summarize(files: readonly FileResult[], seconds: number, notProcessed: number, interrupted: string | undefined): Summary {
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
