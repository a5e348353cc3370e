import { readFileSync } from 'node:fs';
import type { Options as YargsOption } from 'yargs';
import Parser from 'yargs-parser';
import { UsageError } from './core/errors.js';
import { limitYoungGeneration, releaseYoungGeneration } from './core/heap.js';
import { defaultJobs, run, processFile, type Mode, type RunResult } from './core/engine.js';
import { parseEpoch } from './core/time.js';
import { parseRemap } from './core/remap.js';
import { allFormats, engineOptions, formatOptions, type Options } from './index.js';
import { explainLines, JSON_FIELD_CAP, jsonReport, jsonStream, reportFile, shownPath, summaryLine } from './report.js';
import type { PairResult } from './diff/index.js';
import { displayPath } from './core/paths.js';
import type { ProgressTarget } from './progress.js';

/** Stable exit codes (README "Exit codes"). */
export const EXIT = { ok: 0, changes: 1, usage: 2, failed: 3 } as const;

type Many = string | string[] | undefined;

// Set by the single-file build (scripts/build-sea.mjs), which has no package.json beside it.
declare const UNSTAMP_VERSION: string | undefined;

/**
 * unstamp's own version. yargs would look for the package.json nearest to the command, which
 * for an installed package run through node_modules/.bin is the host project's.
 */
