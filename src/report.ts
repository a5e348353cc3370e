import type { FileResult, Mode, RunResult, Summary } from './core/engine.js';
import { hex } from './core/errors.js';
import { displayPath } from './core/paths.js';

/** The file's path for a human line: escaped and quoted if it holds control characters or bytes that are not UTF-8. */
export function shownPath(r: Pick<FileResult, 'path' | 'pathHex'>): string {
  return displayPath(r.pathHex !== undefined ? Buffer.from(r.pathHex, 'hex') : r.path);
}

export interface ReportOptions {
  mode: Mode;
  quiet: boolean;
  verbose: boolean;
  out: (line: string) => void;
  err: (line: string) => void;
}

/** "1 file", "2 files": every count a person reads. */
export const plural = (n: number, one: string, many = `${one}s`): string => `${n} ${n === 1 ? one : many}`;

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

function fieldLine(f: FileResult['fields'][number], showSame: boolean): string | undefined {
  if (!f.changed && !showSame) return undefined;
  const arrow = f.changed ? `${f.old} -> ${f.new}` : `${f.old} (already normal)`;
  return `    ${pad(hex(f.offset), 10)}  ${f.field}: ${arrow}`;
}

/** How many fields a file has and how many change: from its counts when `fields` lists only some. */
export function fieldCounts(r: FileResult): { fields: number; changed: number } {
  return r.counts ?? { fields: r.fields.length, changed: r.fields.filter((f) => f.changed).length };
}

function mib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`;
}

/** One file's lines, printed as soon as it (and every file before it) is done. */
export function reportFile(r: FileResult, o: ReportOptions): void {
  const path = shownPath(r);
  if (r.status === 'failed') {
    o.err(`unstamp: ${path}: ${r.error?.message ?? 'failed'}${r.error?.written ? '' : '; left untouched'}`);
    return;
  }
  if (o.quiet) return;
  for (const w of r.warnings) o.err(`unstamp: ${path}: warning: ${w}`);
  const counts = fieldCounts(r);
  const what = `[${r.format}] ${counts.changed} of ${plural(counts.fields, 'field')}, ${plural(r.bytesChanged, 'byte')}`;
  if (r.status === 'normalized') o.out(`normalized    ${path}  ${what}`);
  else if (r.status === 'would-change') o.out(`would change  ${path}  ${what}`);
  else if (r.status === 'clean' && o.verbose) o.out(`clean         ${path}  [${r.format}]`);
  else if (r.status === 'skipped' && o.verbose) o.out(`skipped       ${path}: ${r.reason}`);
  if (o.verbose) {
    for (const f of r.fields) {
      const line = fieldLine(f, false);
      if (line) o.out(line);
    }
    for (const k of r.kept ?? []) o.out(`    kept: ${k}`);
  }
}

export function summaryLine(s: Summary, mode: Mode): string {
  const parts = [
    `${plural(s.scanned, 'file')} scanned (${mib(s.bytesScanned)})`,
    mode === 'normalize' ? `${s.normalized} normalized` : `${s.wouldChange} would change`,
    `${s.clean} already clean`,
    `${s.skipped} skipped`,
    `${s.failed} failed`,
  ];
  const bytes = mode === 'normalize' ? `${plural(s.bytesChanged, 'byte')} rewritten` : `${plural(s.bytesChanged, 'byte')} would change`;
  const stopped = s.interrupted !== undefined ? `; interrupted by ${s.interrupted}, ${plural(s.notProcessed, 'file')} not processed` : '';
  return `unstamp: ${parts.join(', ')}; ${bytes}; ${s.seconds.toFixed(2)} s${stopped}`;
}

/** `explain <file>`: every field found, whether or not it changes, and what is left alone. */
export function explainLines(r: FileResult): string[] {
  if (r.status === 'failed') return [];
  if (r.status === 'skipped') return [`${shownPath(r)}: skipped: ${r.reason}`, ...r.warnings.filter((w) => w !== r.reason).map((w) => `  warning: ${w}`)];
  const counts = fieldCounts(r);
  const lines = [`${shownPath(r)}: ${r.format}, ${plural(r.size, 'byte')}; ${plural(counts.fields, 'field')} found, ${counts.changed} would change (${plural(r.bytesChanged, 'byte')})`];
  for (const f of r.fields) lines.push(fieldLine(f, true)!);
  for (const n of r.notes) lines.push(`  left alone: ${n}`);
  for (const k of r.kept ?? []) lines.push(`  kept: ${k}`);
  for (const w of r.warnings) lines.push(`  warning: ${w}`);
  return lines;
}

/** The --json report's schema version; 2: per-file fields capped, with fieldsChanged and fieldsOmitted. */
export const JSON_SCHEMA_VERSION = 2;

/** Fields listed per file in a --json report unless -v: enough to read, bounded over a tree of archives. */
export const JSON_FIELD_CAP = 100;

/** A file as the JSON report has it: the first `cap` fields, and how many there were. */
export function jsonFile(r: FileResult, cap: number): FileResult & { fieldsChanged: number; fieldsOmitted: number } {
  const { counts: _, ...rest } = r;
  const counts = fieldCounts(r);
  const fields = r.fields.length > cap ? r.fields.slice(0, cap) : r.fields;
  return { ...rest, fields, fieldsChanged: counts.changed, fieldsOmitted: counts.fields - fields.length };
}

/** `text`, pretty-printed at the top level, as it reads one level in (inside "files"). */
const nested = (text: string) => text.replace(/\n/g, '\n    ');

/**
 * The --json report written as the run goes: the head with the first file, each file as
 * it is done, the summary at the end. Memory and string length stay those of one file, a
 * tree of any size reports. The text is what JSON.stringify(report, null, 2) would give;
 * the closing brace of each file waits for the comma the next one needs.
 */
export function jsonStream(command: string, epoch: number, clamp: boolean, cap: number, out: (text: string) => void) {
  let files = 0;
  return {
    file(r: FileResult): void {
      const lines = `    ${nested(JSON.stringify(jsonFile(r, cap), null, 2))}`;
      const head = files++ === 0 ? JSON.stringify({ unstamp: JSON_SCHEMA_VERSION, command, epoch, clamp }, null, 2).slice(0, -2) + ',\n  "files": [\n' : '    },\n';
      out(head + lines.slice(0, lines.lastIndexOf('\n')));
    },
    end(summary: Summary, exitCode: number): void {
      if (files === 0) {
        out(JSON.stringify({ unstamp: JSON_SCHEMA_VERSION, command, epoch, clamp, files: [], summary, exitCode }, null, 2));
        return;
      }
      out(`    }\n  ],\n${JSON.stringify({ summary, exitCode }, null, 2).slice(2)}`);
    },
  };
}

/** The whole --json report of files already done. */
export function jsonReport(command: string, epoch: number, clamp: boolean, result: RunResult, exitCode: number, cap = Infinity): string {
  const lines: string[] = [];
  const report = jsonStream(command, epoch, clamp, cap, (text) => lines.push(text));
  result.files.forEach((r) => report.file(r));
  report.end(result.summary, exitCode);
  return lines.join('\n');
}
