// Test hooks, never set in normal use.
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/**
 * UNSTAMP_DEBUG_SYNC=<point>@<dir>: each time the engine reaches that point it creates
 * <dir>/<point>.<n>.ready (n counts the arrivals, from 1; the file holds the path being
 * processed) and waits until <dir>/<point>.<n>.go exists. A test acts at that exact moment
 * (changes a file between planning and writing) instead of guessing with a sleep.
 */
const sync = /^([a-z-]+)@(.+)$/s.exec(process.env.UNSTAMP_DEBUG_SYNC ?? '');
const arrivals = new Map<string, number>();

export async function syncPoint(point: string, file: unknown): Promise<void> {
  if (!sync || sync[1] !== point) return;
  const n = (arrivals.get(point) ?? 0) + 1;
  arrivals.set(point, n);
  const base = path.join(sync[2], `${point}.${n}`);
  writeFileSync(`${base}.ready`, String(file));
  while (!existsSync(`${base}.go`)) await delay(5);
}
