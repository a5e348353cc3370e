import type { FileHandle } from 'node:fs/promises';

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

const bits = new DataView(new ArrayBuffer(8));

/** The next double towards +infinity. */
function nextUp(x: number): number {
  if (x === 0) return Number.MIN_VALUE;
  bits.setFloat64(0, x);
  bits.setBigInt64(0, bits.getBigInt64(0) + (x > 0 ? 1n : -1n));
  return bits.getFloat64(0);
}

/**
 * The value to pass to utimes so the file gets the earliest time libuv can set that is
 * not before `ns`: the next whole microsecond. A double holds a current time to about
 * 240 ns, so the nearest double to that microsecond can land just below it; step up
 * until it does not. A string, because Node replaces a negative number (a time before
 * 1970) with the current time but passes a numeric string through as it is.
 */
export function utimesArg(ns: bigint): string {
  const target = ns % 1000n === 0n ? ns : ns - (((ns % 1000n) + 1000n) % 1000n) + 1000n;
  const sec = target / NS - (target % NS < 0n ? 1n : 0n);
  let seconds = Number(sec) + Number(target - sec * NS) / 1e9;
  while (landed(seconds) < target) seconds = nextUp(seconds);
  return String(seconds);
}

/** Put a file's times back through its descriptor, never earlier than they were. */
export async function restoreTimes(fh: FileHandle, times: Times): Promise<void> {
  await fh.utimes(utimesArg(times.atimeNs), utimesArg(times.mtimeNs));
}
