import type { Handle } from './handle.js';

/** A file's times in nanoseconds since 1970, as a BigInt stat has them. */
export interface Times {
  atimeNs: bigint;
  mtimeNs: bigint;
}

const NS = 1_000_000_000n;

/**
 * What the time `seconds` becomes on disk: Node hands the double to libuv, which takes
 * its whole seconds, turns the rest into nanoseconds (truncating) and then drops the
 * sub-microsecond part (uv__fs_to_timespec).
 */
function landed(seconds: number): bigint {
  let sec = Math.trunc(seconds);
  let nsec = Math.trunc((seconds - sec) * 1e9);
  nsec -= nsec % 1000;
  if (nsec < 0) {
    nsec += 1e9;
    sec -= 1;
  }
  return BigInt(sec) * NS + BigInt(nsec);
}

/** The nearest double to `ns` nanoseconds, in seconds. */
function seconds(ns: bigint): number {
  const sec = ns / NS - (ns % NS < 0n ? 1n : 0n);
  return Number(sec) + Number(ns - sec * NS) / 1e9;
}

/**
 * The value to pass to utimes so the file gets the earliest time libuv can set that is
 * not before `ns`: the next whole microsecond. A double holds a current time to about
 * 240 ns, so the nearest double to that microsecond can land just below it (or, before
 * 1970, where the truncation goes towards zero, just above). Since where a double lands
 * only grows with it, bisect between two doubles a few microseconds either side for the
 * smallest one that lands at or after `ns`. A string, because Node replaces a negative
 * number (before 1970) with the current time but passes a numeric string through.
 */
export function utimesArg(ns: bigint): string {
  const target = ns % 1000n === 0n ? ns : ns - (((ns % 1000n) + 1000n) % 1000n) + 1000n;
  let low = seconds(target - 4000n);
  let high = seconds(target + 4000n);
  for (;;) {
    const mid = low + (high - low) / 2;
    if (mid === low || mid === high) break;
    if (landed(mid) >= target) high = mid;
    else low = mid;
  }
  return String(high);
}

/** Put a file's times back through its descriptor, never earlier than they were. */
export function restoreTimes(fh: Handle, times: Times): void {
  fh.utimes(utimesArg(times.atimeNs), utimesArg(times.mtimeNs));
}
