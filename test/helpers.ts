import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const samples = path.join(root, 'samples');
export const bin = path.join(root, 'bin', 'unstamp.js');

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the real executable (compiled by `npm test`'s pretest build). */
export function cli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliRun {
  // Without tap's NODE_OPTIONS: the child is the plain executable a user runs, and starts 10x faster.
  const env = { ...process.env, NODE_OPTIONS: '', SOURCE_DATE_EPOCH: '', ...opts.env };
  const r = spawnSync(process.execPath, [bin, ...args], { cwd: opts.cwd, env, encoding: 'utf8', maxBuffer: 1 << 30 });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
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
