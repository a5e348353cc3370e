import { UsageError } from './errors.js';

/** Largest epoch accepted: the largest value of the 32-bit unsigned time fields (gzip, PE, Mach-O). */
export const MAX_EPOCH = 0xffffffff;

const rendered = new Map<number, string>();

/** "1700000000 (2023-11-14 22:13:20 UTC)". Archives repeat a few times thousands of times: cached. */
export function renderTime(seconds: number): string {
  let text = rendered.get(seconds);
  if (text !== undefined) return text;
  const d = new Date(seconds * 1000);
  text = Number.isNaN(d.getTime()) ? String(seconds) : `${seconds} (${d.toISOString().replace('T', ' ').replace('.000Z', ' UTC')})`;
  if (rendered.size >= 4096) rendered.clear();
  rendered.set(seconds, text);
  return text;
}

/**
 * Parse --epoch or SOURCE_DATE_EPOCH: whole seconds, or an ISO-8601 date/time. A
 * date-time without a zone is read as UTC, never as local time, so the result does not
 * depend on the machine's TZ.
 */
export function parseEpoch(text: string, source: string): number {
  const t = text.trim();
  let seconds: number;
  if (/^\d+$/.test(t)) {
    seconds = Number(t);
  } else if (/^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?(Z|[+-]\d{2}:?\d{2})?$/i.test(t)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(t) && t.length > 10;
    const iso = t.replace(' ', 'T') + (hasZone ? '' : t.length === 10 ? 'T00:00:00Z' : 'Z');
    const ms = Date.parse(iso);
    if (Number.isNaN(ms)) throw new UsageError(`${source}: '${text}' is not a valid date`);
    seconds = Math.floor(ms / 1000);
  } else {
    throw new UsageError(`${source}: '${text}' is neither whole seconds since 1970 nor an ISO-8601 date`);
  }
  if (!Number.isSafeInteger(seconds) || seconds < 0 || seconds > MAX_EPOCH) {
    throw new UsageError(`${source}: ${text} is outside 1970-01-01..2106-02-07 (0..${MAX_EPOCH} seconds)`);
  }
  return seconds;
}

/** The default epoch: $SOURCE_DATE_EPOCH if set, else 0. */
export function defaultEpoch(env: NodeJS.ProcessEnv = process.env): number {
  const sde = env.SOURCE_DATE_EPOCH;
  return sde === undefined || sde === '' ? 0 : parseEpoch(sde, 'SOURCE_DATE_EPOCH');
}
