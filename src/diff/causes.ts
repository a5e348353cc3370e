// Guessing why bytes differ between two builds, from the bytes themselves: a string
// __DATE__ or __TIME__ put there, an ISO date, an absolute build path, a GUID, a Unix
// time in a field unstamp does not know. Pure functions over two windows of bytes.

export type CauseKind = '__DATE__' | '__TIME__' | '__TIMESTAMP__' | 'ISO date' | 'build path' | 'GUID' | 'timestamp' | 'derived' | 'field' | 'compressed archive' | 'unknown';

export interface Cause {
  kind: CauseKind;
  /** One line: what was recognized, with both sides' values. */
  text: string;
}

/**
 * Two windows of the same span of both files (after normalization), both starting at
 * file offset `offset`; the differing bytes are [from, to) inside them. The windows
 * carry some context on either side so a whole string can be seen.
 */
export interface Windows {
  a: Buffer;
  b: Buffer;
  offset: number;
  from: number;
  to: number;
  /** File offset that field alignment is counted from (the member the bytes lie in); default 0. */
  alignBase?: number;
}

const MONTH = '(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const PATTERNS: { kind: CauseKind; re: RegExp }[] = [
  // __TIMESTAMP__: "Sun Sep 16 01:03:52 1973"
  { kind: '__TIMESTAMP__', re: new RegExp(`(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} [ 0-3]\\d [0-2]\\d:[0-5]\\d:[0-6]\\d \\d{4}`, 'g') },
  { kind: 'ISO date', re: /(?:19|20|21)\d\d-[01]\d-[0-3]\d(?:[T ][0-2]\d:[0-5]\d(?::[0-6]\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?)?/g },
  // __DATE__: "Nov 24 2026" (the day space-padded)
  { kind: '__DATE__', re: new RegExp(`${MONTH} [ 0-3]\\d \\d{4}`, 'g') },
  // __TIME__: "12:34:56"
  { kind: '__TIME__', re: /(?<![\d:])[0-2]\d:[0-5]\d:[0-6]\d(?![\d:])/g },
  // Absolute paths: two or more Unix components, or a drive letter (either slash).
  { kind: 'build path', re: /(?<![\w.~-])(?:\/[\w.+@~-]+){2,}\/?|(?<![A-Za-z])[A-Za-z]:[\\/](?:[\w .+@~$()-]+[\\/]?)+/g },
  { kind: 'GUID', re: /\{?[0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12}\}?/g },
];

interface Match {
  kind: CauseKind;
  /** Byte span in the window. */
  start: number;
  end: number;
  text: string;
}

/** The text of a window in one encoding, with a map from characters back to bytes. */
function decodings(buf: Buffer): { text: string; byteAt: (i: number) => number; width: number }[] {
  const out = [{ text: buf.toString('latin1'), byteAt: (i: number) => i, width: 1 }];
  // UTF-16LE strings (Windows resources, PDB records) at either alignment.
  for (const shift of [0, 1]) {
    const n = Math.floor((buf.length - shift) / 2);
    if (n > 0) out.push({ text: buf.toString('utf16le', shift, shift + n * 2), byteAt: (i: number) => shift + i * 2, width: 2 });
  }
  return out;
}

function matches(buf: Buffer, from: number, to: number): Match[] {
  const found: Match[] = [];
  for (const d of decodings(buf)) {
    for (const { kind, re } of PATTERNS) {
      re.lastIndex = 0;
      for (let m = re.exec(d.text); m; m = re.exec(d.text)) {
        const start = d.byteAt(m.index);
        const end = d.byteAt(m.index + m[0].length - 1) + d.width;
        if (start < to && end > from) found.push({ kind, start, end, text: m[0] });
        if (m[0].length === 0) re.lastIndex++;
      }
    }
  }
  // A time inside a __TIMESTAMP__ or an ISO date-time is that, not a __TIME__ of its own.
  return found.filter((m) => !found.some((o) => o !== m && o.start <= m.start && o.end >= m.end && o.end - o.start > m.end - m.start));
}

const quote = (s: string) => JSON.stringify(s);

/** Strings both sides have over the differing bytes, by kind. */
export function textCauses(w: Windows): Cause[] {
  const ma = matches(w.a, w.from, w.to);
  const mb = matches(w.b, w.from, w.to);
  const out: Cause[] = [];
  for (const kind of PATTERNS.map((p) => p.kind)) {
    const a = ma.find((m) => m.kind === kind);
    const b = mb.find((m) => m.kind === kind);
    if (!a || !b || a.text === b.text) continue;
    const what = kind === 'build path' ? 'an absolute path (build directory)' : kind === 'GUID' ? 'a GUID string' : kind === 'ISO date' ? 'an ISO date' : `a ${kind}-like string`;
    out.push({ kind, text: `${what}: ${quote(a.text)} vs ${quote(b.text)}` });
  }
  return out;
}

const YEAR = 365.25 * 86400;

function renderSeconds(s: number): string {
  return `${s} (${new Date(s * 1000).toISOString().replace('T', ' ').replace('.000Z', ' UTC')})`;
}

/** How far back and ahead of now a 32-bit value is taken for a build time. */
const TIME_BEFORE = 20 * YEAR;
const TIME_AFTER = 86400;
/** Ranges longer than this are not searched for a Unix time (more is another structure). */
const TIME_SEARCH = 64;

