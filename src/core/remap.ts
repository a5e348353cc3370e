// --remap-path OLD=NEW: replace a build folder by another of the same length wherever a
// format stores paths. The core knows the rule and how to find it in bytes; each format
// decides which of its bytes hold paths and what must be recomputed after (a hash, a
// checksum). Equal lengths are what keeps every offset, size and table of the file valid.
import { UsageError } from './errors.js';
import type { PlanContext, RemapRule } from './format.js';
import { MAX_READ, type ByteSource } from './reader.js';

export type { RemapRule };

/** One byte string to look for and its replacement (same length). */
export interface Needle {
  from: Buffer;
  to: Buffer;
  /** UTF-16LE (a wide string) rather than 8-bit text. */
  wide: boolean;
}

/** One occurrence found, at an offset relative to what was searched. */
export interface Hit {
  at: number;
  needle: Needle;
}

/** `OLD=NEW`, split at the first `=` (as -ffile-prefix-map does). */
export function parseRemap(spec: string): RemapRule {
  const eq = spec.indexOf('=');
  if (eq < 0) throw new UsageError(`--remap-path: '${spec}' is not OLD=NEW`);
  return checkRule({ from: spec.slice(0, eq), to: spec.slice(eq + 1) });
}

/**
 * NEW must take exactly OLD's bytes: in UTF-8 (8-bit strings) and in UTF-16 code units
 * (wide strings), or the replacement could not be made in place.
 */
export function checkRule(rule: RemapRule): RemapRule {
  const { from, to } = rule;
  if (from.length === 0) throw new UsageError('--remap-path: OLD is empty');
  if (from.includes('\0') || to.includes('\0')) throw new UsageError('--remap-path: a path cannot hold a NUL character');
  const a = Buffer.byteLength(from, 'utf8');
  const b = Buffer.byteLength(to, 'utf8');
  if (a !== b) {
    throw new UsageError(
      `--remap-path: NEW must have exactly OLD's length (OLD '${from}' is ${a} bytes, NEW '${to}' is ${b}); ` +
        'unstamp replaces in place, so nothing was touched (pad NEW, e.g. with extra characters in a folder name)',
    );
  }
  if (from.length !== to.length) {
    throw new UsageError(`--remap-path: OLD '${from}' and NEW '${to}' have the same UTF-8 length (${a} bytes) but not the same UTF-16 length (${from.length} and ${to.length})`);
  }
  return rule;
}

const swap = (s: string, a: string, b: string) => s.split(a).join(b);

/**
 * The byte strings to look for: each rule as given, with every `/` turned into `\`
 * and with every `\` turned into `/` (a path written by a Windows tool and by a Unix
 * one), in UTF-8 and, with `wide`, in UTF-16LE. Longest first, so that of two rules
 * matching at one offset the more specific wins.
 */
export function needlesOf(rules: readonly RemapRule[] | undefined, wide: boolean): Needle[] {
  const out: Needle[] = [];
  const seen = new Set<string>();
  for (const r of rules ?? []) {
    const variants: [string, string][] = [
      [r.from, r.to],
      [swap(r.from, '/', '\\'), swap(r.to, '/', '\\')],
      [swap(r.from, '\\', '/'), swap(r.to, '\\', '/')],
    ];
    for (const [from, to] of variants) {
      for (const enc of wide ? (['utf8', 'utf16le'] as const) : (['utf8'] as const)) {
        const key = `${enc}:${from}`;
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ from: Buffer.from(from, enc), to: Buffer.from(to, enc), wide: enc === 'utf16le' });
      }
    }
  }
  return out.sort((a, b) => b.from.length - a.from.length);
}

/** Whether any rule is given. */
export function remapWanted(ctx: PlanContext): boolean {
  return (ctx.options.remap?.length ?? 0) > 0;
}

