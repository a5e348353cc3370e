import { FormatError, hex } from '../../core/errors.js';
import type { PlanContext } from '../../core/format.js';
import { renderTime } from '../../core/time.js';
import { cString, encodeChksum, encodeNumber, headerSums, parseNumber, type NumberField } from './header.js';
import * as S from './spec.js';
import { walkTar, type PaxRecord, type TarHeader } from './walk.js';

const MAX = BigInt(Number.MAX_SAFE_INTEGER);

/** ctx.time on a stored time of any size: one outside the safe range is "far past" or "far future". */
function normalTime(ctx: PlanContext, v: bigint): bigint {
  const n = v > MAX ? Number.MAX_SAFE_INTEGER : v < -MAX ? -Number.MAX_SAFE_INTEGER : Number(v);
  const t = ctx.time(n);
  return t === n ? v : BigInt(t);
}

const renderBig = (v: bigint) => (v >= -MAX && v <= MAX ? renderTime(Number(v)) : String(v));
/** A pax time as stored, with its date: "1577934245.123456789 (2020-01-02 03:04:05 UTC)". */
const renderPax = (text: string, v: bigint) => {
  const date = /\((.*)\)$/.exec(renderBig(v));
  return date ? `${text} (${date[1]})` : text;
};
const renderId = (v: bigint) => String(v);
const renderOctal = (v: number) => `0o${v.toString(8)}`;

/**
 * A numeric field's text for reports, from the field's own bytes: one function per field
 * and rendering, called only for a field a report shows (a plain run renders nothing).
 */
const numberRenders = new Map<S.Field, Map<(v: bigint) => string, (b: Buffer) => string>>();
function numberRender(f: S.Field, render: (v: bigint) => string): (b: Buffer) => string {
  let byRender = numberRenders.get(f);
  if (!byRender) numberRenders.set(f, (byRender = new Map()));
  let r = byRender.get(render);
  if (!r) {
    const own = { ...f, offset: 0 };
    r = (b) => render(parseNumber(b, own)!.value!);
    byRender.set(render, r);
  }
  return r;
}

/**
 * One header: the new block is built in `out` as fields are patched, so the checksum can
 * be computed from it directly (it covers this block only).
 */
class HeaderPlan {
  readonly out: Buffer;
  constructor(
    private readonly ctx: PlanContext,
    private readonly h: TarHeader,
  ) {
    this.out = Buffer.from(h.raw);
  }

  /** `text`: the old and new values as text, or a render of the field's bytes (called only for a report). */
  private write(f: S.Field, bytes: Buffer, field: string, text: { old: string; new: string } | { render: (b: Buffer) => string }): void {
    bytes.copy(this.out, f.offset);
    this.ctx.patch({
      offset: this.h.at + f.offset,
      oldBytes: this.h.raw.subarray(f.offset, f.offset + f.size),
      bytes,
      field: `tar ${this.h.label}: ${field}`,
      ...text,
    });
  }

  /** A numeric field set to next(old); blank fields ("not set") stay blank. */
  number(f: S.Field, field: string, next: (old: bigint) => bigint, render: (v: bigint) => string): void {
    const n: NumberField | undefined = parseNumber(this.h.raw, f);
    const text = JSON.stringify(this.h.raw.toString('latin1', f.offset, f.offset + f.size));
    if (!n) throw new FormatError(`tar header at ${hex(this.h.at)}: ${field} ${text} is not an octal or base-256 number`, this.ctx.reader.base + this.h.at + f.offset);
    if (n.value === undefined) return;
    const value = next(n.value);
    const bytes = value === n.value ? Buffer.from(this.h.raw.subarray(f.offset, f.offset + f.size)) : encodeNumber(this.h.raw, f, n, value);
    // Only reached for a value wider than base-256 over the field (0 and the epoch always fit).
    if (!bytes) throw new FormatError(`tar header at ${hex(this.h.at)}: ${field} cannot hold ${value}`, this.ctx.reader.base + this.h.at + f.offset);
    this.write(f, bytes, field, { render: numberRender(f, render) });
  }

  /** uname/gname: emptied (all NULs), as GNU tar --numeric-owner writes them. */
  name(f: S.Field, field: string): void {
    const old = cString(this.h.raw, f);
    this.write(f, Buffer.alloc(f.size), field, { old: JSON.stringify(old), new: '"" (empty)' });
  }

