// Test hooks, never set in normal use.
import { existsSync } from 'node:fs';
import { rename, writeFile } from 'node:fs/promises';

/** The moments a race test can stop a run at, each through its own variable. */
const VARIABLES = {
  'after-walk': 'UNSTAMP_DEBUG_AFTER_WALK',
  'before-write': 'UNSTAMP_DEBUG_BEFORE_WRITE',
  'before-rename': 'UNSTAMP_DEBUG_BEFORE_RENAME',
} as const;

/**
 * UNSTAMP_DEBUG_AFTER_WALK, _BEFORE_WRITE, _BEFORE_RENAME=<file>: on reaching that point the
 * engine creates <file> (holding its pid) and waits until <file>.go exists, so a test changes
 * the tree at exactly that moment (a folder swapped, a file rewritten between planning and
 * writing) instead of guessing with a sleep. Later arrivals find <file>.go and go on.
 */
export async function hold(point: keyof typeof VARIABLES): Promise<void> {
  const marker = process.env[VARIABLES[point]];
  if (!marker) return;
  // Written beside it and renamed: a test that sees the marker also sees the pid in it.
  if (!existsSync(`${marker}.go`)) {
    await writeFile(`${marker}.part`, String(process.pid));
    await rename(`${marker}.part`, marker);
  }
  const { setTimeout: delay } = process.getBuiltinModule('node:timers/promises');
  while (!existsSync(`${marker}.go`)) await delay(10);
}
