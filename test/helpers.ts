import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import type { Test } from 'tap';
// @ts-ignore: a plain JS module, shared with `npm run fuzz`.
import { pristineSamples } from './pristine-samples.mjs';

type Tap = Test;

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
/** samples/ as git has them (see pristine-samples.mjs): never the working tree's, which a user may have normalized. */
export const samples: string = pristineSamples(root);
export const bin = path.join(root, 'bin', 'unstamp.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** The executable as a user runs it: a new process. */
export function cliProcess(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  // Without tap's NODE_OPTIONS: the child is the plain executable a user runs, and starts 10x faster.
  const env = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '', ...opts.env };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let worker: { thread: Worker; port: MessagePort; flag: Int32Array } | undefined;

/**
 * Run the CLI's main() (dist/bundle/cli.js, what bin/unstamp.js runs) with these arguments. It runs
 * in a worker thread kept for the whole test file, and the call blocks until it is done, so
 * tests read like spawnSync but do not start Node and load unstamp for every run (a test
 * file makes up to a hundred runs). A run a thread cannot stand for goes to a real process:
 * one with a working directory or environment of its own (the debug hooks are read at load
 * time), --help and --version (yargs prints those itself and exits), and every run when
 * UNSTAMP_TEST_SPAWN=1.
 */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  const ownEnv = Object.keys(opts.env ?? {}).some((k) => k !== 'SOURCE_DATE_EPOCH');
  const exits = args.some((a) => a === '--help' || a === '-h' || a === '--version');
  if (opts.cwd || ownEnv || exits || process.env.UNSTAMP_TEST_SPAWN === '1') return cliProcess(args, opts);
  if (!worker) {
    const { port1, port2 } = new MessageChannel();
    const flag = new Int32Array(new SharedArrayBuffer(4));
    const cliModule = pathToFileURL(path.join(root, 'dist', 'bundle', 'cli.js')).href;
    const thread = new Worker(new URL('./cli-worker.mjs', import.meta.url), { workerData: { port: port2, flag, cliModule }, transferList: [port2] });
    thread.unref();
    worker = { thread, port: port1, flag };
  }
  Atomics.store(worker.flag, 0, 0);
  worker.thread.postMessage({ args, sourceDateEpoch: opts.env?.SOURCE_DATE_EPOCH ?? '' });
  // Wait until the flag says done, not merely until woken: the worker stores the flag, then
  // notifies, so a run that finished before this thread waited leaves a notify in flight that
  // can wake the wait of the next run before its answer is there.
  const until = Date.now() + 600_000;
  while (Atomics.load(worker.flag, 0) === 0) {
    if (Atomics.wait(worker.flag, 0, 0, Math.max(0, until - Date.now())) === 'timed-out') throw new Error(`unstamp ${args.join(' ')}: no answer in 600 s`);
  }
  const reply = receiveMessageOnPort(worker.port);
  if (!reply) throw new Error(`unstamp ${args.join(' ')}: the worker answered nothing`);
  return reply.message as CliRun;
}

/** A fresh temporary directory, removed when the test ends. */
export function tempDir(t: { teardown(fn: () => void): void }, name = 'unstamp-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), name));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Copy samples/<rel> into a temp dir and return the copy's path. */
export function copySample(t: { teardown(fn: () => void): void }, rel: string): string {
  const dir = tempDir(t);
  const dest = path.join(dir, path.basename(rel));
  cpSync(path.join(samples, rel), dest, { recursive: true });
  return dest;
}

export function sha256(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/** Whether an external tool is on PATH (tests that need it skip, with the reason, if not). */
export function have(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).status === 0;
}

export function sh(cmd: string, args: string[], cwd?: string): { code: number; stdout: Buffer; stderr: string } {
  const r = spawnSync(cmd, args, { cwd, maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr?.toString() ?? '' };
}

/** stdout of a tool that must succeed (output can be megabytes). */
export function output(cmd: string, args: string[]): string {
  const r = sh(cmd, args);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout.toString();
}

export interface Corrupt {
  name: string;
  bytes: Buffer;
  /** The rule the one-line error must name. */
  message: RegExp;
  /** File name for the bad copy (default "bad.bin"). */
  file?: string;
}

/**
 * The contract for bad input: the run exits 3, the error is one line naming the file and
 * the rule and ending "left untouched", no stack trace, the file keeps every byte, and
 * (given `alongside`, a sample path) a good file in the same run is still normalized.
 */
export function expectRefused(t: Tap, c: Corrupt, alongside?: string): void {
  const dir = tempDir(t);
  const file = path.join(dir, c.file ?? 'bad.bin');
  writeFileSync(file, c.bytes);
  const good = alongside ? path.join(dir, `good${path.extname(alongside)}`) : undefined;
  if (alongside && good) cpSync(path.join(samples, alongside), good);
  const r = cli([dir]);
  t.equal(r.code, 3, 'exit 3: a file failed');
  t.match(r.stderr, c.message);
  t.match(r.stderr, new RegExp(`^unstamp: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*; left untouched$`, 'm'));
  t.notMatch(r.stderr, /\n\s+at /, 'no stack trace');
  t.ok(readFileSync(file).equals(c.bytes), 'byte-for-byte untouched');
  if (good) t.equal(cli(['check', good]).code, 0, 'the other file in the run was still normalized');
}