  /**
   * A made-up name's PID digits zeroed, in the name field or (ustar) the prefix field,
   * whichever holds them; the field keeps its length.
   */
  pid(pattern: RegExp): void {
    for (const [f, field] of [[S.name, 'name'], [S.prefix, 'prefix']] as const) {
      if (f === S.prefix && this.h.flavor !== 'ustar') continue;
      const old = cString(this.h.raw, f);
      const m = pattern.exec(old);
      if (!m) continue;
      const at = m.index + m[1].length + m[2].length;
      const now = old.slice(0, at) + '0'.repeat(m[3].length) + old.slice(at + m[3].length);
      const bytes = Buffer.from(this.h.raw.subarray(f.offset, f.offset + f.size));
      bytes.write(now, 0, 'latin1');
      this.write(f, bytes, `${field} (process ID of the writer)`, { old: JSON.stringify(old), new: JSON.stringify(now) });
      return;
    }
  }

  checksum(): void {
    const f = S.chksum;
    const old = parseNumber(this.h.raw, f);
    const sum = headerSums(this.out).unsigned;
    this.write(f, encodeChksum(sum), 'chksum', { old: old?.value !== undefined ? renderOctal(Number(old.value)) : '?', new: renderOctal(sum) });
  }
}

function planHeader(ctx: PlanContext, h: TarHeader): void {
  const p = new HeaderPlan(ctx, h);
  p.number(S.mtime, 'mtime', (v) => normalTime(ctx, v), renderBig);
  p.number(S.uid, 'uid', () => BigInt(S.DETERMINISTIC_ID), renderId);
  p.number(S.gid, 'gid', () => BigInt(S.DETERMINISTIC_ID), renderId);
  if (h.flavor !== 'v7') {
    p.name(S.uname, 'uname');
    p.name(S.gname, 'gname');
    if (!S.DEVICE_TYPES.has(h.type)) {
      p.number(S.devmajor, 'devmajor', () => 0n, renderId);
      p.number(S.devminor, 'devminor', () => 0n, renderId);
    }
  }
  if (h.kind === 'pax') p.pid(S.PID_IN_PAX_NAME);
  if (h.kind === 'global') p.pid(S.PID_IN_GLOBAL_NAME);
  // A pax sparse file (GNU.sparse.* records) is stored under a made-up name; GNU.sparse.name has the real one.
  if (h.kind === 'entry' && h.sparse && h.type !== S.GNUTYPE_SPARSE) p.pid(S.PID_IN_SPARSE_NAME);
  // GNU incremental dumps store atime and ctime where ustar has its path prefix.
  if (h.flavor === 'gnu') {
    p.number(S.gnuAtime, 'atime', (v) => normalTime(ctx, v), renderBig);
    p.number(S.gnuCtime, 'ctime', (v) => normalTime(ctx, v), renderBig);
  }
  p.checksum();
}

/** A pax time "[-]seconds[.fraction]" rewritten at the same length: the epoch zero-padded, the fraction zeroed. */
function planPaxTime(ctx: PlanContext, h: TarHeader, r: PaxRecord): void {
  const m = /^(-?\d+)(?:\.(\d*))?$/.exec(r.value);
  const base = ctx.reader.base;
  if (!m) throw new FormatError(`pax record ${r.key} at ${hex(r.start)}: ${JSON.stringify(r.value)} is not a time (seconds[.fraction])`, base + r.valueStart);
  const [, whole, fraction] = m;
  const old = BigInt(whole);
  const fractionZero = fraction === undefined || /^0*$/.test(fraction);
  const now = normalTime(ctx, old);
  // --clamp keeps an older time whole, fraction included; otherwise the value is exactly the epoch.
  const keep = now === old && (fractionZero || old < BigInt(ctx.options.epoch));
  let text = r.value;
  if (!keep) {
    const digits = now.toString().padStart(whole.length, '0');
    if (digits.length > whole.length) {
      throw new FormatError(
        `pax record ${r.key} at ${hex(r.start)}: ${JSON.stringify(r.value)} has ${whole.length} digits before the fraction, too few to write ${now} at the same length`,
        base + r.valueStart,
      );
    }
    text = fraction === undefined ? digits : `${digits}.${'0'.repeat(fraction.length)}`;
  }
  ctx.patch({
    offset: r.valueStart,
    oldBytes: Buffer.from(r.value, 'latin1'),
    bytes: Buffer.from(text, 'latin1'),
    field: `tar ${h.label}: pax ${r.key}`,
    old: renderPax(r.value, old),
    new: renderPax(text, keep ? old : now),
  });
}