/**
 * 32-bit values that read as Unix times of the last 20 years (up to a day ahead of `now`)
 * on both sides, at the same offsets, over differing bytes: first at offsets that are a
 * multiple of 4 from `alignBase` (the file, or the member it lies in), then, in a short
 * range, at any offset. Each has its most significant byte the same on both sides (two
 * build times differ in their low bytes). Several can lie side by side (an inode's atime,
 * ctime and mtime); `uncovered` counts the differing bytes none of them holds.
 */
function timestampCause(w: Windows, now: number): { cause: Cause; uncovered: number } | undefined {
  const n = w.to - w.from;
  if (n > TIME_SEARCH) return undefined;
  const lo = now - TIME_BEFORE;
  const hi = now + TIME_AFTER;
  const base = w.alignBase ?? 0;
  const aligned = (p: number) => (w.offset + p - base) % 4 === 0;
  for (const pass of n <= 8 ? [true, false] : [true]) {
    const found: { p: number; le: boolean; va: number; vb: number }[] = [];
    for (let p = Math.max(0, w.from - 3); p < w.to; p++) {
      if (p + 4 > w.a.length || p + 4 > w.b.length || aligned(p) !== pass) continue;
      // Four letters read as a time of these years too: text is not a timestamp.
      if (isText(w.a.subarray(p, p + 4)) && isText(w.b.subarray(p, p + 4))) continue;
      for (const le of [true, false]) {
        const va = le ? w.a.readUInt32LE(p) : w.a.readUInt32BE(p);
        const vb = le ? w.b.readUInt32LE(p) : w.b.readUInt32BE(p);
        if (va === vb || va >>> 24 !== vb >>> 24 || va < lo || va > hi || vb < lo || vb > hi) continue;
        // At an odd offset, only a value that holds every differing byte and differs in
        // its lowest byte (as two build times almost always do): zeros beside a small
        // difference would otherwise read as a time at some shift.
        const low = le ? p : p + 3;
        if (!pass && (w.a[low] === w.b[low] || p > w.from || p + 4 < w.to)) continue;
        found.push({ p, le, va, vb });
        p += 3;
        break;
      }
    }
    if (found.length === 0) continue;
    let uncovered = 0;
    for (let i = w.from; i < w.to; i++) if (w.a[i] !== w.b[i] && !found.some((f) => i >= f.p && i < f.p + 4)) uncovered++;
    const first = found[0];
    const more = found.length > 1 ? `; ${found.length} such values side by side` : '';
    const rest = uncovered > 0 ? ` (and ${uncovered} more differing byte${uncovered === 1 ? '' : 's'} beside ${found.length > 1 ? 'them' : 'it'})` : '';
    const text = `4 bytes at 0x${(w.offset + first.p).toString(16)} that read as a Unix time (32-bit ${first.le ? 'little' : 'big'}-endian) in no field unstamp knows: ${renderSeconds(first.va)} vs ${renderSeconds(first.vb)}${more}${rest}`;
    return { cause: { kind: 'timestamp', text }, uncovered };
  }
  return undefined;
}

const printable = (c: number) => c >= 0x20 && c < 0x7f;

/** 9 to 16 differing bytes, mostly not text, most of them different: the shape of a fresh GUID. */
function guidCause(w: Windows): Cause | undefined {
  const n = w.to - w.from;
  if (n < 9 || n > 16) return undefined;
  let differ = 0;
  let text = 0;
  for (let i = w.from; i < w.to; i++) {
    if (w.a[i] !== w.b[i]) differ++;
    if (printable(w.a[i]) && printable(w.b[i])) text++;
  }
  if (differ < 9 || text > n / 2) return undefined;
  return { kind: 'GUID', text: `${n} bytes of random-looking data, the shape of a GUID: ${w.a.toString('hex', w.from, w.to)} vs ${w.b.toString('hex', w.from, w.to)}` };
}

/**
 * Binary shapes over the differing bytes: Unix times in no known field, a GUID.
 */
export function binaryCauses(w: Windows, now = Date.now() / 1000): Cause[] {
  const g = guidCause(w);
  const t = timestampCause(w, now);
  // Times that hold every differing byte explain the range; otherwise a range of GUID
  // shape is a GUID even if 4 of its bytes happen to read as a time.
  if (t && (t.uncovered === 0 || !g)) return [t.cause];
  return g ? [g] : [];
}

/** Every recognizable cause of the difference, strings first; empty if none. */
export function recognize(w: Windows, now = Date.now() / 1000): Cause[] {
  const out = textCauses(w);
  return out.length > 0 ? out : binaryCauses(w, now);
}

/** Whether bytes read as text (printable ASCII, tabs, newlines). */
function isText(b: Buffer): boolean {
  for (const c of b) if (!printable(c) && c !== 0x0a && c !== 0x09) return false;
  return b.length > 0;
}

/** The two sides' bytes for a report: as text if both read as text, else hex (bounded). */
export function showBytes(a: Buffer, b: Buffer, max = 48): { a: string; b: string } {
  const text = isText(a.subarray(0, max)) && isText(b.subarray(0, max));
  const show = (x: Buffer) => {
    const part = x.subarray(0, max);
    const more = x.length > max ? '…' : '';
    return (text ? quote(part.toString('latin1')) : part.toString('hex')) + more;
  };
  return { a: show(a), b: show(b) };
}