/** Every occurrence in `buf`, left to right, none overlapping another (the longest wins at one offset). */
export function findAll(buf: Buffer, needles: readonly Needle[]): Hit[] {
  const all: Hit[] = [];
  for (const needle of needles) {
    for (let at = buf.indexOf(needle.from); at >= 0; at = buf.indexOf(needle.from, at + 1)) all.push({ at, needle });
  }
  all.sort((a, b) => a.at - b.at || b.needle.from.length - a.needle.from.length);
  const out: Hit[] = [];
  let end = 0;
  for (const h of all) {
    if (h.at < end) continue;
    out.push(h);
    end = h.at + h.needle.from.length;
  }
  return out;
}

/** `buf` with every hit replaced (a copy). */
export function replaced(buf: Buffer, hits: readonly Hit[]): Buffer {
  const out = Buffer.from(buf);
  for (const h of hits) h.needle.to.copy(out, h.at);
  return out;
}

/** The text of a needle, for reports. */
export function shown(b: Buffer, wide: boolean): string {
  return JSON.stringify(b.toString(wide ? 'utf16le' : 'utf8')) + (wide ? ' (UTF-16LE)' : '');
}

/** Patch one hit found at `offset` of the planner's reader. */
export function patchHit(ctx: PlanContext, offset: number, needle: Needle, where: string): boolean {
  ctx.patch({ offset, bytes: needle.to, oldBytes: needle.from, field: `path in ${where}`, old: shown(needle.from, needle.wide), new: shown(needle.to, needle.wide) });
  return !needle.from.equals(needle.to);
}

/**
 * Look for the rules in [start, end) of the planner's reader and patch every occurrence,
 * naming `where` ("section .debug_str"). Reads in pieces that overlap by the longest
 * needle, so memory stays bounded. Returns how many occurrences change bytes.
 */
export async function remapRange(
  ctx: PlanContext,
  start: number,
  end: number,
  where: string,
  needles: readonly Needle[],
  hooks: { onHit?: (offset: number, length: number) => void; skip?: (offset: number, length: number) => boolean } = {},
): Promise<number> {
  if (needles.length === 0 || end <= start) return 0;
  const longest = needles[0].from.length;
  const step = Math.max(MAX_READ - longest, 1);
  let changed = 0;
  let done = start;
  for (let pos = start; pos < end; pos += step) {
    const len = Math.min(MAX_READ, end - pos);
    const piece = await ctx.reader.read(pos, len, `${where} (looking for paths)`);
    for (const h of findAll(piece, needles)) {
      const at = pos + h.at;
      // An occurrence that began in the previous piece was taken there.
      if (at < done) continue;
      if (hooks.skip?.(at, h.needle.from.length)) continue;
      if (patchHit(ctx, at, h.needle, where)) changed++;
      hooks.onHit?.(at, h.needle.from.length);
      done = at + h.needle.from.length;
    }
    if (pos + len >= end) break;
  }
  return changed;
}

/** [start, end) spans merged where they overlap or touch, each keeping the first label. */
export function mergeSpans<T extends { start: number; end: number }>(spans: readonly T[]): T[] {
  const sorted = [...spans].filter((s) => s.end > s.start).sort((a, b) => a.start - b.start);
  const out: T[] = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) last.end = Math.max(last.end, s.end);
    else out.push({ ...s });
  }
  return out;
}

/** The first occurrence of any rule in a whole source (read in pieces), for files no format claims. */
export async function firstPath(source: ByteSource, rules: readonly RemapRule[]): Promise<{ offset: number; text: string } | undefined> {
  const needles = needlesOf(rules, true);
  if (needles.length === 0) return undefined;
  const longest = needles[0].from.length;
  for (let pos = 0; pos < source.size; pos += MAX_READ - longest) {
    const piece = await source.readAt(pos, Math.min(MAX_READ, source.size - pos));
    const hit = findAll(piece, needles)[0];
    if (hit) return { offset: pos + hit.at, text: shown(hit.needle.from, hit.needle.wide) };
    if (pos + piece.length >= source.size) break;
  }
  return undefined;
}