function planPaxId(ctx: PlanContext, h: TarHeader, r: PaxRecord): void {
  if (!/^\d+$/.test(r.value)) throw new FormatError(`pax record ${r.key} at ${hex(r.start)}: ${JSON.stringify(r.value)} is not a decimal id`, ctx.reader.base + r.valueStart);
  ctx.patch({
    offset: r.valueStart,
    oldBytes: Buffer.from(r.value, 'latin1'),
    bytes: Buffer.from('0'.repeat(r.value.length), 'latin1'),
    field: `tar ${h.label}: pax ${r.key}`,
    old: r.value,
    new: '0'.repeat(r.value.length),
  });
}

/** Python's tarfile reads at most this many digits of a record's length field. */
const MAX_LENGTH_DIGITS = 20;

/**
 * uname/gname: an empty value, which GNU tar, libarchive and Python read as "no name"
 * (the numeric id is used), as --numeric-owner leaves them. The record keeps its length:
 * the bytes the name took go to leading zeros of the decimal length field, which every
 * reader parses as the same number ("17 uname=alice\n" -> "000000017 uname=\n"). A name
 * so long that the field would pass 20 digits (Python's limit) turns the record into a
 * POSIX `comment`, whose value every reader ignores: the header's emptied field then
 * stands, with the same meaning.
 */
function planPaxName(ctx: PlanContext, h: TarHeader, r: PaxRecord, raw: Buffer): void {
  const length = r.end - r.start;
  const body = Buffer.from(` ${r.key}=\n`, 'utf8');
  let bytes: Buffer;
  let now: string;
  if (length - body.length <= MAX_LENGTH_DIGITS) {
    const text = String(length).padStart(length - body.length, '0');
    bytes = Buffer.concat([Buffer.from(text, 'latin1'), body]);
    now = `"" (empty; length field ${text})`;
  } else {
    const filler = '0'.repeat(length - String(length).length - ' comment=\n'.length);
    bytes = Buffer.from(`${length} comment=${filler}\n`, 'latin1');
    now = `"" (the record becomes a comment of ${filler.length} zeros; the header's empty ${r.key} stands)`;
  }
  ctx.patch({
    offset: r.start,
    oldBytes: raw,
    bytes,
    field: `tar ${h.label}: pax ${r.key}`,
    old: JSON.stringify(Buffer.from(r.value, 'latin1').toString('utf8')),
    new: now,
  });
}

async function planPax(ctx: PlanContext, h: TarHeader): Promise<void> {
  for (const r of h.records) {
    if (S.PAX_TIMES.has(r.key) || S.PAX_VENDOR_TIME.test(r.key)) planPaxTime(ctx, h, r);
    else if (S.PAX_IDS.has(r.key)) planPaxId(ctx, h, r);
    else if (S.PAX_NAMES.has(r.key)) planPaxName(ctx, h, r, await ctx.reader.read(r.start, r.end - r.start, 'pax record'));
  }
}

export async function planTar(ctx: PlanContext): Promise<void> {
  const walk = walkTar(ctx.reader);
  let sparse = 0;
  for (;;) {
    const step = await walk.next();
    if (step.done) {
      const end = step.value;
      if (end.note) ctx.note(end.note);
      const after = ctx.reader.size - end.end;
      if (after > 0 && !end.restNoted) ctx.note(`${after} bytes after the end-of-archive marker (block padding or appended data)`);
      break;
    }
    const h = step.value;
    planHeader(ctx, h);
    if (h.kind === 'pax' || h.kind === 'global') await planPax(ctx, h);
    if (h.kind !== 'entry' || !S.FILE_TYPES.has(h.type) && h.type !== S.GNUTYPE_SPARSE || h.size === 0) continue;
    if (h.sparse) {
      sparse++;
      continue;
    }
    await ctx.member(h.dataStart, h.size, h.path);
  }
  if (sparse > 0) ctx.note(`${sparse} sparse ${sparse === 1 ? 'entry' : 'entries'}: the data is a map and pieces, not planned as a file of its own`);
  ctx.note('modes, names, link targets, entry order, and pax records other than times and owners');
}