function ownVersion(): string {
  if (typeof UNSTAMP_VERSION === 'string') return UNSTAMP_VERSION;
  try {
    return (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

interface Global {
  epoch?: string;
  clamp: boolean;
  jobs?: number;
  include: Many;
  exclude: Many;
  formats: Many;
  json: boolean;
  quiet: boolean;
  verbose: boolean;
  'set-mtime': boolean;
  recompress: string;
  'remap-path': Many;
}

/** The global flags, as yargs takes them; the quick path (quickArgs) hands yargs-parser the same. */
function globalOptions(): Record<string, YargsOption> {
  return {
    epoch: { type: 'string', describe: 'timestamp to write: seconds since 1970 or ISO-8601 (default $SOURCE_DATE_EPOCH, else 0)' },
    clamp: { type: 'boolean', default: false, describe: 'only replace timestamps newer than the epoch' },
    jobs: { alias: 'j', type: 'number', describe: `files processed at once (default ${defaultJobs()}: twice the cores, at least 4)` },
    // Repeatable single-value options (not yargs arrays, which would swallow the paths after them).
    include: { type: 'string', describe: 'only files matching this glob (repeatable)' },
    exclude: { type: 'string', describe: 'skip files matching this glob (repeatable)' },
    formats: { type: 'string', describe: 'handlers to use: "ar,gzip" only those, "no-gzip" all but gzip' },
    json: { type: 'boolean', default: false, describe: 'machine-readable report on stdout' },
    quiet: { alias: 'q', type: 'boolean', default: false, describe: 'print errors only' },
    verbose: { alias: 'v', type: 'boolean', default: false, describe: 'print every field changed, old -> new, and clean/skipped files' },
    'remap-path': {
      type: 'string',
      describe: 'replace the build folder OLD by NEW (same length) in the paths each format stores, OLD=NEW (repeatable)',
    },
    'set-mtime': { type: 'boolean', default: false, describe: "also set each handled file's own mtime to the epoch" },
    recompress: {
      type: 'string',
      choices: ['auto', 'never'],
      default: 'auto',
      describe: '"auto": a payload only reachable by decompressing (the tar of a .tar.gz, a deflated zip member of a known format) is decompressed, normalized and compressed again (temporary file and atomic rename); "never": strictly in place, what a recompress would change is listed as kept',
    },
    ...Object.fromEntries(
      formatOptions.map((o) => [o.name, { type: 'string' as const, choices: o.choices, describe: `${o.describe} (default ${o.default})` }]),
    ),
  };
}

const list = (v: Many): string[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

/** The library options the global flags stand for. */
function optionsFrom(argv: Global): Options {
  const settings: Record<string, string> = {};
  for (const o of formatOptions) {
    const v = (argv as unknown as Record<string, unknown>)[o.name];
    if (typeof v === 'string') settings[o.name] = v;
  }
  return {
    epoch: argv.epoch !== undefined ? parseEpoch(argv.epoch, '--epoch') : undefined,
    clamp: argv.clamp,
    formats: list(argv.formats),
    setMtime: argv['set-mtime'],
    recompress: argv.recompress as Options['recompress'],
    settings,
    remap: list(argv['remap-path']).map(parseRemap),
  };
}

function jobsFrom(argv: Global): number | undefined {
  if (argv.jobs === undefined) return undefined;
  if (!Number.isInteger(argv.jobs) || argv.jobs < 1) throw new UsageError(`--jobs: ${argv.jobs} is not a positive whole number`);
  return argv.jobs;
}

export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** The real terminal streams, when there are any: a progress bar may be drawn on `err`. */
  tty?: { outIsTTY: boolean; err: ProgressTarget };
  /** Aborted, with the error code as reason, once a write to stdout failed other than by a closed pipe. */
  outFailed?: AbortSignal;
  /** Resolves once what was written to stdout has gone out or failed (so outFailed is current). */
  flush?: () => Promise<void>;
}

/** The abort reason of a run stopped because stdout failed (summary.interrupted). */
const STDOUT_FAILED = 'stdout';

/**
 * stdout and stderr. If a reader closes the pipe (`unstamp build/ | head`), output stops
 * but the run goes on: stopping halfway would leave the tree half normalized. Any other
 * write error on stdout (a full disk, EIO) loses the report, so the run stops starting
 * files (outFailed) and says so on stderr. A failing stderr has nowhere left to be told.
 */
function consoleIo(): Io {
  const closed = { out: false, err: false };
  const failed = new AbortController();
  const outError = (e: NodeJS.ErrnoException | null | undefined) => {
    if (!e) return;
    closed.out = true;
    if (e.code !== 'EPIPE') failed.abort(e.code ?? e.message);
  };
  process.stdout.on('error', outError);
  process.stderr.on('error', () => void (closed.err = true));
  return {
    out: (l) => void (closed.out || process.stdout.write(l + '\n')),
    err: (l) => void (closed.err || process.stderr.write(l + '\n')),
    tty: { outIsTTY: process.stdout.isTTY === true, err: process.stderr },
    outFailed: failed.signal,
    flush: () => new Promise((resolve) => (closed.out ? resolve() : process.stdout.write('', (e) => resolve(outError(e))))),
  };
}

/**
 * After a command's output: if stdout failed, the report is incomplete; say so in one
 * line on stderr (with what the run left undone) and exit 3.
 */
async function stdoutChecked(io: Io, code: number, undone?: number): Promise<number> {
  await io.flush?.();
  if (!io.outFailed?.aborted) return code;
  const left = undone === undefined ? '' : undone > 0 ? `; stopped after the files in flight, ${undone} files not processed` : '; every file was processed';
  io.err(`unstamp: stdout: write failed (${String(io.outFailed.reason)}); the report is incomplete${left}`);
  return EXIT.failed;
}

/** Exit codes after an interrupt: 128 + the signal number, as shells report it. */
export const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/**
 * SIGINT and SIGTERM stop the run from starting more files; the files being written
 * finish, and the summary is printed. A second signal exits at once: a file cut off
 * mid-write is still converged by the next run (README "Safety").
 */
function interruptOnSignals(io: Io): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController();
  const outFailed = () => controller.abort(STDOUT_FAILED);
  io.outFailed?.addEventListener('abort', outFailed, { once: true });
  const handlers = Object.keys(SIGNAL_EXIT).map((name) => {
    const handler = () => {
      if (controller.signal.aborted) process.exit(SIGNAL_EXIT[name]);
      io.err(`unstamp: ${name}: finishing the files being written, then stopping (send it again to stop at once)`);
      controller.abort(name);
    };
    process.on(name as NodeJS.Signals, handler);
    return () => process.off(name as NodeJS.Signals, handler);
  });
  const dispose = () => {
    handlers.forEach((off) => off());
    io.outFailed?.removeEventListener('abort', outFailed);
  };
  return { signal: controller.signal, dispose };
}

async function runPaths(mode: Mode, paths: string[], argv: Global, io: Io): Promise<number> {
  if (paths.length === 0) throw new UsageError('no paths given (try: unstamp build/)');
  if (argv.quiet && argv.verbose) throw new UsageError('--quiet and --verbose cannot be used together');
  const engine = engineOptions(mode, optionsFrom(argv));
  const epoch = engine.epoch;
  const jobs = jobsFrom(argv);
  // Loaded only when a bar may be drawn: every run pays for what it imports at start-up.
  const bars = io.tty?.err.isTTY ? await import('./progress.js') : undefined;
  const progress = io.tty && bars?.progressWanted(io.tty.err, argv) ? bars.progressBar(io.tty.err) : undefined;
  // While a bar is drawn, lines that show on the same terminal go above it.
  const shown: Io = progress
    ? { ...io, out: io.tty?.outIsTTY ? (l) => progress.line(l, io.out) : io.out, err: (l) => progress.line(l, io.err) }
    : io;
  const report = { mode, quiet: argv.quiet, verbose: argv.verbose, out: shown.out, err: shown.err };
  // The JSON report goes out file by file too: held whole, a big tree's would pass V8's longest string.
  const json = argv.json ? jsonStream(mode, epoch, argv.clamp, argv.verbose ? Infinity : JSON_FIELD_CAP, io.out) : undefined;
  const stop = interruptOnSignals(shown);
  let result: RunResult;
  try {
    result = await run(paths, {
      ...engine,
      jobs,
      include: list(argv.include),
      exclude: list(argv.exclude),
      onResult: json ? (r) => json.file(r) : (r) => reportFile(r, report),
      keepDetails: false,
      // Only what is printed is kept per field: -v prints the changed ones, a plain run counts.
      detail: json ? 'all' : argv.verbose ? 'changed' : 'none',
      onWalked: progress ? (totals) => progress.walked(totals) : undefined,
      onProgress: progress ? (r) => progress.fileDone(r.size) : undefined,
      signal: stop.signal,
    });
  } finally {
    stop.dispose();
    progress?.stop();
  }
  const s = result.summary;
  const code =
    s.interrupted !== undefined
      ? (SIGNAL_EXIT[s.interrupted] ?? EXIT.failed)
      : s.failed > 0
        ? EXIT.failed
        : mode === 'check' && s.wouldChange > 0
          ? EXIT.changes
          : EXIT.ok;
  if (json) json.end(s, code);
  else if (!argv.quiet) io.out(summaryLine(s, mode));
  return stdoutChecked(io, code, s.notProcessed);
}

async function explain(file: string, argv: Global, io: Io): Promise<number> {
  const engine = engineOptions('explain', optionsFrom(argv));
  const epoch = engine.epoch;
  const r = await processFile(file, engine);
  const code = r.status === 'failed' ? EXIT.failed : EXIT.ok;
  if (argv.json) {
    const summary = { scanned: 1, normalized: 0, wouldChange: 0, clean: 0, skipped: 0, failed: 0, bytesScanned: r.size, bytesChanged: r.bytesChanged, seconds: 0, notProcessed: 0 };
    io.out(jsonReport('explain', epoch, argv.clamp, { files: [r], summary }, code));
    return stdoutChecked(io, code);
  }
  if (r.status === 'failed') io.err(`unstamp: ${shownPath(r)}: ${r.error?.message}; left untouched`);
  for (const line of explainLines(r)) io.out(line);
  return stdoutChecked(io, code);
}

/** `explain <a> <b>`: two files, or two directories paired by relative path (README "Explaining a difference"). */
async function explainTwo(a: string, b: string, argv: Global, io: Io): Promise<number> {
  if (argv.quiet && argv.verbose) throw new UsageError('--quiet and --verbose cannot be used together');
  const engine = engineOptions('explain', optionsFrom(argv));
  const detail = (p: PairResult) => !p.error && !p.identicalBefore && (p.path === undefined || argv.verbose || !p.identicalAfter);
  const { diffExitCode, explainDiff } = await import('./diff/index.js');
  const { detailLines, diffJson, diffSummaryLine, errorLine, verdict } = await import('./diff/report.js');
  const report = await explainDiff(a, b, {
    ...engine,
    jobs: jobsFrom(argv),
    include: list(argv.include),
    exclude: list(argv.exclude),
    locateWith: allFormats,
    onPair: (p) => {
      if (argv.json) return;
      const error = errorLine(p);
      if (error) return io.err(error);
      if (argv.quiet || (p.identicalBefore && p.path !== undefined && !argv.verbose)) return;
      io.out(verdict(p));
      if (detail(p)) detailLines(p).forEach((l) => io.out(l));
    },
  });
  const code = diffExitCode(report);
  if (argv.json) {
    io.out(diffJson(report, engine.epoch, argv.clamp, code));
    return stdoutChecked(io, code);
  }
  for (const e of report.errors) io.err(`unstamp: ${e.path}: ${e.message}`);
  if (!argv.quiet) {
    for (const p of report.onlyInA) io.out(`only in a     ${displayPath(p)}`);
    for (const p of report.onlyInB) io.out(`only in b     ${displayPath(p)}`);
    if (report.directories) io.out(diffSummaryLine(report));
  }
  return stdoutChecked(io, code);
}

function formatsText(): string[] {
  const lines: string[] = [];
  for (const f of allFormats) {
    lines.push(`${f.name}: ${f.title}`);
    for (const d of f.fields) lines.push(`  rewrites  ${d.field} -> ${d.value}`);
    for (const l of f.leftAlone) lines.push(`  keeps     ${l}`);
    for (const o of f.options ?? []) lines.push(`  option    --${o.name} ${o.choices.join('|')} (default ${o.default}): ${o.describe}`);
  }
  return lines;
}

async function formats(argv: Global, io: Io): Promise<number> {
  if (argv.json) {
    io.out(JSON.stringify(allFormats.map(({ name, title, fields, leftAlone, options }) => ({ name, title, fields, leftAlone, options: options ?? [] })), null, 2));
  } else formatsText().forEach((l) => io.out(l));
  return stdoutChecked(io, EXIT.ok);
}

/** What a command line asks for, as yargs or quickArgs read it. */
export type Command =
  | { name: 'normalize' | 'check'; paths: string[] }
  | { name: 'explain'; file: string; other?: string }
  | { name: 'formats' }
  | { name: 'version' };

function dispatch(c: Command, argv: Global, io: Io): Promise<number> {
  switch (c.name) {
    case 'normalize':
    case 'check':
      return runPaths(c.name, c.paths, argv, io);
    case 'explain':
      return c.other === undefined ? explain(c.file, argv, io) : explainTwo(c.file, c.other, argv, io);
    case 'formats':
      return formats(argv, io);
    case 'version':
      io.out(ownVersion());
      return stdoutChecked(io, EXIT.ok);
  }
}

/** Flags whose repeats the commands take as a list (the others: yargs says what a repeat means). */
const REPEATABLE = new Set(['include', 'exclude', 'formats', 'remap-path']);
const camelCase = (name: string) => name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

/**
 * The common command lines (`[normalize|check] [flags] paths...`, `formats [--json]`,
 * `--version`), read by yargs' own parser, yargs-parser, given the flags yargs is given, but
 * without loading yargs: yargs, its help and its validation were most of unstamp's start-up
 * (issue 17). Only a line yargs would read the same way is taken: every flag known, each
 * value of its type and among its choices, no `--`. Anything else (explain, --help, a typo,
 * a value yargs refuses) is undefined, and yargs reads it, with its own messages.
 * test/cli-quick.test.ts holds the two readings side by side.
 */
export function quickArgs(args: readonly string[]): { command: Command; argv: Global } | undefined {
  if (args.length === 1 && args[0] === '--version') return { command: { name: 'version' }, argv: {} as Global };
  if (args.includes('--')) return undefined;
  const options = globalOptions();
  const boolean: string[] = [];
  const string: string[] = [];
  const number: string[] = [];
  const alias: Record<string, string> = {};
  const defaults: Record<string, unknown> = {};
  const known = new Set(['_']);
  for (const [name, o] of Object.entries(options)) {
    ({ boolean, string, number } as Record<string, string[]>)[o.type as string].push(name);
    if (typeof o.alias === 'string') alias[name] = o.alias;
    if (o.default !== undefined) defaults[name] = o.default;
    [name, camelCase(name), o.alias].forEach((k) => typeof k === 'string' && known.add(k));
  }
  const parsed = Parser.detailed([...args], { boolean, string, number, alias, default: defaults, configuration: { 'parse-positional-numbers': false } });
  if (parsed.error) return undefined;
  const argv = parsed.argv as Record<string, unknown> & { _: unknown[] };
  if (Object.keys(argv).some((k) => !known.has(k))) return undefined;
  for (const [name, o] of Object.entries(options)) {
    const v = argv[name];
    if (v === undefined) continue;
    if (Array.isArray(v)) {
      if (!REPEATABLE.has(name) || v.some((x) => typeof x !== 'string')) return undefined;
    } else if (o.type === 'number' ? !Number.isFinite(v) : typeof v !== o.type) return undefined;
    if (o.choices && !(o.choices as unknown[]).includes(v)) return undefined;
  }
  if (argv._.some((w) => typeof w !== 'string')) return undefined;
  const [first, ...rest] = argv._ as string[];
  let command: Command;
  if (first === 'normalize' || first === 'check') command = { name: first, paths: rest };
  else if (first === 'formats' && rest.length === 0) command = { name: 'formats' };
  else if (first === 'formats' || first === 'explain') return undefined;
  else command = { name: 'normalize', paths: argv._ as string[] };
  return { command, argv: argv as unknown as Global };
}

/**
 * Read a command line with yargs and call `run` with what it asks for, from the handler of
 * the command yargs matched; resolves to what `run` resolved to. yargs itself prints --help
 * and --version.
 */
export async function yargsArgs(args: readonly string[], run: (command: Command, argv: Global) => Promise<number>): Promise<number> {
  const { default: yargs } = await import('yargs');
  let code: number = EXIT.ok;
  const guard = (command: Command, argv: unknown) => run(command, argv as Global).then((c) => void (code = c));
  await yargs([...args])
    .options(globalOptions())
    .scriptName('unstamp')
    .usage('$0 [paths..]\n\nRewrite build timestamps, owners and IDs in place so two builds become byte-identical.')
    .command(['normalize [paths..]', '$0 [paths..]'], 'normalize files, directories or globs in place', (y) =>
      y.positional('paths', { type: 'string', array: true, default: [] as string[] }),
      (argv) => guard({ name: 'normalize', paths: argv.paths as string[] }, argv),
    )
    .command('check [paths..]', 'write nothing; exit 1 if anything would change', (y) =>
      y.positional('paths', { type: 'string', array: true, default: [] as string[] }),
      (argv) => guard({ name: 'check', paths: argv.paths as string[] }, argv),
    )
    .command(
      'explain <file> [other]',
      'one file: every nondeterministic field (offset, current value, value unstamp writes); two files or directories: what differs between them and what would still differ after normalization, where and why',
      (y) => y.positional('file', { type: 'string', demandOption: true }).positional('other', { type: 'string' }),
      (argv) => guard({ name: 'explain', file: argv.file as string, other: argv.other as string | undefined }, argv),
    )
    .command('formats', 'list the formats and the fields each rewrites', () => {}, (argv) => guard({ name: 'formats' }, argv))
    .strict()
    .help()
    .alias('h', 'help')
    .version(ownVersion())
    .wrap(Math.min(100, process.stdout.columns ?? 100))
    .fail((msg, err) => {
      throw err ?? new UsageError(msg);
    })
    .parseAsync();
  return code;
}

/**
 * Run the CLI; resolves to the exit code. The arguments default to what yargs' hideBin
 * gives for node and for a single executable (whose argv[1] is the executable again).
 */
export async function main(args: string[] = process.argv.slice(2), io: Io = consoleIo()): Promise<number> {
  limitYoungGeneration();
  try {
    const quick = quickArgs(args);
    return quick ? await dispatch(quick.command, quick.argv, io) : await yargsArgs(args, (command, argv) => dispatch(command, argv, io));
  } catch (e) {
    if (e instanceof UsageError || (e instanceof Error && e.name === 'YError')) {
      io.err(`unstamp: ${e.message}`);
      io.err('Run "unstamp --help" for usage.');
      return EXIT.usage;
    }
    throw e;
  } finally {
    releaseYoungGeneration();
  }
}
