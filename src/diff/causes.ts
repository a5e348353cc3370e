// Guessing why bytes differ between two builds, from the bytes themselves: a string
// __DATE__ or __TIME__ put there, an ISO date, an absolute build path, a GUID, a Unix
// time in a field unstamp does not know. Pure functions over two windows of bytes.

export type CauseKind = 'reordered' | '__DATE__' | '__TIME__' | '__TIMESTAMP__' | 'ISO date' | 'build path' | 'GUID' | 'timestamp' | 'derived' | 'field' | 'compressed archive' | 'unknown';

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

/**
 * A 32-bit value over the differing bytes that reads as a Unix time near `now` on both
 * sides: at an offset that is a multiple of 4 from `alignBase` (the file, or the member
 * it lies in), with its most significant byte the same on both sides (two build times
 * differ in their low bytes).
 */
function timestampCause(w: Windows, now: number): Cause | undefined {
  if (w.to - w.from > 4) return undefined;
  const lo = now - 20 * YEAR;
  const hi = now + 20 * YEAR;
  const base = w.alignBase ?? 0;
  for (let p = w.to - 4; p <= w.from; p++) {
    if (p < 0 || p + 4 > w.a.length || p + 4 > w.b.length || (w.offset + p - base) % 4 !== 0) continue;
    // Four letters read as a time of these years too: text is not a timestamp.
    if (isText(w.a.subarray(p, p + 4)) && isText(w.b.subarray(p, p + 4))) continue;
    for (const le of [true, false]) {
      const va = le ? w.a.readUInt32LE(p) : w.a.readUInt32BE(p);
      const vb = le ? w.b.readUInt32LE(p) : w.b.readUInt32BE(p);
      if (va === vb || va >>> 24 !== vb >>> 24 || va < lo || va > hi || vb < lo || vb > hi) continue;
      return { kind: 'timestamp', text: `4 bytes at 0x${(w.offset + p).toString(16)} that read as a Unix time (32-bit ${le ? 'little' : 'big'}-endian) in no field unstamp knows: ${renderSeconds(va)} vs ${renderSeconds(vb)}` };
    }
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

/** Binary shapes over the differing bytes: a Unix time in no known field, a GUID. */
export function binaryCauses(w: Windows, now = Date.now() / 1000): Cause[] {
  const t = timestampCause(w, now);
  if (t) return [t];
  const g = guidCause(w);
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
